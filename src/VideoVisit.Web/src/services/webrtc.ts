// The one place the app touches RTCPeerConnection. A visit is a mesh: one connection per pair of
// admitted participants. The participant with the smaller id makes the offer, so exactly one side
// offers and there is no glare; the other side answers and asks for an ICE restart with a
// `restart` signal when its path fails. Signals are JSON strings carried by the hub.
import { createLogger } from './log';
import type { SignalKind, SignalMessage } from './hub';

const log = createLogger('webrtc');

export type PathKind = 'direct' | 'relay' | 'unknown';
export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

export interface PeerInfo {
  participantId: string;
  connectionState: RTCPeerConnectionState | 'new';
  path: PathKind;
  localCandidateType?: string;
  remoteCandidateType?: string;
  relayProtocol?: string;
  rttMs?: number;
  lossPercent?: number;
  quality: Quality;
  stream: MediaStream | null;
  disconnectedSince?: number;
}

export interface MeshOptions {
  visitId: string;
  selfId: string;
  iceServers: RTCIceServer[];
  relayOnly: boolean;
  localStream: () => MediaStream | null;
  send: (to: string, kind: SignalKind, payload: unknown) => Promise<void>;
  onChange: () => void;
  /** Timeline marks for diagnostics and the benchmark (first occurrence counts). */
  mark?: (name: string) => void;
}

interface Peer {
  id: string;
  pc: RTCPeerConnection;
  offerer: boolean;
  info: PeerInfo;
  pendingCandidates: RTCIceCandidateInit[];
  makingOffer: boolean;
  offerTimer?: number;
  lastRestart?: number;
}

export function isOfferer(selfId: string, otherId: string) {
  return selfId < otherId;
}

export function qualityOf(rttMs?: number, lossPercent?: number): Quality {
  if (rttMs === undefined && lossPercent === undefined) return 'unknown';
  const rtt = rttMs ?? 0;
  const loss = lossPercent ?? 0;
  if (rtt > 400 || loss > 8) return 'poor';
  if (rtt > 200 || loss > 3) return 'fair';
  return 'good';
}

export class PeerMesh {
  private readonly peers = new Map<string, Peer>();
  private readonly early = new Map<string, RTCIceCandidateInit[]>();
  private readonly lastStates = new Map<string, string>();
  private synced = false;
  private statsTimer: number;
  private closed = false;

  constructor(private readonly options: MeshOptions) {
    this.statsTimer = window.setInterval(() => void this.pollStats(), 2000);
  }

  /**
   * Keep one connection per other participant who is admitted, or reconnecting (their seat is held,
   * media may still flow). One who comes back from reconnecting on a broken connection has a new
   * page: the offerer starts a fresh connection to it, the answerer asks for one.
   */
  sync(others: Array<{ id: string; state: string }>) {
    const wanted = new Set(others.map((o) => o.id));
    if (!this.synced) {
      // A fresh mesh says hello to those who offer to us, so one holding a connection to our
      // previous page (before a reload) replaces it at once instead of waiting for it to fail.
      this.synced = true;
      for (const { id, state } of others) {
        if (state === 'admitted' && !isOfferer(this.options.selfId, id) && !this.peers.has(id)) {
          void this.options.send(id, 'restart', { hello: true }).catch(() => undefined);
        }
      }
    }
    for (const id of [...this.peers.keys()]) {
      if (!wanted.has(id)) this.drop(id);
    }
    for (const { id, state } of others) {
      const before = this.lastStates.get(id);
      this.lastStates.set(id, state);
      const offerer = isOfferer(this.options.selfId, id);
      const existing = this.peers.get(id);
      const cameBack = before === 'reconnecting' && state === 'admitted' && existing && existing.pc.connectionState !== 'connected';
      if (cameBack) {
        if (offerer) {
          this.drop(id);
          void this.offer(this.create(id), false);
        } else {
          this.requestRestart(existing);
        }
        continue;
      }
      if (!offerer || state !== 'admitted') continue;
      if (!existing) void this.offer(this.create(id), false);
      else if (!existing.pc.localDescription && !existing.makingOffer) void this.offer(existing, false);
    }
  }

