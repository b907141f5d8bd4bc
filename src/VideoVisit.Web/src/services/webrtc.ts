// The one place the app touches RTCPeerConnection. A visit is a mesh: one connection per pair of
// admitted participants, negotiated with the W3C "perfect negotiation" pattern: either side may
// renegotiate at any time (tracks added or removed, screen share, ICE restart on failure); on glare
// the polite side (the larger participant id) rolls back and the impolite side ignores the other's
// offer. Signals are JSON objects carried by the hub; each names the sender's session (one per mesh)
// so a reloaded page is recognised by its first offer and its connection replaced at once.
import { createLogger } from './log';
import type { SignalKind, SignalMessage } from './hub';
import { connectionAction, isPolite, onDescription, sessionAction, shouldRenew } from './negotiation';
import {
  classify,
  initialPlan,
  intervalLoss,
  maxBitrateFor,
  nextPlan,
  type Quality,
  type QualityReason,
  type SendPlan,
} from './quality';

export type { Quality } from './quality';

const log = createLogger('webrtc');

export type PathKind = 'direct' | 'relay' | 'unknown';

export interface PeerInfo {
  participantId: string;
  connectionState: RTCPeerConnectionState | 'new';
  path: PathKind;
  localCandidateType?: string;
  remoteCandidateType?: string;
  relayProtocol?: string;
  rttMs?: number;
  lossPercent?: number;
  jitterMs?: number;
  availableKbps?: number;
  /** The loudness of their audio as received (0–1), for the active speaker. */
  audioLevel?: number;
  quality: Quality;
  qualityReason: QualityReason;
  /** What we send to this peer: false = audio only because the path cannot carry video. */
  sendingVideo: boolean;
  /** The ceiling set on our video sender to this peer (kbit/s). */
  videoKbps?: number;
  stream: MediaStream | null;
  /** The peer's shared screen, when it shares one. */
  screen: MediaStream | null;
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

/** What travels in a signal's payload. */
interface Envelope {
  session?: string;
  to?: string | null;
  /** The sender's RTCPeerConnection, and ours that the signal is meant for (once known). */
  conn?: string;
  toConn?: string | null;
  description?: RTCSessionDescriptionInit;
  candidate?: RTCIceCandidateInit | null;
  /** The id of the sender's screen-share stream, or null when it shares nothing. */
  screen?: string | null;
}

interface Peer {
  id: string;
  pc: RTCPeerConnection;
  /** This connection's id; a connection made anew gets a new one. */
  conn: string;
  /** The other side's connection we negotiate with, once heard from. */
  remoteConn?: string;
  /** When the connection was made or last stopped being connected; undefined while connected. */
  notConnectedSince?: number;
  polite: boolean;
  remoteSession?: string;
  remoteScreenId: string | null;
  makingOffer: boolean;
  /** Our offer's setLocalDescription while it is in flight (settles either way). */
  ownOffer?: Promise<void>;
  /** The ICE username fragment of our latest local candidate. */
  gatheredUfrag?: string;
  ignoreOffer: boolean;
  settingRemoteAnswer: boolean;
  /** An offer we sent was refused by the hub (the other side was away): renegotiate when it is back. */
  offerLost: boolean;
  screenSender?: RTCRtpSender;
  /**
   * Candidates that matched no remote description when they came (those of an offer we ignored in
   * glare, or ahead of their description): kept, and added once a description with their ICE
   * username fragment is set. An engine that answers after rolling back its own ICE-restart offer
   * may answer with that offer's credentials and not gather again, so its candidates came earlier.
   */
  strayCandidates: RTCIceCandidateInit[];
  plan: SendPlan;
  /** What happened on this connection, newest last and bounded, for a failing test to print. */
  trace: string[];
  /**
   * Rejects with `Dropped` once this connection is closed. A closed RTCPeerConnection never settles
   * the operations still pending on it (the W3C spec aborts them), so every await on one races this:
   * a connection given up while its signal is being applied must not stall the signals after it.
   */
  dropped: Promise<never>;
  markDropped: () => void;
  /**
   * Made anew because the other side made a new connection, and not connected yet: giving it up too
   * would drop the other side's new offer (being applied to it) and refuse that connection's signals.
   */
  answersRenewal: boolean;
  createdAt: number;
  lastCounters?: { received: number; lost: number };
  lastReceived?: Map<string, number>;
  info: PeerInfo;
}

/** Counters for tests and diagnostics: how often glare happened and how it was resolved. */
export interface NegotiationCounters {
  offersSent: number;
  collisions: number;
  ignoredOffers: number;
  rollbacks: number;
  replacedSessions: number;
  /** Connections given up and made anew (by us, or because the other side did). */
  renewedConnections: number;
}

/** A connection was closed while an operation on it was pending. */
class Dropped extends Error {}

/** The operation's result, or `Dropped` as soon as the connection is closed (whichever comes first). */
function unlessDropped<T>(peer: Peer, operation: Promise<T>): Promise<T> {
  return Promise.race([operation, peer.dropped]);
}

function newSession() {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

export class PeerMesh {
  readonly session = newSession();
  readonly counters: NegotiationCounters = { offersSent: 0, collisions: 0, ignoredOffers: 0, rollbacks: 0, replacedSessions: 0, renewedConnections: 0 };
  private readonly peers = new Map<string, Peer>();
  private readonly retired = new Map<string, Set<string>>();
  /** The other sides' connections we have left: their late signals are dropped. */
  private readonly retiredConnections = new Set<string>();
  /** Connections made anew per participant since the pair was last connected (for the back-off). */
  private readonly renewals = new Map<string, number>();
  private readonly lastStates = new Map<string, string>();
  private screen: { track: MediaStreamTrack; stream: MediaStream } | null = null;
  private incoming: Promise<void> = Promise.resolve();
  private held: SignalMessage[] | null = null;
  /** The signal being applied now and since when, for a failing test to print (null when idle). */
  private applying: string | null = null;
  private renewWhileApplying = false;
  private statsTimer: number;
  private closed = false;
  /** Connections made and dropped, for a failing test to print. */
  private readonly events: string[] = [];
  /** The traces of the last connections made anew, for a failing test to print. */
  private readonly previous: Array<{ id: string; conn: string; trace: string[] }> = [];

  constructor(private readonly options: MeshOptions) {
    this.statsTimer = window.setInterval(() => void this.pollStats(), 2000);
  }

  /**
   * Keep one connection to each other admitted participant; one who is `reconnecting` keeps theirs
   * (their seat is held and media may still flow). Both sides create the connection and offer;
   * perfect negotiation settles who wins.
   */
  sync(others: Array<{ id: string; state: string }>) {
    if (this.closed) return;
    const wanted = new Set(others.map((o) => o.id));
    for (const id of [...this.peers.keys()]) {
      if (!wanted.has(id)) this.drop(id);
    }
    for (const { id, state } of others) {
      const before = this.lastStates.get(id);
      this.lastStates.set(id, state);
      if (state !== 'admitted') continue;
      const peer = this.peers.get(id);
      if (!peer) {
        this.create(id);
        continue;
      }
      // Back from an absence during which our offers may have been refused: negotiate again.
      const cameBack = before === 'reconnecting' && peer.pc.connectionState !== 'connected';
      // An ICE restart gets its full time before the connection would be made anew.
      if (cameBack) peer.notConnectedSince = Date.now();
      if (peer.offerLost || cameBack) void this.renegotiate(peer, true);
    }
  }

  list(): PeerInfo[] {
    return [...this.peers.values()].map((p) => p.info);
  }

  /** Signals are applied one at a time, in arrival order (a candidate must not overtake its offer). */
  handleSignal(message: SignalMessage): Promise<void> {
    if (this.held) {
      this.held.push(message);
      return Promise.resolve();
    }
    this.incoming = this.incoming
      .then(() => {
        this.applying = `${message.kind} since ${Date.now() % 1_000_000}`;
        const applied = this.apply(message);
        // Test hook: give up the connections while this offer's setRemoteDescription is pending.
        if (this.renewWhileApplying && message.kind === 'offer') {
          this.renewWhileApplying = false;
          this.renewAll();
        }
        return applied;
      })
      .catch((e) => {
        if (!(e instanceof Dropped)) log.warn(`signal ${message.kind} failed`, (e as Error).message);
      })
      .finally(() => {
        this.applying = null;
      });
    return this.incoming;
  }

  /** Every connection is between negotiations: no offer of ours or theirs is pending. */
  isStable(): boolean {
    return [...this.peers.values()].every((p) => p.pc.signalingState === 'stable' && !p.makingOffer);
  }

  /** Test hook: where each connection's negotiation stands, for a failing test to print. */
  negotiationState() {
    return {
      closed: this.closed,
      session: this.session.slice(0, 8),
      events: this.events,
      previous: this.previous,
      held: this.held?.length ?? null,
      applying: this.applying,
      peers: [...this.peers.values()].map((p) => ({
        id: p.id,
        conn: p.conn.slice(0, 8),
        remoteConn: p.remoteConn?.slice(0, 8),
        signalingState: p.pc.signalingState,
        iceConnectionState: p.pc.iceConnectionState,
        makingOffer: p.makingOffer,
        polite: p.polite,
        offerLost: p.offerLost,
        localUfrag: remoteFragments(p.pc.localDescription ?? {}).join(','),
        remoteUfrag: remoteFragments(p.pc.remoteDescription ?? {}).join(','),
        strays: p.strayCandidates.map((c) => c.usernameFragment).join(','),
        trace: p.trace,
      })),
    };
  }

  /** Test hook: keep incoming signals until released, so both sides can be made to offer at once. */
  holdSignals(hold: boolean) {
    if (hold) {
      this.held ??= [];
      return;
    }
    const queued = this.held ?? [];
    this.held = null;
    for (const m of queued) void this.handleSignal(m);
  }

  /**
   * Test hook: give up every connection and make it anew, as a stuck one is after `RenewAfterMs`:
   * now, or while the next incoming offer is being applied (its setRemoteDescription still pending).
   */
  renewAll(whileApplyingNextOffer = false) {
    if (whileApplyingNextOffer) {
      this.renewWhileApplying = true;
      return;
    }
    for (const peer of [...this.peers.values()]) {
      // Both sides giving up at once: this side already made anew the connection the other side's
      // new one asked for, moments ago; that is this side's new connection.
      if (peer.answersRenewal) this.events.push(`${Date.now() % 1_000_000} renew ${peer.id} skipped: already made anew for the other side's new connection`);
      else this.renew(peer, 'asked');
    }
  }

  /** Renegotiate every connection now (an ICE restart), as a network change does. */
  restartIce() {
    for (const peer of this.peers.values()) void this.renegotiate(peer, false);
  }

  /** Swap the outgoing camera or microphone track without renegotiating. */
  async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null) {
    for (const peer of this.peers.values()) {
      const sender = this.cameraSender(peer, kind);
      if (sender) await sender.replaceTrack(track).catch(() => undefined);
      else if (track) this.addLocalTracks(peer);
    }
  }

  /** Start (or stop, with null) sending a shared screen to everyone. */
  setScreen(share: { track: MediaStreamTrack; stream: MediaStream } | null) {
    this.screen = share;
    for (const peer of this.peers.values()) this.applyScreen(peer);
  }

  close() {
    this.closed = true;
    window.clearInterval(this.statsTimer);
    for (const id of [...this.peers.keys()]) this.drop(id);
  }

  private async apply(message: SignalMessage) {
    if (this.closed) return;
    const from = message.fromParticipantId;
    const envelope = parseEnvelope(message.payload);
    const existing = this.peers.get(from);
    const action = sessionAction(this.session, existing?.remoteSession, envelope, this.retired.get(from));
    if (action === 'stale') {
      if (existing) trace(existing, `stale ${message.kind} from ${envelope.session?.slice(0, 8)} to ${envelope.to?.slice(0, 8)}`);
      return;
    }
    if (action === 'replace' && existing) {
      // The other side has a new page (it reloaded and resumed its seat): the connection to its
      // previous page is dead; start afresh instead of renegotiating it.
      this.counters.replacedSessions++;
      this.drop(from);
    }
    const current = this.peers.get(from);
    const connection = connectionAction(current?.conn, current?.remoteConn, message.kind, envelope, this.retiredConnections);
    if (connection === 'stale') {
      if (current) trace(current, `stale ${message.kind} from connection ${envelope.conn?.slice(0, 8)} to ${envelope.toConn?.slice(0, 8)}`);
      return;
    }
    // The other side gave up its connection and made a new one: so do we, and take its offer there.
    if (connection === 'renew' && current) {
      this.renew(current, 'the other side made a new connection');
      const next = this.peers.get(from);
      if (next) next.answersRenewal = true;
    }
    // Only an offer may open a connection we do not hold; anything else is from a closed one.
    if (!this.peers.has(from) && message.kind !== 'offer') return;
    const peer = this.peers.get(from) ?? this.create(from);
    if (envelope.session) peer.remoteSession = envelope.session;
    if (envelope.conn) peer.remoteConn = envelope.conn;

    if (message.kind === 'offer' || message.kind === 'answer') {
      const description = envelope.description;
      if (!description?.sdp) return;
      const decision = onDescription(description.type, {
        polite: peer.polite,
        makingOffer: peer.makingOffer,
        signalingState: peer.pc.signalingState,
        settingRemoteAnswer: peer.settingRemoteAnswer,
      });
      if (decision.collision) this.counters.collisions++;
      trace(peer, `recv ${description.type} ufrag=${ufragOf(description)} in ${peer.pc.signalingState}${peer.makingOffer ? ' making' : ''} -> ${decision.action}${decision.collision ? ' (glare)' : ''}`);
      peer.ignoreOffer = decision.action === 'ignore';
      if (peer.ignoreOffer) {
        this.counters.ignoredOffers++;
        this.options.mark?.('glare-ignored');
        return;
      }
      if (decision.collision) {
        this.counters.rollbacks++;
        this.options.mark?.('glare-rollback');
        // Chromium: an offer rolled back before it has given its first candidate (its
        // setLocalDescription still in flight, or gathering only just begun) leaves that
        // connection's ICE agent dead: it never gathers a candidate again and ICE stays "new"
        // through every restart. Let our offer land and its first candidate come before the rollback.
        const inFlight = peer.makingOffer && peer.pc.signalingState === 'stable' && !!peer.ownOffer;
        if (inFlight) await unlessDropped(peer, peer.ownOffer!);
        if (inFlight || peer.pc.signalingState === 'have-local-offer') {
          const offered = remoteFragments(peer.pc.localDescription ?? {});
          if (!peer.gatheredUfrag || offered.indexOf(peer.gatheredUfrag) < 0) {
            await gatheringBegun(peer.pc, 1000);
            trace(peer, `own offer gave a candidate before its rollback (gathering ${peer.pc.iceGatheringState})`);
          }
        }
      }
      if (description.type === 'answer' && peer.pc.signalingState !== 'have-local-offer') return; // a late duplicate
      this.options.mark?.(`${description.type}-received`);
      if ('screen' in envelope) this.setRemoteScreen(peer, envelope.screen ?? null);
      peer.settingRemoteAnswer = description.type === 'answer';
      try {
        // A colliding offer rolls our own back implicitly (JSEP), which both engines do today.
        await unlessDropped(peer, peer.pc.setRemoteDescription(description));
      } finally {
        peer.settingRemoteAnswer = false;
      }
      await this.addStrayCandidates(peer);
      if (description.type === 'offer') {
        this.addLocalTracks(peer);
        await unlessDropped(peer, peer.pc.setLocalDescription());
        trace(peer, `send answer ufrag=${ufragOf(peer.pc.localDescription)}`);
        await this.send(peer, 'answer', { description: describe(peer.pc.localDescription) });
        this.options.mark?.('answer-sent');
      }
      return;
    }
    if (message.kind === 'ice') {
      if (!envelope.candidate) return;
      const candidate = envelope.candidate;
      const fragment = candidate.usernameFragment;
      if (fragment && peer.pc.remoteDescription && remoteFragments(peer.pc.remoteDescription).indexOf(fragment) < 0) {
        trace(peer, `recv ice ufrag=${fragment} kept (remote ${ufragOf(peer.pc.remoteDescription)})`);
        keepStray(peer, candidate);
        return;
      }
      try {
        await unlessDropped(peer, peer.pc.addIceCandidate(candidate));
        trace(peer, `recv ice ufrag=${fragment} added`);
      } catch (e) {
        if (e instanceof Dropped) throw e;
        trace(peer, `recv ice ufrag=${fragment} failed: ${(e as Error).message}`);
        // Candidates of an offer we ignored are expected to fail; they are kept in case an answer
        // with their credentials follows.
        if (fragment) keepStray(peer, candidate);
        if (!peer.ignoreOffer) log.warn('addIceCandidate', (e as Error).message);
      }
    }
  }

  /** Adds the kept candidates that belong to the remote description just set. */
  private async addStrayCandidates(peer: Peer) {
    const description = peer.pc.remoteDescription;
    if (!description || peer.strayCandidates.length === 0) return;
    const fragments = remoteFragments(description);
    const now = peer.strayCandidates.filter((c) => c.usernameFragment && fragments.indexOf(c.usernameFragment) >= 0);
    peer.strayCandidates = peer.strayCandidates.filter((c) => now.indexOf(c) < 0);
    if (now.length) trace(peer, `adding ${now.length} kept ice ufrag=${now[0].usernameFragment}`);
    for (const candidate of now) {
      await unlessDropped(peer, peer.pc.addIceCandidate(candidate).catch((e) => log.warn('addIceCandidate (kept)', (e as Error).message)));
    }
  }

  /** Fresh TURN credentials: for connections made from now on and the ICE restarts of those that exist. */
  updateIceServers(servers: RTCIceServer[]) {
    this.options.iceServers = servers;
    for (const peer of this.peers.values()) {
      try {
        peer.pc.setConfiguration({ ...peer.pc.getConfiguration(), iceServers: servers });
      } catch (e) {
        log.warn('setConfiguration', (e as Error).message);
      }
    }
  }

  private create(id: string): Peer {
    this.events.push(`${Date.now() % 1_000_000} create ${id}`);
    const pc = new RTCPeerConnection({
      iceServers: this.options.iceServers,
      iceTransportPolicy: this.options.relayOnly ? 'relay' : 'all',
    });
    let markDropped = () => undefined as void;
    const dropped = new Promise<never>((_, reject) => {
      markDropped = () => reject(new Dropped('connection closed'));
    });
    dropped.catch(() => undefined); // awaited only through unlessDropped
    const peer: Peer = {
      id,
      pc,
      conn: newSession(),
      notConnectedSince: Date.now(),
      polite: isPolite(this.options.selfId, id),
      remoteScreenId: null,
      makingOffer: false,
      ignoreOffer: false,
      settingRemoteAnswer: false,
      offerLost: false,
      strayCandidates: [],
      plan: initialPlan,
      trace: [],
      dropped,
      markDropped,
      answersRenewal: false,
      createdAt: Date.now() % 1_000_000,
      info: {
        participantId: id,
        connectionState: 'new',
        path: 'unknown',
        quality: 'unknown',
        qualityReason: null,
        sendingVideo: true,
        stream: null,
        screen: null,
      },
    };
    this.peers.set(id, peer);
    pc.onnegotiationneeded = () => {
      trace(peer, `negotiationneeded in ${pc.signalingState}`);
      void this.offer(peer);
    };
    pc.onicecandidate = (e) => {
      trace(peer, e.candidate ? `local ice ufrag=${e.candidate.usernameFragment} ${e.candidate.type}` : 'local ice end');
      if (e.candidate?.usernameFragment) peer.gatheredUfrag = e.candidate.usernameFragment;
      if (e.candidate) void this.send(peer, 'ice', { candidate: e.candidate.toJSON() }).catch(() => undefined);
    };
    pc.onsignalingstatechange = () => trace(peer, `signaling ${pc.signalingState}`);
    pc.onicegatheringstatechange = () => trace(peer, `gathering ${pc.iceGatheringState}`);
    pc.oniceconnectionstatechange = () => {
      trace(peer, `ice ${pc.iceConnectionState}`);
      this.options.mark?.(`ice-${pc.iceConnectionState}`);
    };
    pc.ontrack = (e) => {
      this.options.mark?.('track');
      const stream = e.streams[0];
      if (stream && peer.remoteScreenId && stream.id === peer.remoteScreenId) {
        peer.info = { ...peer.info, screen: stream };
      } else {
        const camera = stream ?? peer.info.stream ?? new MediaStream();
        if (!camera.getTracks().includes(e.track)) camera.addTrack(e.track);
        peer.info = { ...peer.info, stream: camera };
      }
      this.options.onChange();
    };
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      trace(peer, `connection ${state}`);
      if (state === 'connected') {
        peer.notConnectedSince = undefined;
        peer.answersRenewal = false;
        this.renewals.delete(peer.id);
      }
      else peer.notConnectedSince ??= Date.now();
      peer.info = {
        ...peer.info,
        connectionState: state,
        disconnectedSince:
          state === 'disconnected' || state === 'failed' ? peer.info.disconnectedSince ?? Date.now() : undefined,
      };
      // ICE restart on failure (the spec's recipe): negotiationneeded follows and offers anew.
      if (state === 'failed') void this.renegotiate(peer, false);
      this.options.mark?.(`pc-${state}`);
      if (state === 'connected') void this.pollStats();
      this.options.onChange();
    };
    this.addLocalTracks(peer);
    this.applyScreen(peer);
    return peer;
  }

