// Runs the device precheck: camera and microphone through getUserMedia (the truth; the
// Permissions API is only recorded), frame luminance, microphone level, browser support, hub and
// relay reachability. Camera, microphone and network run in parallel; the whole check is bounded
// to a few seconds. The speaker and pop-up checks need the user's click and update the report.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../../services/api';
import { connectHub } from '../../services/hub';
import { acquireMedia, canChooseSpeaker, getLocalMedia, switchDevice, type DeviceKind } from '../../services/media';
import { settings } from '../../services/settings';
import { createLogger } from '../../services/log';
import { currentBrowser } from './browserSupport';
import {
  bestTransport,
  finish,
  pathVerdict,
  type NetworkHub,
  type NetworkRelay,
  type PathMeasurement,
  type PrecheckReport,
  type Transport,
  type TransportResult,
} from './precheckLogic';
import { gatherRelay, measureMicrophone, measureRelayPath, sampleLuminance, splitTurnServers, withTimeout } from './measure';

const log = createLogger('prejoin');

type Findings = Omit<PrecheckReport, 'state' | 'verdict' | 'problems'>;

declare global {
  interface Window {
    /** The latest precheck report, for QA tests to save. */
    __precheckReport?: PrecheckReport;
  }
}

function initialFindings(): Findings {
  const b = currentBrowser();
  return {
    version: 1,
    startedAt: new Date().toISOString(),
    browser: {
      name: b.name,
      version: b.version,
      os: b.os,
      mobile: b.mobile,
      status: b.status,
      hasPeerConnection: b.hasPeerConnection,
      hasGetUserMedia: b.hasGetUserMedia,
      userAgent: b.userAgent,
    },
    camera: { status: 'pending' },
    microphone: { status: 'pending' },
    speaker: { test: 'not-tested', selectable: canChooseSpeaker() },
    popup: 'not-checked',
    network: { online: navigator.onLine, hub: 'pending', relay: 'pending', candidateTypes: [] },
    permissions: {},
    relayOnlyCalls: settings.relayOnly,
    path: { state: 'pending', results: [] },
  };
}

async function queryPermission(name: string): Promise<string | undefined> {
  try {
    const status = await navigator.permissions?.query({ name: name as PermissionName });
    return status?.state;
  } catch {
    return undefined; // Safari before 16, Firefox for some names
  }
}

interface NetworkFindings {
  hub: NetworkHub;
  relay: NetworkRelay;
  candidateTypes: string[];
  /** Our TURN servers by transport, for the connection test that follows. */
  turn?: ReturnType<typeof splitTurnServers>;
}

async function checkNetwork(): Promise<NetworkFindings> {
  if (!navigator.onLine) return { hub: 'unreachable', relay: 'skipped', candidateTypes: [] };
  const hub: NetworkHub = await connectHub(5000).then(
    () => 'reachable' as const,
    () => 'unreachable' as const,
  );
  if (hub === 'unreachable') return { hub, relay: 'skipped', candidateTypes: [] };
  let servers: RTCIceServer[];
  try {
    servers = await withTimeout(api.iceServers(), 4000, [] as RTCIceServer[]);
  } catch {
    return { hub, relay: 'skipped', candidateTypes: [] };
  }
  const turn = splitTurnServers(servers);
  const { udp, tcp, tls } = turn;
  if (udp.length === 0 && tcp.length === 0 && tls.length === 0) return { hub, relay: 'not-configured', candidateTypes: [] };
  // TLS (turns:) counts as a TCP route for the verdict: both carry media over a stream.
  const [u, t] = await Promise.all([gatherRelay(udp), gatherRelay([...tcp, ...tls])]);
  const relay: NetworkRelay = u.relay ? 'udp' : t.relay ? 'tcp' : 'none';
  return { hub, relay, candidateTypes: [...new Set([...u.types, ...t.types])], turn };
}

