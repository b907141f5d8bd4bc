// The call: a PeerMesh to every other admitted participant, fed by the hub's Signal events and
// the VisitState snapshots. Signals that arrive before the mesh exists are kept and replayed.
import { useEffect, useRef, useState } from 'react';
import { needsRefresh } from '../../services/iceCredentials';
import { api } from '../../services/api';
import { onHub, visitHub, type SignalMessage, type VisitSnapshot } from '../../services/hub';
import { acquireMedia, getLocalMedia, startScreenCapture } from '../../services/media';
import { settings } from '../../services/settings';
import { PeerMesh, type NegotiationCounters, type PeerInfo } from '../../services/webrtc';
import { createLogger } from '../../services/log';

const log = createLogger('call');

export interface CallDebug {
  admittedAt: number | null;
  /** First time each step happened since admission (performance.now()). */
  marks: Record<string, number>;
  firstRemoteFrameAt: Record<string, number>;
  peers: () => Array<Omit<PeerInfo, 'stream' | 'screen'> & { screen: string | null }>;
  /** How negotiation went: offers sent, glare collisions and how they were resolved. */
  negotiation: () => NegotiationCounters | null;
  /** Test hooks: hold incoming signals, and renegotiate every connection now. */
  holdSignals: (hold: boolean) => void;
  renegotiate: () => void;
  /**
   * Test hook: give up every connection and make it anew (the last resort for a stuck one), now or
   * while the next incoming offer is being applied.
   */
  renewConnections: (whileApplyingNextOffer?: boolean) => void;
  /** Test hook: every connection is between negotiations (signaling state stable). */
  stable: () => boolean;
  /** Test hook: each connection's signaling state, for a failing test to print. */
  negotiationState: () => unknown;
  /** The screen this page shares (a test ends its track as the browser's "Stop sharing" bar does). */
  screen: () => MediaStream | null;
}

declare global {
  interface Window {
    /** Call internals for tests and the benchmark: timings (performance.now()) and peer paths. */
    __videovisitCall?: CallDebug;
  }
}

const debug: CallDebug = {
  admittedAt: null,
  marks: {},
  firstRemoteFrameAt: {},
  peers: () => [],
  negotiation: () => null,
  holdSignals: () => undefined,
  renegotiate: () => undefined,
  renewConnections: () => undefined,
  stable: () => false,
  negotiationState: () => null,
  screen: () => null,
};
const mark = (name: string) => {
  debug.marks[name] ??= performance.now();
};
window.__videovisitCall = debug;
/** When each mesh of this page was made (a test prints it when negotiation does not settle). */
const meshesMade: number[] = [];

export function recordFirstFrame(participantId: string) {
  if (debug.firstRemoteFrameAt[participantId] === undefined) debug.firstRemoteFrameAt[participantId] = performance.now();
}

let iceCache: Promise<RTCIceServer[]> | null = null;
let iceFetched: { servers: RTCIceServer[]; at: number } | null = null;
/** The ICE servers, fetched again once their TURN credentials are half-way to expiry. */
export function prefetchIceServers(): Promise<RTCIceServer[]> {
  if (iceFetched && needsRefresh(iceFetched.servers, iceFetched.at, Date.now())) iceCache = null;
  iceCache ??= api.iceServers().then(
    (servers) => {
      iceFetched = { servers, at: Date.now() };
      return servers;
    },
    (e: Error) => {
      log.warn('ice-servers failed', e.message);
      iceCache = null;
      return [];
    },
  );
  return iceCache;
}