  /**
   * Our camera and microphone on this connection. addTrack (not addTransceiver) so that after a
   * glare the transceivers pair up with the other side's m-lines instead of adding more. Without
   * any local track we still want to receive: recvonly transceivers make the connection offer.
   */
  private addLocalTracks(peer: Peer) {
    const stream = this.options.localStream();
    let any = false;
    for (const kind of ['audio', 'video'] as const) {
      const track = stream?.getTracks().find((t) => t.kind === kind && t.readyState === 'live') ?? null;
      const sender = this.cameraSender(peer, kind);
      if (sender) {
        any = true;
        if (!sender.track && track) void sender.replaceTrack(track);
        continue;
      }
      if (track && stream) {
        peer.pc.addTrack(track, stream);
        any = true;
      }
    }
    if (!any && peer.pc.getTransceivers().length === 0) {
      peer.pc.addTransceiver('audio', { direction: 'recvonly' });
      peer.pc.addTransceiver('video', { direction: 'recvonly' });
    }
  }

  /** The sender carrying our camera or microphone (not the screen share). */
  private cameraSender(peer: Peer, kind: 'audio' | 'video'): RTCRtpSender | undefined {
    return peer.pc
      .getTransceivers()
      .find(
        (t) =>
          t.sender !== peer.screenSender &&
          t.currentDirection !== 'stopped' &&
          (t.sender.track?.kind ?? t.receiver.track?.kind) === kind &&
          (t.direction === 'sendrecv' || t.direction === 'sendonly' || !!t.sender.track),
      )?.sender;
  }