/**
 * The connection test: through our relay in the order calls prefer it — UDP, then TCP, then TLS when
 * `turns:` is offered — stopping at the first that works (each try takes two relay allocations, and
 * the relay allows a person only so many at once).
 */
async function measurePath(turn: ReturnType<typeof splitTurnServers>, update: (path: PathMeasurement) => void): Promise<PathMeasurement> {
  const started = performance.now();
  const results: TransportResult[] = [];
  const plan: Array<[Transport, RTCIceServer[]]> = [
    ['udp', turn.udp],
    ['tcp', turn.tcp],
    ['tls', turn.tls],
  ];
  update({ state: 'measuring', results: [] });
  for (const [transport, servers] of plan) {
    if (bestTransport(results)) break;
    if (servers.length === 0) {
      results.push({ transport, outcome: 'not-offered' });
      continue;
    }
    const figures = await measureRelayPath(servers, { seconds: 2, connectTimeoutMs: 3000 });
    results.push(figures ? { transport, outcome: 'connected', ...figures } : { transport, outcome: 'failed' });
    update({ state: 'measuring', results: [...results] });
  }
  const best = bestTransport(results);
  return { state: 'done', results, best, verdict: pathVerdict(best), durationMs: Math.round(performance.now() - started) };
}

/**
 * `onPathDone` hears the connection test's result even after the precheck has unmounted (the
 * patient began before it finished): the visit page reports it then.
 */