export function useCall(active: boolean, visitId: string | null, selfId: string | null, snapshot: VisitSnapshot | null) {
  const mesh = useRef<PeerMesh | null>(null);
  const pending = useRef<SignalMessage[]>([]);
  const [peers, setPeers] = useState<PeerInfo[]>([]);
  const [meshVersion, setMeshVersion] = useState(0);
  const [screen, setScreen] = useState<MediaStream | null>(null);
  const [screenError, setScreenError] = useState<string | null>(null);

  // Signals can come before we know we are admitted: keep them until the mesh exists.
  useEffect(
    () =>
      onHub('Signal', (m) => {
        if (mesh.current) void mesh.current.handleSignal(m);
        else pending.current.push(m);
      }),
    [],
  );

  useEffect(() => {
    if (!active || !visitId || !selfId) return;
    debug.admittedAt = performance.now();
    debug.marks = {};
    debug.firstRemoteFrameAt = {};
    let cancelled = false;
    let created: PeerMesh | null = null;
    void (async () => {
      const [iceServers] = await Promise.all([
        prefetchIceServers(),
        getLocalMedia().stream ? Promise.resolve() : acquireMedia().then(() => undefined),
      ]);
      if (cancelled) return;
      created = new PeerMesh({
        visitId,
        selfId,
        iceServers,
        relayOnly: settings.relayOnly,
        localStream: () => getLocalMedia().stream,
        send: (to, kind, payload) => visitHub.sendSignal(visitId, to, kind, payload),
        mark,
        onChange: () => {
          const list = created?.list() ?? [];
          // A closed connection's first frame no longer counts: the next one is timed afresh.
          for (const id of Object.keys(debug.firstRemoteFrameAt)) {
            if (!list.some((p) => p.participantId === id && p.stream)) delete debug.firstRemoteFrameAt[id];
          }
          setPeers(list);
        },
      });
      mesh.current = created;
      mark('mesh');
      debug.peers = () => (created?.list() ?? []).map(({ stream: _s, screen, ...rest }) => ({ ...rest, screen: screen ? screen.id : null }));
      debug.negotiation = () => (created ? { ...created.counters } : null);
      debug.holdSignals = (hold) => created?.holdSignals(hold);
      debug.stable = () => created?.isStable() ?? false;
      meshesMade.push(Date.now() % 1_000_000);
      debug.negotiationState = () => (created ? { meshesMade, ...created.negotiationState() } : null);
      debug.renegotiate = () => created?.restartIce();
      debug.renewConnections = (whileApplyingNextOffer) => created?.renewAll(whileApplyingNextOffer);
      for (const m of pending.current.splice(0)) void created.handleSignal(m);
      setPeers(created.list());
      setMeshVersion((v) => v + 1);
    })();
    // A long call keeps valid TURN credentials for the ICE restarts it may need.
    const refresher = window.setInterval(() => {
      if (!created || !iceFetched || !needsRefresh(iceFetched.servers, iceFetched.at, Date.now())) return;
      void prefetchIceServers().then((servers) => {
        if (servers.length > 0) created?.updateIceServers(servers);
      });
    }, 10_000);
    return () => {
      cancelled = true;
      window.clearInterval(refresher);
      created?.close();
      setScreen((s) => {
        s?.getTracks().forEach((t) => t.stop());
        return null;
      });
      if (mesh.current === created) mesh.current = null;
      pending.current = [];
      setPeers([]);
    };
  }, [active, visitId, selfId]);

  // Keep one connection to each other admitted participant.
  // A participant whose hub connection dropped ("reconnecting") keeps their peer connection: media
  // may still flow, and their seat is held for the grace period.
  const others = (snapshot?.participants ?? [])
    .filter((p) => (p.state === 'admitted' || p.state === 'reconnecting') && p.participantId !== selfId)
    .map((p) => `${p.participantId}=${p.state}`)
    .sort()
    .join(',');
  useEffect(() => {
    if (!active || !mesh.current) return;
    mesh.current.sync(
      others
        ? others.split(',').map((pair) => {
            const [id, state] = pair.split('=');
            return { id, state };
          })
        : [],
    );
    // The snapshot's version too: after our own hub reconnects, offers refused meanwhile are redone.
  }, [active, others, meshVersion, snapshot?.version]);

  // Screen share: a getDisplayMedia track sent to everyone; stopping from the browser's own bar
  // ends the track, which we notice and stop sharing.
  useEffect(() => {
    debug.screen = () => screen;
    if (!screen) return;
    const track = screen.getVideoTracks()[0];
    if (!track) return;
    mesh.current?.setScreen({ track, stream: screen });
    mark('screen-share-started');
    const ended = () => {
      mark('screen-share-ended');
      setScreen(null);
    };
    track.addEventListener('ended', ended);
    return () => {
      track.removeEventListener('ended', ended);
      track.stop();
      mesh.current?.setScreen(null);
    };
  }, [screen, meshVersion]);

  async function startScreenShare() {
    setScreenError(null);
    try {
      const stream = await startScreenCapture();
      setScreen(stream);
    } catch (e) {
      const name = (e as Error).name;
      // The person cancelled the browser's picker: not an error worth a message.
      if (name !== 'NotAllowedError' && name !== 'AbortError') setScreenError(name || 'error');
    }
  }

  // A changed network (Wi-Fi to mobile, VPN, back online): new ICE on every connection.
  useEffect(() => {
    if (!active) return;
    const restart = () => mesh.current?.restartIce();
    const connection = (navigator as Navigator & { connection?: EventTarget }).connection;
    window.addEventListener('online', restart);
    connection?.addEventListener('change', restart);
    return () => {
      window.removeEventListener('online', restart);
      connection?.removeEventListener('change', restart);
    };
  }, [active]);

  return {
    peers,
    screen,
    screenError,
    startScreenShare: () => void startScreenShare(),
    stopScreenShare: () => setScreen(null),
    replaceTrack: (kind: 'audio' | 'video', track: MediaStreamTrack | null) => mesh.current?.replaceTrack(kind, track),
  };
}