  private applyScreen(peer: Peer) {
    const share = this.screen;
    if (share && !peer.screenSender) {
      peer.screenSender = peer.pc.addTrack(share.track, share.stream);
    } else if (share && peer.screenSender && peer.screenSender.track !== share.track) {
      void peer.screenSender.replaceTrack(share.track);
    } else if (!share && peer.screenSender) {
      try {
        peer.pc.removeTrack(peer.screenSender);
      } catch {
        // the connection is closed
      }
      peer.screenSender = undefined;
    }
  }

  private setRemoteScreen(peer: Peer, id: string | null) {
    peer.remoteScreenId = id;
    if (!id && peer.info.screen) {
      peer.info = { ...peer.info, screen: null };
      this.options.onChange();
    }
  }

  private async offer(peer: Peer) {
    if (this.closed || this.peers.get(peer.id) !== peer) return;
    try {
      peer.makingOffer = true;
      const made = peer.pc.setLocalDescription();
      peer.ownOffer = made.then(
        () => undefined,
        () => undefined,
      );
      await unlessDropped(peer, made);
      if (peer.pc.signalingState !== 'have-local-offer') {
        trace(peer, `offer not made: ${peer.pc.signalingState}`);
        return;
      }
      trace(peer, `send offer ufrag=${ufragOf(peer.pc.localDescription)}`);
      this.counters.offersSent++;
      await this.send(peer, 'offer', { description: describe(peer.pc.localDescription) });
      peer.offerLost = false;
      this.options.mark?.('offer-sent');
    } catch (e) {
      if (e instanceof Dropped) return;
      // The hub refused it (the other side is away) or the connection closed meanwhile.
      trace(peer, `offer failed: ${(e as Error).message}`);
      peer.offerLost = true;
      log.warn('offer failed', (e as Error).message);
    } finally {
      peer.makingOffer = false;
    }
  }