  list(): PeerInfo[] {
    return [...this.peers.values()].map((p) => p.info);
  }

  async handleSignal(message: SignalMessage) {
    if (this.closed) return;
    const from = message.fromParticipantId;
    const payload = message.payload;
    try {
      switch (message.kind) {
        case 'offer': {
          this.options.mark?.('offer-received');
          const description = parseDescription(payload, 'offer');
          const existing = this.peers.get(from);
          // A new DTLS fingerprint means the other side has a new connection (it reloaded and
          // resumed its seat): start ours afresh instead of renegotiating the dead one.
          if (existing?.pc.remoteDescription && fingerprint(existing.pc.remoteDescription.sdp) !== fingerprint(description.sdp ?? '')) {
            this.drop(from);
          }
          const peer = this.peers.get(from) ?? this.create(from);
          if (peer.pc.signalingState !== 'stable' && peer.offerer) {
            // Cannot happen with the id rule unless ids changed; prefer the remote offer.
            await peer.pc.setLocalDescription({ type: 'rollback' });
          }
          await peer.pc.setRemoteDescription(description);
          this.attachLocalTracks(peer);
          await this.flushCandidates(peer);
          const answer = await peer.pc.createAnswer();
          await peer.pc.setLocalDescription(answer);
          await this.options.send(from, 'answer', describe(peer.pc.localDescription));
          this.options.mark?.('answer-sent');
          break;
        }
        case 'answer': {
          const peer = this.peers.get(from);
          if (!peer || peer.pc.signalingState !== 'have-local-offer') return;
          const answer = parseDescription(payload, 'answer');
          if (peer.pc.remoteDescription && fingerprint(peer.pc.remoteDescription.sdp) !== fingerprint(answer.sdp ?? '')) {
            // Answered by a new connection on the other side (it reloaded): start afresh.
            this.drop(from);
            void this.offer(this.create(from), false);
            return;
          }
          this.options.mark?.('answer-received');
          await peer.pc.setRemoteDescription(answer);
          await this.flushCandidates(peer);
          break;
        }
        case 'ice': {
          const peer = this.peers.get(from);
          const candidate = (typeof payload === 'string' ? JSON.parse(payload) : payload) as RTCIceCandidateInit;
          if (!peer) {
            // Candidates can outrun the offer through the hub; keep them for the connection to come
            // (late ones from a closed connection are harmless: their ufrag no longer matches).
            const early = this.early.get(from) ?? [];
            early.push(candidate);
            this.early.set(from, early.slice(-50));
            return;
          }
          if (!peer.pc.remoteDescription) {
            peer.pendingCandidates.push(candidate);
            return;
          }
          await peer.pc.addIceCandidate(candidate).catch((e) => log.warn('addIceCandidate', (e as Error).message));
          break;
        }
        case 'restart': {
          if (!isOfferer(this.options.selfId, from)) break;
          const existing = this.peers.get(from);
          if ((payload as { hello?: boolean } | null)?.hello) {
            // The other side has a new page (it reloaded and resumed its seat). A connection we
            // negotiated before is dead on its side: start a fresh one. One still being negotiated
            // is the first and already on its way.
            if (existing?.pc.remoteDescription) this.drop(from);
            else if (existing) break;
            void this.offer(this.create(from), false);
            break;
          }
          void this.offer(existing ?? this.create(from), true);
          break;
        }
      }
    } catch (e) {
      log.warn(`signal ${message.kind} failed`, (e as Error).message);
    }
  }