export function usePrecheck(onPathDone?: (path: PathMeasurement) => void) {
  const pathDone = useRef(onPathDone);
  pathDone.current = onPathDone;
  const videoRef = useRef<HTMLVideoElement | null>(null);
  const [findings, setFindings] = useState<Findings>(initialFindings);
  const [finished, setFinished] = useState(false);
  const [run, setRun] = useState(0);
  const live = useRef(true);

  const patch = useCallback((update: (f: Findings) => Findings) => {
    if (live.current) setFindings(update);
  }, []);

  const attachPreview = useCallback(async () => {
    const video = videoRef.current;
    const stream = getLocalMedia().stream;
    if (!video || !stream || stream.getVideoTracks().length === 0) return null;
    video.srcObject = stream;
    video.muted = true;
    // play() can stay pending forever (seen in WebKitGTK with a synthetic audio track): never let
    // it hold up the precheck; the luminance sampling below waits for frames on its own.
    await withTimeout(video.play().catch(() => undefined), 2000, undefined);
    return video;
  }, []);

  const checkCamera = useCallback(async () => {
    const video = await attachPreview();
    if (!video) return;
    const track = getLocalMedia().stream?.getVideoTracks()[0];
    const result = await sampleLuminance(video);
    patch((f) => ({ ...f, camera: { ...f.camera, ...result, label: track?.label } }));
  }, [attachPreview, patch]);

  const checkMicrophone = useCallback(async () => {
    const stream = getLocalMedia().stream;
    if (!stream || stream.getAudioTracks().length === 0) return;
    const result = await measureMicrophone(stream);
    patch((f) => ({ ...f, microphone: { ...f.microphone, ...result, label: stream.getAudioTracks()[0]?.label } }));
  }, [patch]);

  useEffect(() => {
    live.current = true;
    const started = performance.now();
    setFinished(false);
    const fresh = initialFindings();
    setFindings(fresh);

    let devicesMs: number | undefined;
    let acquireMs: number | undefined;
    let networkMs: number | undefined;
    const devices = (async () => {
      const media = await acquireMedia();
      acquireMs = Math.round(performance.now() - started);
      patch((f) => ({
        ...f,
        camera: { status: media.camera, errorName: media.cameraError },
        microphone: { status: media.microphone, errorName: media.microphoneError },
      }));
      await Promise.all([checkCamera(), checkMicrophone()]);
      devicesMs = Math.round(performance.now() - started);
    })();
    const permissions = Promise.all([queryPermission('camera'), queryPermission('microphone')]).then(([camera, microphone]) =>
      patch((f) => ({ ...f, permissions: { camera, microphone } })),
    );
    const network = fresh.browser.hasPeerConnection
      ? checkNetwork()
      : connectHub(5000).then(
          () => ({ hub: 'reachable' as const, relay: 'skipped' as const, candidateTypes: [] }),
          () => ({ hub: 'unreachable' as const, relay: 'skipped' as const, candidateTypes: [] }),
        );
    void network.then((n) => {
      networkMs = Math.round(performance.now() - started);
      const { turn, ...found } = n as NetworkFindings;
      patch((f) => ({ ...f, network: { ...found, online: navigator.onLine } }));
      // The connection test goes on in the background: Begin video visit does not wait for it.
      if (!turn || !live.current) {
        patch((f) => ({ ...f, path: { state: 'skipped', results: [] } }));
        return;
      }
      void measurePath(turn, (path) => patch((f) => ({ ...f, path }))).then((path) => {
        patch((f) => ({ ...f, path }));
        pathDone.current?.(path);
      });
    });

    void Promise.allSettled([devices, permissions, network]).then((results) => {
      results.forEach((r) => r.status === 'rejected' && log.warn('check failed', String(r.reason)));
      if (!live.current) return;
      const finishedAt = new Date().toISOString();
      const now = performance.now();
      patch((f) => ({
        ...f,
        finishedAt,
        durationMs: Math.round(now - started),
        timings: { acquireMs, devicesMs, networkMs, sincePageOpenMs: Math.round(now) },
      }));
      setFinished(true);
    });
    return () => {
      live.current = false;
    };
  }, [run, patch, checkCamera, checkMicrophone]);

  const report = finish(findings, finished);

  useEffect(() => {
    window.__precheckReport = report;
  }, [report]);

  const chooseDevice = useCallback(
    async (kind: DeviceKind, deviceId: string) => {
      await switchDevice(kind, deviceId);
      const media = getLocalMedia();
      if (kind === 'camera') {
        patch((f) => ({ ...f, camera: { status: media.camera } }));
        await checkCamera();
      } else {
        patch((f) => ({ ...f, microphone: { status: media.microphone } }));
        await checkMicrophone();
      }
    },
    [patch, checkCamera, checkMicrophone],
  );

  /** Must run inside the click handler: browsers allow pop-ups only from a user's action. */
  const testPopups = useCallback((text: string) => {
    let opened: Window | null = null;
    try {
      opened = window.open('', 'videovisit-popup-test', 'popup,width=360,height=200');
    } catch {
      opened = null;
    }
    const allowed = !!opened && !opened.closed;
    if (opened) {
      try {
        opened.document.title = text;
        opened.document.body.textContent = text;
      } catch {
        // cross-origin or already closed
      }
      window.setTimeout(() => opened?.close(), 800);
    }
    patch((f) => ({ ...f, popup: allowed ? 'allowed' : 'blocked' }));
  }, [patch]);

  const answerSpeaker = useCallback(
    (heard: boolean) => patch((f) => ({ ...f, speaker: { ...f.speaker, test: heard ? 'heard' : 'not-heard' } })),
    [patch],
  );

  const retry = useCallback(() => setRun((n) => n + 1), []);

  return { report, videoRef, chooseDevice, testPopups, answerSpeaker, retry };
}

/** A short 440 Hz tone as a WAV blob, played through an <audio> element so setSinkId applies. */
export function toneUrl(): string {
  const rate = 22050;
  const seconds = 1.2;
  const n = Math.floor(rate * seconds);
  const buffer = new ArrayBuffer(44 + n * 2);
  const v = new DataView(buffer);
  const text = (offset: number, s: string) => [...s].forEach((c, i) => v.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  v.setUint32(4, 36 + n * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++) {
    const fade = Math.min(1, i / 800, (n - i) / 800);
    v.setInt16(44 + i * 2, Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 0.3 * fade * 32767), true);
  }
  return URL.createObjectURL(new Blob([buffer], { type: 'audio/wav' }));
}