  /** ICE restart: after a lost offer, roll it back first so negotiationneeded can fire again. */
  private async renegotiate(peer: Peer, rollbackLostOffer: boolean) {
    if (this.closed || peer.pc.signalingState === 'closed') return;
    if (rollbackLostOffer && peer.pc.signalingState === 'have-local-offer' && !peer.makingOffer) {
      await peer.pc.setLocalDescription({ type: 'rollback' }).catch(() => undefined);
    }
    peer.offerLost = false;
    trace(peer, `restartIce in ${peer.pc.signalingState}`);
    this.options.mark?.('ice-restart');
    peer.pc.restartIce();
  }

  private send(peer: Peer, kind: SignalKind, body: Envelope): Promise<void> {
    const envelope: Envelope = {
      ...body,
      session: this.session,
      to: peer.remoteSession ?? null,
      conn: peer.conn,
      toConn: peer.remoteConn ?? null,
      ...(body.description ? { screen: this.screen && peer.screenSender ? this.screen.stream.id : null } : {}),
    };
    return this.options.send(peer.id, kind, envelope);
  }

  private drop(id: string, retireSession = true) {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.events.push(`${Date.now() % 1_000_000} drop ${id} ${peer.pc.connectionState}`);
    if (peer.remoteConn) this.retiredConnections.add(peer.remoteConn);
    if (peer.remoteSession && retireSession) {
      const retired = this.retired.get(id) ?? new Set<string>();
      retired.add(peer.remoteSession);
      this.retired.set(id, retired);
    }
    peer.pc.onnegotiationneeded = null;
    peer.pc.onicecandidate = null;
    peer.pc.ontrack = null;
    peer.pc.onconnectionstatechange = null;
    peer.pc.oniceconnectionstatechange = null;
    peer.pc.onsignalingstatechange = null;
    peer.pc.onicegatheringstatechange = null;
    peer.pc.close();
    peer.markDropped();
    this.peers.delete(id);
    this.options.onChange();
  }