  /** Swap the outgoing camera or microphone track without renegotiating. */
  async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null) {
    for (const peer of this.peers.values()) {
      for (const t of peer.pc.getTransceivers()) {
        const k = t.receiver.track?.kind;
        if (k === kind && (t.direction === 'sendrecv' || t.direction === 'sendonly')) {
          await t.sender.replaceTrack(track).catch(() => undefined);
        }
      }
    }
  }

  /** After a network change: new ICE on every connection (offerers restart, answerers ask). */
  restartIce() {
    for (const peer of this.peers.values()) this.requestRestart(peer);
  }

  close() {
    this.closed = true;
    window.clearInterval(this.statsTimer);
    for (const id of [...this.peers.keys()]) this.drop(id);
  }

  private requestRestart(peer: Peer) {
    if (peer.offerer) void this.offer(peer, true);
    else {
      this.options.mark?.('restart-requested');
      void this.options.send(peer.id, 'restart', {}).catch(() => undefined);
    }
  }

  private create(id: string): Peer {
    const pc = new RTCPeerConnection({
      iceServers: this.options.iceServers,
      iceTransportPolicy: this.options.relayOnly ? 'relay' : 'all',
    });
    const peer: Peer = {
      id,
      pc,
      offerer: isOfferer(this.options.selfId, id),
      pendingCandidates: this.early.get(id) ?? [],
      makingOffer: false,
      info: { participantId: id, connectionState: 'new', path: 'unknown', quality: 'unknown', stream: null },
    };
    this.peers.set(id, peer);
    this.early.delete(id);
    pc.onicecandidate = (e) => {
      if (e.candidate) {
        void this.options.send(id, 'ice', e.candidate.toJSON()).catch(() => undefined);
      }
    };
    pc.oniceconnectionstatechange = () => this.options.mark?.(`ice-${pc.iceConnectionState}`);
    pc.ontrack = (e) => {
      this.options.mark?.('track');
      const stream = e.streams[0] ?? peer.info.stream ?? new MediaStream();
      if (!stream.getTracks().includes(e.track)) stream.addTrack(e.track);
      peer.info = { ...peer.info, stream };
      this.options.onChange();
    };
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      peer.info = {
        ...peer.info,
        connectionState: state,
        disconnectedSince:
          state === 'disconnected' || state === 'failed' ? peer.info.disconnectedSince ?? Date.now() : undefined,
      };
      if (state === 'failed') {
        peer.lastRestart = Date.now();
        this.requestRestart(peer);
      }
      this.options.mark?.(`pc-${state}`);
      if (state === 'connected') void this.pollStats();
      this.options.onChange();
    };
    if (peer.offerer) this.attachLocalTracks(peer);
    return peer;
  }

  // One audio and one video transceiver per connection, sending when we have the track, so the
  // other side can still send video to a participant without a camera.
  private attachLocalTracks(peer: Peer) {
    const stream = this.options.localStream();
    for (const kind of ['audio', 'video'] as const) {
      const track = stream?.getTracks().find((t) => t.kind === kind && t.readyState === 'live') ?? null;
      const existing = peer.pc
        .getTransceivers()
        .find((t) => t.receiver.track?.kind === kind && t.currentDirection !== 'stopped');
      if (existing) {
        if (!existing.sender.track && track) {
          existing.direction = 'sendrecv';
          void existing.sender.replaceTrack(track);
          if (stream) existing.sender.setStreams?.(stream);
        }
      } else if (track && stream) {
        peer.pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      } else {
        peer.pc.addTransceiver(kind, { direction: 'sendrecv' });
      }
    }
  }

  private async offer(peer: Peer, iceRestart: boolean) {
    if (peer.makingOffer || this.closed) return;
    peer.makingOffer = true;
    try {
      if (iceRestart) {
        peer.pc.restartIce();
        this.options.mark?.('ice-restart');
      }
      const offer = await peer.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      await peer.pc.setLocalDescription(offer);
      await this.options.send(peer.id, 'offer', describe(peer.pc.localDescription));
      this.options.mark?.('offer-sent');
      window.clearTimeout(peer.offerTimer);
      // If no answer comes (the other side was still joining), offer again.
      peer.offerTimer = window.setTimeout(() => {
        if (this.peers.get(peer.id) === peer && peer.pc.signalingState === 'have-local-offer') {
          void peer.pc.setLocalDescription({ type: 'rollback' }).then(() => this.offer(peer, false)).catch(() => undefined);
        }
      }, 8000);
    } catch (e) {
      log.warn('offer failed', (e as Error).message);
    } finally {
      peer.makingOffer = false;
    }
  }

  private async flushCandidates(peer: Peer) {
    const pending = peer.pendingCandidates.splice(0);
    for (const c of pending) await peer.pc.addIceCandidate(c).catch(() => undefined);
  }

  private drop(id: string) {
    const peer = this.peers.get(id);
    if (!peer) return;
    window.clearTimeout(peer.offerTimer);
    peer.pc.onicecandidate = null;
    peer.pc.ontrack = null;
    peer.pc.onconnectionstatechange = null;
    peer.pc.oniceconnectionstatechange = null;
    peer.pc.close();
    this.peers.delete(id);
    this.options.onChange();
  }

  private async pollStats() {
    let changed = false;
    for (const peer of this.peers.values()) {
      // A restart request can be lost while the other side is away (its seat is "reconnecting"
      // and the hub refuses signals to it): keep asking every few seconds until it comes back.
      const state = peer.pc.connectionState;
      if ((state === 'failed' || state === 'disconnected') && Date.now() - (peer.lastRestart ?? 0) > 5000) {
        peer.lastRestart = Date.now();
        this.requestRestart(peer);
      }
      if (peer.pc.connectionState !== 'connected') continue;
      try {
        const summary = selectedPath(await peer.pc.getStats());
        const quality = qualityOf(summary.rttMs, summary.lossPercent);
        const next = { ...peer.info, ...summary, quality };
        if (JSON.stringify({ ...next, stream: null }) !== JSON.stringify({ ...peer.info, stream: null })) {
          peer.info = next;
          changed = true;
        }
      } catch {
        // The connection closed while we were reading it.
      }
    }
    if (changed) this.options.onChange();
  }
}

