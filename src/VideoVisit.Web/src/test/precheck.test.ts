import { describe, expect, it } from 'vitest';
import {
  bestTransport,
  finish,
  networkFromSummary,
  pathVerdict,
  reportForServer,
  summaryLine,
  type PathMeasurement,
  type PrecheckReport,
  type TransportResult,
} from '../features/prejoin/precheckLogic';
import { jitterOf, loopFigures, splitTurnServers } from '../features/prejoin/measure';

type Findings = Omit<PrecheckReport, 'state' | 'verdict' | 'problems'>;

function findings(change: (f: Findings) => Findings = (f) => f): Findings {
  return change({
    version: 1,
    startedAt: '2026-12-04T10:00:00Z',
    browser: { name: 'chrome', version: '156', os: 'windows', mobile: false, status: 'recommended', hasPeerConnection: true, hasGetUserMedia: true, userAgent: 'x' },
    camera: { status: 'ok', covered: false },
    microphone: { status: 'ok', silent: false },
    speaker: { test: 'not-tested', selectable: true },
    popup: 'not-checked',
    network: { online: true, hub: 'reachable', relay: 'udp', candidateTypes: ['relay'] },
    permissions: {},
    relayOnlyCalls: false,
    path: { state: 'measuring', results: [] },
  });
}

describe('precheck verdicts', () => {
  it('is checking (and Begin blocked) until finished', () => {
    const r = finish(findings(), false);
    expect([r.state, r.verdict]).toEqual(['checking', 'blocked']);
  });

  it('is ready and allowed when everything works, even while the connection test still runs', () => {
    const r = finish(findings(), true);
    expect([r.state, r.verdict, r.problems]).toEqual(['ready', 'allowed', []]);
  });

  it.each([
    ['cannot call', (f: Findings) => ({ ...f, browser: { ...f.browser, status: 'cannot-call' as const } }), 'unsupported-browser', 'blocked'],
    ['offline', (f: Findings) => ({ ...f, network: { ...f.network, hub: 'unreachable' as const } }), 'offline', 'blocked'],
    ['camera denied', (f: Findings) => ({ ...f, camera: { status: 'denied' as const } }), 'permission-denied', 'warned'],
    ['camera busy', (f: Findings) => ({ ...f, camera: { status: 'busy' as const } }), 'device-busy', 'warned'],
    ['no microphone', (f: Findings) => ({ ...f, microphone: { status: 'missing' as const } }), 'device-missing', 'warned'],
    ['covered camera', (f: Findings) => ({ ...f, camera: { status: 'ok' as const, covered: true } }), 'camera-covered', 'warned'],
    ['only TCP relay', (f: Findings) => ({ ...f, network: { ...f.network, relay: 'tcp' as const } }), 'relay-only', 'warned'],
    ['silent microphone', (f: Findings) => ({ ...f, microphone: { status: 'ok' as const, silent: true } }), 'ready', 'warned'],
  ])('%s', (_, change, state, verdict) => {
    const r = finish(findings(change), true);
    expect([r.state, r.verdict]).toEqual([state, verdict]);
  });

  it('names the problem to fix first when there are several', () => {
    const r = finish(findings((f) => ({ ...f, camera: { status: 'denied' }, network: { ...f.network, hub: 'unreachable' } })), true);
    expect(r.state).toBe('offline');
  });
});

describe('connection test', () => {
  const udp = (figures: Partial<TransportResult>): TransportResult => ({ transport: 'udp', outcome: 'connected', rttMs: 20, jitterMs: 2, lossPercent: 0, kbps: 2000, ...figures });

  it.each([
    [udp({}), 'good'],
    [udp({ rttMs: 250 }), 'fair'],
    [udp({ kbps: 500 }), 'fair'],
    [udp({ lossPercent: 8 }), 'poor'],
    [udp({ jitterMs: 70 }), 'poor'],
    [{ ...udp({}), transport: 'tcp' as const }, 'fair'],
    [{ transport: 'udp' as const, outcome: 'failed' as const }, 'failed'],
    [undefined, 'failed'],
  ])('%j is %s', (result, verdict) => {
    expect(pathVerdict(result)).toBe(verdict);
  });

  it('prefers UDP, then TCP, then TLS', () => {
    const tcp: TransportResult = { transport: 'tcp', outcome: 'connected', rttMs: 5 };
    const tls: TransportResult = { transport: 'tls', outcome: 'connected', rttMs: 5 };
    expect(bestTransport([tls, tcp, { transport: 'udp', outcome: 'failed' }])).toBe(tcp);
    expect(bestTransport([tls, { transport: 'udp', outcome: 'failed' }, { transport: 'tcp', outcome: 'not-offered' }])).toBe(tls);
  });

  it('splits our TURN URLs into UDP, TCP and TLS, with or without turns:', () => {
    const withoutTls = splitTurnServers([
      { urls: ['stun:h:3478'] },
      { urls: ['turn:h:3478?transport=udp', 'turn:h:3478?transport=tcp'], username: 'u', credential: 'c' },
    ]);
    expect(withoutTls.udp[0].urls).toEqual(['turn:h:3478?transport=udp']);
    expect(withoutTls.tcp[0].urls).toEqual(['turn:h:3478?transport=tcp']);
    expect(withoutTls.tls).toEqual([]);
    const withTls = splitTurnServers([{ urls: ['turn:h:3478', 'turns:h:443?transport=tcp'], username: 'u', credential: 'c' }]);
    expect(withTls.udp[0].urls).toEqual(['turn:h:3478']);
    expect(withTls.tcp).toEqual([]);
    expect(withTls.tls[0]).toEqual({ urls: ['turns:h:443?transport=tcp'], username: 'u', credential: 'c' });
  });

  it('computes loop figures: median transit, RFC 3550 jitter, loss and bitrate', () => {
    const arrivals = [0, 1, 2, 3].map((seq) => ({ seq, transitMs: 10 + (seq % 2) * 4, bytes: 1000 }));
    const f = loopFigures(5, arrivals, 0.032);
    expect(f.rttMs).toBe(14);
    expect(f.lossPercent).toBe(20);
    expect(f.kbps).toBe(1000);
    expect(jitterOf([10, 10, 10])).toBe(0);
    expect(f.jitterMs).toBeGreaterThan(0);
  });

  it('reports the test in the summary the professional sees, and reads it back', () => {
    const path: PathMeasurement = { state: 'done', results: [], best: udp({ rttMs: 12, jitterMs: 2.5, lossPercent: 0.5, kbps: 2100 }), verdict: 'good' };
    const report = finish({ ...findings(), path }, true);
    const line = summaryLine(report);
    expect(line).toBe('path: good udp rtt 12 ms jitter 2.5 ms loss 0.5 % 2100 kbit/s | all checks passed');
    expect(networkFromSummary(line)).toEqual({
      devices: 'all checks passed',
      network: { verdict: 'good', transport: 'udp', rttMs: 12, jitterMs: 2.5, lossPercent: 0.5, kbps: 2100 },
    });
    expect(networkFromSummary(summaryLine(finish(findings(), true)))).toEqual({ devices: 'all checks passed', network: { verdict: 'measuring' } });
    expect(networkFromSummary('camera-denied')).toEqual({ devices: 'camera-denied', network: null });
  });

  it('keeps the report under the server limit', () => {
    const report = finish(findings((f) => ({ ...f, browser: { ...f.browser, userAgent: 'x'.repeat(5000) } })), true);
    expect(new TextEncoder().encode(JSON.stringify(reportForServer(report))).length).toBeLessThanOrEqual(4000);
  });
});