  /**
   * Gives up a connection and makes a new one to the same page (same session): the last resort for
   * one that ICE restarts did not bring back. The new connection's offer names a new connection id,
   * so the other side makes a new one too.
   */
  private renew(peer: Peer, why: string) {
    if (this.closed || this.peers.get(peer.id) !== peer) return;
    this.counters.renewedConnections++;
    this.renewals.set(peer.id, (this.renewals.get(peer.id) ?? 0) + 1);
    this.events.push(`${Date.now() % 1_000_000} renew ${peer.id}: ${why}${this.applying ? ` (applying ${this.applying})` : ''}`);
    log.info('connection made anew', why);
    this.options.mark?.('connection-renewed');
    const session = peer.remoteSession;
    this.previous.push({ id: peer.id, conn: peer.conn.slice(0, 8), trace: peer.trace });
    if (this.previous.length > 2) this.previous.shift();
    this.drop(peer.id, false);
    const next = this.create(peer.id);
    next.remoteSession = session;
  }

  /** Connections that stayed unconnected too long although the other side is in the call. */
  private renewStuck() {
    const now = Date.now();
    for (const peer of [...this.peers.values()]) {
      const stuck = shouldRenew({
        notConnectedSince: peer.notConnectedSince,
        now,
        otherAdmitted: this.lastStates.get(peer.id) === 'admitted',
        closed: this.closed || peer.pc.signalingState === 'closed',
        renewals: this.renewals.get(peer.id),
      });
      if (stuck) this.renew(peer, `not connected for ${Math.round((now - (peer.notConnectedSince ?? now)) / 1000)} s (${peer.pc.connectionState})`);
    }
  }

