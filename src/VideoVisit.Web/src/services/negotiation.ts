// The decisions of W3C "perfect negotiation" (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example)
// as pure functions, so they can be unit-tested without a browser. `webrtc.ts` applies them to a
// real RTCPeerConnection.

/** The polite peer yields on glare (rolls back its own offer); the impolite one ignores the other's. */
export function isPolite(selfId: string, otherId: string): boolean {
  return selfId > otherId;
}

export interface OfferCollisionInput {
  polite: boolean;
  /** Our own offer is being created or sent (between createOffer and setLocalDescription). */
  makingOffer: boolean;
  signalingState: RTCSignalingState;
  /** We are applying an answer right now (setRemoteDescription(answer) not yet resolved). */
  settingRemoteAnswer: boolean;
}

export type DescriptionAction =
  /** Impolite side during glare: drop the incoming offer; ours wins. */
  | 'ignore'
  /** Apply it (an offer that does not collide, or any answer); the polite side rolls back implicitly. */
  | 'apply';

/** What to do with an incoming description (the spec's `offerCollision` / `ignoreOffer` steps). */
export function onDescription(type: RTCSdpType, s: OfferCollisionInput): { action: DescriptionAction; collision: boolean } {
  if (type !== 'offer') return { action: 'apply', collision: false };
  const readyForOffer = !s.makingOffer && (s.signalingState === 'stable' || s.settingRemoteAnswer);
  const collision = !readyForOffer;
  return { action: collision && !s.polite ? 'ignore' : 'apply', collision };
}

/**
 * Every signal carries the sender's session (one per page's mesh, so a reloaded page or a mesh made
 * afresh after a return to waiting is a new session) and the session it is meant for, when known.
 * A signal for another of our sessions is stale; one from a new session of the other side replaces
 * the connection we hold with its previous session.
 */
export type SessionAction = 'stale' | 'replace' | 'same';

export function sessionAction(
  mySession: string,
  knownRemote: string | undefined,
  message: { session?: string; to?: string | null },
  retired: ReadonlySet<string> = new Set(),
): SessionAction {
  if (message.to && message.to !== mySession) return 'stale';
  if (!message.session) return 'same';
  // Late candidates or answers from the other side's previous page must not tear down the new one.
  if (retired.has(message.session)) return 'stale';
  if (knownRemote && knownRemote !== message.session) return 'replace';
  return 'same';
}

/**
 * Each RTCPeerConnection has its own id, carried in every signal (`conn`) with the id of the other
 * side's connection it is meant for (`toConn`, once known). When one side gives up on a connection
 * that cannot recover and makes a new one, its first offer names a new `conn`: the other side then
 * makes a new connection too, instead of renegotiating the old one, so both sides agree. Signals of
 * a connection either side has left are stale.
 */
export type ConnectionAction = 'stale' | 'renew' | 'same';

export function connectionAction(
  /** Our connection to the sender, if we hold one. */
  myConnection: string | undefined,
  knownRemote: string | undefined,
  kind: string,
  message: { conn?: string; toConn?: string | null },
  retired: ReadonlySet<string> = new Set(),
): ConnectionAction {
  // Meant for a connection of ours that we have left (its candidates, its answer), or that we no
  // longer hold: our next connection's offer will tell the other side to start afresh too.
  if (message.toConn && message.toConn !== myConnection) return 'stale';
  if (!message.conn) return 'same';
  if (retired.has(message.conn)) return 'stale';
  if (knownRemote && knownRemote !== message.conn) return kind === 'offer' ? 'renew' : 'stale';
  return 'same';
}

/** How long a connection may first stay unconnected (never connected, or lost and not recovered by ICE restarts) before it is made anew. */
export const RenewAfterMs = 12_000;

/**
 * The last resort: a connection that has not been connected for `RenewAfterMs` although the other
 * side is in the call. ICE restarts are tried first (on `failed`); this catches what they cannot
 * mend, such as an engine whose ICE agent no longer gathers or checks after a glare rollback.
 */
export function shouldRenew(s: {
  notConnectedSince: number | undefined;
  now: number;
  otherAdmitted: boolean;
  closed: boolean;
  /** Connections already made anew since this pair was last connected. */
  renewals?: number;
}): boolean {
  if (s.closed || !s.otherAdmitted || s.notConnectedSince === undefined) return false;
  return s.now - s.notConnectedSince >= renewAfter(s.renewals ?? 0);
}

/**
 * The wait doubles with each new connection that does not connect either (12, 24, 48, then 96 s),
 * so a path that is merely slow to connect, or down for a while, is not churned.
 */
export function renewAfter(renewals: number): number {
  return RenewAfterMs * 2 ** Math.min(Math.max(renewals, 0), 3);
}
