// A guest by invitation: their session is the short-lived token the server gave for the name they
// typed, for one visit. It is renewed in the background while the invitation holds; once the clinic
// revokes it (or it expires, or the visit ends) renewal is refused and the hub closes at the token's
// expiry, so a guest never keeps more than the visit they were invited to.
import { api, ApiError, type GuestToken } from '../../services/api';
import { getSession, renewToken, signIn, subscribe, type AuthSession } from '../../services/auth';
import { createLogger } from '../../services/log';
import { renewDelay } from './logic';

const log = createLogger('guest');

export function guestSession(token: GuestToken): AuthSession {
  return {
    accessToken: token.accessToken,
    expiresAt: token.expiresAt,
    personId: token.personId,
    name: token.name,
    issuer: 'guest',
    guest: { appointmentId: token.appointmentId, visitId: token.visitId, role: token.role },
  };
}

/** The guest's code and name in, the guest's session out. */
export async function joinAsGuest(code: string, name: string): Promise<AuthSession> {
  const session = guestSession(await api.redeemInvitation(code, name));
  signIn(session);
  return session;
}

let timer: number | undefined;
let scheduledFor: string | null = null;

function schedule() {
  const session = getSession();
  if (session?.issuer !== 'guest' || !session.expiresAt) {
    window.clearTimeout(timer);
    scheduledFor = null;
    return;
  }
  if (scheduledFor === session.accessToken) return;
  scheduledFor = session.accessToken;
  window.clearTimeout(timer);
  const expiresAt = Date.parse(session.expiresAt);
  timer = window.setTimeout(() => void renew(session.accessToken, expiresAt), renewDelay(expiresAt, Date.now()));
}

async function renew(token: string, expiresAt: number) {
  if (getSession()?.accessToken !== token) return;
  try {
    const renewed = await api.renewGuestToken();
    renewToken(renewed.accessToken, renewed.expiresAt);
  } catch (e) {
    if (e instanceof ApiError && e.status >= 400 && e.status < 500) {
      // Refused: the invitation was withdrawn or expired, or the visit ended. Nothing to retry.
      log.info('guest renewal refused', e.status);
      return;
    }
    // A network blip: try again shortly while the token still holds.
    if (Date.now() + 5_000 < expiresAt) {
      scheduledFor = null;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void renew(token, expiresAt), 5_000);
      scheduledFor = token;
    }
  }
}

subscribe(schedule);
schedule();