  private async pollStats() {
    this.renewStuck();
    let changed = false;
    const count = this.peers.size;
    for (const peer of this.peers.values()) {
      if (peer.pc.connectionState !== 'connected') continue;
      try {
        const summary = readStats(await peer.pc.getStats(), peer.lastReceived);
        peer.lastReceived = summary.receivedById;
        const remoteLoss = peer.plan.video ? summary.remoteLossPercent : summary.remoteAudioLossPercent;
        const lossPercent = intervalLoss(peer.lastCounters, summary.counters) ?? remoteLoss;
        peer.lastCounters = summary.counters;
        const sample = {
          rttMs: summary.path.rttMs,
          lossPercent: Math.max(lossPercent ?? 0, remoteLoss ?? 0),
          jitterMs: summary.jitterMs,
          availableKbps: summary.availableKbps,
        };
        const { quality, reason } = classify(sample, !peer.plan.video);
        peer.plan = nextPlan(peer.plan, quality);
        const videoKbps = await this.applyPlan(peer, count);
        const next: PeerInfo = {
          ...peer.info,
          ...summary.path,
          lossPercent: round(sample.lossPercent),
          jitterMs: summary.jitterMs,
          availableKbps: summary.availableKbps,
          audioLevel: summary.audioLevel === undefined ? undefined : Math.round(summary.audioLevel * 100) / 100,
          quality,
          qualityReason: reason,
          sendingVideo: peer.plan.video,
          videoKbps,
        };
        if (JSON.stringify({ ...next, stream: null, screen: null }) !== JSON.stringify({ ...peer.info, stream: null, screen: null })) {
          peer.info = next;
          changed = true;
        }
      } catch {
        // The connection closed while we were reading it.
      }
    }
    if (changed) this.options.onChange();
  }

