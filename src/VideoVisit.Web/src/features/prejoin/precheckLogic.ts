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

/** The summary the professional sees (sent with ReportPrecheck inside the report). */
export function summary(report: PrecheckReport) {
  return { state: report.state, verdict: report.verdict, problems: report.problems };
}

/** One short English line for the professional's list (the server shows it as the summary). */
export function summaryLine(report: PrecheckReport): string {
  if (report.problems.length === 0) return 'all checks passed';
  return report.problems.join(', ');
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
