// What the precheck found, and what follows from it. Pure functions: the report in, the state,
// the verdict and the list of problems out. The table here is the one documented in README.md
// ("Device precheck").
import type { BrowserInfo } from './browserSupport';
import type { DeviceStatus } from '../../services/media';

export type PrecheckState =
  | 'checking'
  | 'ready'
  | 'permission-denied'
  | 'device-missing'
  | 'device-busy'
  | 'camera-covered'
  | 'popup-blocked'
  | 'unsupported-browser'
  | 'relay-only'
  | 'offline';

/** allowed: Begin video visit as is; warned: allowed with a warning; blocked: disabled. */
export type Verdict = 'allowed' | 'warned' | 'blocked';

export type Problem =
  | 'cannot-call'
  | 'browser-not-recommended'
  | 'offline'
  | 'camera-denied'
  | 'microphone-denied'
  | 'camera-busy'
  | 'microphone-busy'
  | 'camera-missing'
  | 'microphone-missing'
  | 'camera-error'
  | 'microphone-error'
  | 'camera-covered'
  | 'microphone-silent'
  | 'speaker-not-heard'
  | 'popup-blocked'
  | 'relay-only'
  | 'relay-unreachable';

export type NetworkHub = 'pending' | 'reachable' | 'unreachable';
export type NetworkRelay = 'pending' | 'udp' | 'tcp' | 'none' | 'not-configured' | 'skipped';

export interface PrecheckReport {
  version: 1;
  state: PrecheckState;
  verdict: Verdict;
  problems: Problem[];
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** Where the time went (ms): devices, network, and the page's age when the check settled. */
  timings?: { acquireMs?: number; devicesMs?: number; networkMs?: number; sincePageOpenMs?: number };
  browser: Pick<BrowserInfo, 'name' | 'version' | 'os' | 'mobile' | 'status' | 'hasPeerConnection' | 'hasGetUserMedia' | 'userAgent'>;
  camera: {
    status: DeviceStatus | 'pending';
    errorName?: string;
    label?: string;
    width?: number;
    height?: number;
    luminance?: number;
    covered?: boolean;
  };
  microphone: {
    status: DeviceStatus | 'pending';
    errorName?: string;
    label?: string;
    peakLevel?: number;
    /** null when the level could not be measured (audio processing not allowed to start). */
    silent?: boolean | null;
  };
  speaker: { test: 'not-tested' | 'heard' | 'not-heard'; selectable: boolean };
  popup: 'not-checked' | 'allowed' | 'blocked';
  network: { online: boolean; hub: NetworkHub; relay: NetworkRelay; candidateTypes: string[] };
  permissions: { camera?: string; microphone?: string };
  relayOnlyCalls: boolean;
  /** The connection test through our relay; it may finish after the rest (then reported again). */
  path: PathMeasurement;
}

export type Transport = 'udp' | 'tcp' | 'tls';
export type PathVerdict = 'good' | 'fair' | 'poor' | 'failed';

/** One transport's measurement: a few seconds of data at media rate through the relay and back. */
export interface TransportResult {
  transport: Transport;
  /** connected: figures below are set; failed: no relayed path came up; not-offered: no such URL. */
  outcome: 'connected' | 'failed' | 'not-offered';
  rttMs?: number;
  jitterMs?: number;
  lossPercent?: number;
  kbps?: number;
}

export interface PathMeasurement {
  state: 'pending' | 'measuring' | 'done' | 'skipped';
  /** The transport calls would use (the first that works, in the order UDP, TCP, TLS). */
  best?: TransportResult;
  results: TransportResult[];
  verdict?: PathVerdict;
  durationMs?: number;
}

/** Problems that keep Begin video visit disabled: without them a patient can always wait. */
export const blockingProblems: ReadonlySet<Problem> = new Set<Problem>(['cannot-call', 'offline']);

// When several problems exist, the state names the one to fix first.
const stateOrder: Array<[PrecheckState, Problem[]]> = [
  ['unsupported-browser', ['cannot-call']],
  ['offline', ['offline']],
  ['permission-denied', ['camera-denied', 'microphone-denied']],
  ['device-busy', ['camera-busy', 'microphone-busy']],
  ['device-missing', ['camera-missing', 'microphone-missing']],
  ['camera-covered', ['camera-covered']],
  ['relay-only', ['relay-only']],
  ['popup-blocked', ['popup-blocked']],
];

type Findings = Omit<PrecheckReport, 'state' | 'verdict' | 'problems'>;

export function findProblems(r: Findings): Problem[] {
  const p: Problem[] = [];
  if (r.browser.status === 'cannot-call') p.push('cannot-call');
  else if (r.browser.status === 'not-recommended') p.push('browser-not-recommended');
  if (!r.network.online || r.network.hub === 'unreachable') p.push('offline');
  const device = (kind: 'camera' | 'microphone', status: DeviceStatus | 'pending') => {
    if (status === 'denied') p.push(`${kind}-denied`);
    else if (status === 'busy') p.push(`${kind}-busy`);
    else if (status === 'missing') p.push(`${kind}-missing`);
    else if (status === 'error' || status === 'unsupported') p.push(`${kind}-error`);
  };
  device('camera', r.camera.status);
  device('microphone', r.microphone.status);
  if (r.camera.status === 'ok' && r.camera.covered) p.push('camera-covered');
  if (r.microphone.status === 'ok' && r.microphone.silent === true) p.push('microphone-silent');
  if (r.speaker.test === 'not-heard') p.push('speaker-not-heard');
  if (r.popup === 'blocked') p.push('popup-blocked');
  if (r.network.relay === 'tcp') p.push('relay-only');
  if (r.network.relay === 'none') p.push('relay-unreachable');
  return p;
}