  /** Bitrate ceiling per peer from the plan and the mesh size; audio only pauses the video sender. */
  private async applyPlan(peer: Peer, peerCount: number): Promise<number | undefined> {
    const sender = this.cameraSender(peer, 'video');
    if (!sender) return undefined;
    const params = sender.getParameters();
    if (!params.encodings || params.encodings.length === 0) return undefined;
    const maxBitrate = maxBitrateFor(peer.plan, peerCount);
    const encoding = params.encodings[0];
    if (encoding.maxBitrate === maxBitrate && encoding.active === peer.plan.video) return maxBitrate / 1000;
    encoding.maxBitrate = maxBitrate;
    encoding.active = peer.plan.video;
    await sender.setParameters(params).catch((e) => log.warn('setParameters', (e as Error).message));
    this.options.mark?.(peer.plan.video ? 'video-on' : 'audio-only');
    return maxBitrate / 1000;
  }
}

/** The ICE username fragments a description carries (one per transport; read, never logged). */
export function remoteFragments(description: { sdp?: string }): string[] {
  const found: string[] = [];
  for (const match of (description.sdp ?? '').matchAll(/^a=ice-ufrag:(\S+)/gm)) {
    if (found.indexOf(match[1]) < 0) found.push(match[1]);
  }
  return found;
}

const MaxStrayCandidates = 64;
const MaxTrace = 200;

/** One line in a connection's trace (ICE ufrags and states only: no addresses, no SDP). */
function trace(peer: Peer, line: string) {
  peer.trace.push(`${Date.now() % 1_000_000} ${line}`);
  if (peer.trace.length > MaxTrace) peer.trace.splice(0, peer.trace.length - MaxTrace);
}

