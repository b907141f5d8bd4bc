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