export function stateFor(problems: Problem[], finished: boolean): PrecheckState {
  if (!finished) return 'checking';
  for (const [state, causes] of stateOrder) {
    if (causes.some((c) => problems.includes(c))) return state;
  }
  return 'ready';
}

export function verdictFor(problems: Problem[]): Verdict {
  if (problems.some((p) => blockingProblems.has(p))) return 'blocked';
  return problems.length > 0 ? 'warned' : 'allowed';
}

export function finish(findings: Findings, finished: boolean): PrecheckReport {
  const problems = findProblems(findings);
  return {
    ...findings,
    problems,
    state: stateFor(problems, finished),
    verdict: finished ? verdictFor(problems) : 'blocked',
  };
}

// Achievable bitrate: ~300 kbit/s carries small video and audio; ~800 kbit/s a clear 640×480.
export const pathThresholds = {
  poor: { rttMs: 400, jitterMs: 50, lossPercent: 5, kbps: 300 },
  fair: { rttMs: 200, jitterMs: 30, lossPercent: 2, kbps: 800 },
} as const;

/**
 * The verdict on a measured path. Only TCP or TLS working is at best fair: media over TCP stalls on
 * every lost packet (head-of-line blocking).
 */
export function pathVerdict(best: TransportResult | undefined): PathVerdict {
  if (!best || best.outcome !== 'connected') return 'failed';
  const { rttMs = 0, jitterMs = 0, lossPercent = 0, kbps = 0 } = best;
  const p = pathThresholds.poor;
  const f = pathThresholds.fair;
  if (rttMs > p.rttMs || jitterMs > p.jitterMs || lossPercent > p.lossPercent || kbps < p.kbps) return 'poor';
  if (rttMs > f.rttMs || jitterMs > f.jitterMs || lossPercent > f.lossPercent || kbps < f.kbps) return 'fair';
  return best.transport === 'udp' ? 'good' : 'fair';
}

/** The first transport that connected, in the order calls prefer them. */
export function bestTransport(results: TransportResult[]): TransportResult | undefined {
  for (const t of ['udp', 'tcp', 'tls'] as const) {
    const r = results.find((x) => x.transport === t && x.outcome === 'connected');
    if (r) return r;
  }
  return undefined;
}

/** The summary the professional sees (sent with ReportPrecheck inside the report). */
export function summary(report: PrecheckReport) {
  return { state: report.state, verdict: report.verdict, problems: report.problems };
}

/** One short English line for the professional's list (the server shows it as the summary). */
export function summaryLine(report: PrecheckReport): string {
  const devices = report.problems.length === 0 ? 'all checks passed' : report.problems.join(', ');
  // The connection test first: the server keeps 200 characters, and a long list of device problems
  // must not cut the figures off.
  const path = pathSummary(report.path);
  return path ? `${path} | ${devices}` : devices;
}

/** `path: good udp rtt 12 ms jitter 2 ms loss 0 % 2400 kbit/s` (parsed back by networkFromSummary). */
export function pathSummary(path: PathMeasurement | undefined): string {
  if (!path || path.state === 'skipped' || path.state === 'pending') return '';
  if (path.state === 'measuring') return 'path: measuring';
  const b = path.best;
  if (!b || path.verdict === 'failed') return 'path: failed';
  return `path: ${path.verdict} ${b.transport} rtt ${b.rttMs} ms jitter ${b.jitterMs} ms loss ${b.lossPercent} % ${b.kbps} kbit/s`;
}

export interface NetworkSummary {
  verdict: PathVerdict | 'measuring';
  transport?: Transport;
  rttMs?: number;
  jitterMs?: number;
  lossPercent?: number;
  kbps?: number;
}

/** Splits the reported summary line into the device part and the connection test. */
export function networkFromSummary(summary: string | null | undefined): { devices: string; network: NetworkSummary | null } {
  if (!summary) return { devices: '', network: null };
  if (!summary.startsWith('path: ')) return { devices: summary, network: null };
  const bar = summary.indexOf(' | ');
  const devices = bar >= 0 ? summary.slice(bar + 3) : '';
  const rest = summary.slice('path: '.length, bar >= 0 ? bar : undefined).trim();
  const m = rest.match(/^(good|fair|poor) (udp|tcp|tls) rtt (\d+) ms jitter ([\d.]+) ms loss ([\d.]+) % (\d+) kbit\/s/);
  if (m) {
    return {
      devices,
      network: { verdict: m[1] as PathVerdict, transport: m[2] as Transport, rttMs: +m[3], jitterMs: +m[4], lossPercent: +m[5], kbps: +m[6] },
    };
  }
  const word = rest.split(' ')[0];
  if (word === 'measuring' || word === 'failed') return { devices, network: { verdict: word } };
  return { devices, network: null };
}

/** The report as sent with ReportPrecheck: the server accepts at most 4096 bytes. */
export function reportForServer(report: PrecheckReport, maxBytes = 4000): Record<string, unknown> {
  const full: Record<string, unknown> = { ...report, summary: summaryLine(report) };
  const size = (o: unknown) => new TextEncoder().encode(JSON.stringify(o)).length;
  if (size(full) <= maxBytes) return full;
  const slim = { ...full, browser: { ...report.browser, userAgent: report.browser.userAgent.slice(0, 200) } };
  if (size(slim) <= maxBytes) return slim;
  return { version: 1, state: report.state, verdict: report.verdict, problems: report.problems, summary: summaryLine(report) };
}