function ufragOf(d: { sdp?: string } | null | undefined) {
  return remoteFragments(d ?? {}).join(',');
}

function keepStray(peer: Peer, candidate: RTCIceCandidateInit) {
  peer.strayCandidates.push(candidate);
  if (peer.strayCandidates.length > MaxStrayCandidates) peer.strayCandidates.splice(0, peer.strayCandidates.length - MaxStrayCandidates);
}

/** Resolves at the first local candidate (or the end of gathering), or after `capMs`. */
function gatheringBegun(pc: RTCPeerConnection, capMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      window.clearTimeout(timer);
      pc.removeEventListener('icecandidate', done);
      pc.removeEventListener('icegatheringstatechange', onState);
      resolve();
    };
    const onState = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = window.setTimeout(done, capMs);
    pc.addEventListener('icecandidate', done);
    pc.addEventListener('icegatheringstatechange', onState);
  });
}

function round(n: number | undefined) {
  return n === undefined ? undefined : Math.round(n * 10) / 10;
}

function describe(d: RTCSessionDescription | null): RTCSessionDescriptionInit | undefined {
  return d ? { type: d.type, sdp: d.sdp } : undefined;
}

function parseEnvelope(payload: unknown): Envelope {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  return (value && typeof value === 'object' ? value : {}) as Envelope;
}

interface StatsLike {
  forEach(cb: (value: Record<string, unknown>) => void): void;
  get(id: string): Record<string, unknown> | undefined;
}

type PathSummary = Pick<PeerInfo, 'path' | 'localCandidateType' | 'remoteCandidateType' | 'relayProtocol' | 'rttMs'>;

/** The selected pair, loss counters, jitter, the other side's view of our loss, the send estimate. */
export function readStats(
  report: RTCStatsReport,
  previousReceived: ReadonlyMap<string, number> = new Map(),
): {
  receivedById: Map<string, number>;
  path: PathSummary;
  counters: { received: number; lost: number };
  remoteLossPercent?: number;
  remoteAudioLossPercent?: number;
  jitterMs?: number;
  availableKbps?: number;
  audioLevel?: number;
} {
  const stats = report as unknown as StatsLike;
  const path = selectedPath(report);
  let lost = 0;
  let received = 0;
  let jitter: number | undefined;
  let remoteLoss: number | undefined;
  let remoteAudioLoss: number | undefined;
  let audioLevel: number | undefined;
  const receivedById = new Map<string, number>();
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio' && typeof s.audioLevel === 'number') {
      audioLevel = Math.max(audioLevel ?? 0, s.audioLevel);
    }
    if (s.type === 'inbound-rtp') {
      const got = Number(s.packetsReceived ?? 0);
      lost += Number(s.packetsLost ?? 0);
      received += got;
      receivedById.set(String(s.id), got);
      // A stream that has stopped (the other side paused its video) keeps its last jitter: only
      // streams still arriving say anything about the path now.
      const before = previousReceived.get(String(s.id));
      const flowing = before === undefined || got > before;
      if (flowing && typeof s.jitter === 'number') jitter = Math.max(jitter ?? 0, s.jitter * 1000);
    }
    if (s.type === 'remote-inbound-rtp' && typeof s.fractionLost === 'number') {
      // A paused video sender gets no new receiver reports: its last fractionLost stays as it was,
      // so while only audio is sent, only audio's report counts.
      if (s.kind === 'audio') remoteAudioLoss = Math.max(remoteAudioLoss ?? 0, s.fractionLost * 100);
      else remoteLoss = Math.max(remoteLoss ?? 0, s.fractionLost * 100);
    }
  });
  let availableKbps: number | undefined;
  const pair = selectedPair(stats);
  if (pair && typeof pair.availableOutgoingBitrate === 'number') availableKbps = Math.round(pair.availableOutgoingBitrate / 1000);
  return {
    receivedById,
    path,
    counters: { received, lost },
    remoteLossPercent: remoteLoss === undefined ? remoteAudioLoss : Math.max(remoteLoss, remoteAudioLoss ?? 0),
    remoteAudioLossPercent: remoteAudioLoss,
    jitterMs: jitter === undefined ? undefined : Math.round(jitter),
    availableKbps,
    audioLevel,
  };
}

function selectedPair(stats: StatsLike): Record<string, unknown> | undefined {
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
  return pair;
}

/** The selected candidate pair: Chrome names it on the transport, Firefox flags it `selected`. */
export function selectedPath(report: RTCStatsReport): PathSummary {
  const stats = report as unknown as StatsLike;
  const pair = selectedPair(stats);
  if (!pair) return { path: 'unknown' };
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
  };
}