function fingerprint(sdp: string): string {
  return sdp.match(/a=fingerprint:[^\r\n]+/)?.[0] ?? '';
}

function describe(d: RTCSessionDescription | null): RTCSessionDescriptionInit | null {
  return d ? { type: d.type, sdp: d.sdp } : null;
}

/** Offers and answers travel as {type, sdp}; a bare SDP string is accepted too. */
function parseDescription(payload: unknown, type: RTCSdpType): RTCSessionDescriptionInit {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { type, sdp: value as string };
    }
  }
  const parsed = value as RTCSessionDescriptionInit;
  return { type: parsed?.type ?? type, sdp: parsed?.sdp ?? '' };
}

interface StatsLike {
  forEach(cb: (value: Record<string, unknown>) => void): void;
  get(id: string): Record<string, unknown> | undefined;
}

/** The selected candidate pair: Chrome names it on the transport, Firefox flags it `selected`. */
export function selectedPath(report: RTCStatsReport): Omit<PeerInfo, 'participantId' | 'connectionState' | 'quality' | 'stream'> {
  const stats = report as unknown as StatsLike;
  let pair: Record<string, unknown> | undefined;
  stats.forEach((s) => {
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') {
      pair = stats.get(s.selectedCandidatePairId) ?? pair;
    }
  });
  if (!pair) {
    stats.forEach((s) => {
      if (s.type === 'candidate-pair' && (s.selected === true || (s.nominated === true && s.state === 'succeeded'))) {
        pair = pair ?? s;
      }
    });
  }
  let lost = 0;
  let received = 0;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp') {
      lost += Number(s.packetsLost ?? 0);
      received += Number(s.packetsReceived ?? 0);
    }
  });
  const lossPercent = received + lost > 0 ? (100 * lost) / (received + lost) : undefined;
  if (!pair) return { path: 'unknown', lossPercent };
  const local = stats.get(String(pair.localCandidateId));
  const remote = stats.get(String(pair.remoteCandidateId));
  const localType = local?.candidateType as string | undefined;
  const remoteType = remote?.candidateType as string | undefined;
  const rtt = typeof pair.currentRoundTripTime === 'number' ? Math.round(pair.currentRoundTripTime * 1000) : undefined;
  return {
    path: localType === 'relay' || remoteType === 'relay' ? 'relay' : localType ? 'direct' : 'unknown',
    localCandidateType: localType,
    remoteCandidateType: remoteType,
    relayProtocol: (local?.relayProtocol as string | undefined) ?? undefined,
    rttMs: rtt,
    lossPercent,
  };
}
