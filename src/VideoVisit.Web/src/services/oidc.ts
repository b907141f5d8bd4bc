// Sign-in through the clinic's OpenID Connect provider: authorization code with PKCE, a public
// client (no secret), oidc-client-ts doing the protocol (state and PKCE verifier are checked, so a
// callback this tab did not start is refused). Tokens renew in the background before they expire
// (refresh token, or a hidden frame at /auth/silent); signing out ends the session at the provider.
import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import { getSession, onSignedOut, renewToken, signIn } from './auth';
import { createLogger } from './log';

const log = createLogger('oidc');

export interface AuthConfig {
  devIssuer: boolean;
  authority: string | null;
  clientId: string | null;
  scopes: string;
  redirectPath: string;
  silentRedirectPath: string;
  postLogoutRedirectPath: string;
}

let config: Promise<AuthConfig> | null = null;
let manager: UserManager | null = null;

/** What the server says about sign-in (public, cached for the page). */
export function authConfig(): Promise<AuthConfig> {
  config ??= fetch('/api/auth/config', { headers: { Accept: 'application/json' } }).then(async (r) => {
    if (!r.ok) throw new Error(`auth config: ${r.status}`);
    return (await r.json()) as AuthConfig;
  });
  config.catch(() => {
    config = null;
  });
  return config;
}

async function userManager(): Promise<UserManager | null> {
  if (manager) return manager;
  const c = await authConfig();
  if (!c.authority || !c.clientId) return null;
  const origin = window.location.origin;
  manager = new UserManager({
    authority: c.authority,
    client_id: c.clientId,
    scope: c.scopes,
    response_type: 'code',
    redirect_uri: origin + c.redirectPath,
    silent_redirect_uri: origin + c.silentRedirectPath,
    post_logout_redirect_uri: origin + c.postLogoutRedirectPath,
    automaticSilentRenew: true,
    // Renew 30 s before expiry: early enough for a slow network, late enough for short-lived tokens.
    accessTokenExpiringNotificationTimeInSeconds: 30,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    monitorSession: false,
  });
  manager.events.addUserLoaded((user) => {
    // A renewal: the API and the next hub connection use the new token.
    if (getSession()?.issuer === 'external') renewToken(user.access_token, expiresAt(user));
  });
  manager.events.addSilentRenewError((e) => log.warn('renewal failed', e.message));
  return manager;
}

function expiresAt(user: User): string | undefined {
  return user.expires_at ? new Date(user.expires_at * 1000).toISOString() : undefined;
}

/** Goes to the provider's sign-in page; comes back to `returnTo` through /auth/callback. */
export async function startSignIn(returnTo: string) {
  const m = await userManager();
  if (!m) throw new Error('Sign-in is not configured on this server.');
  await m.signinRedirect({ state: { returnTo } });
}

/** Completes the sign-in this tab started; returns where to go next. */
export async function completeSignIn(): Promise<string> {
  const m = await userManager();
  if (!m) throw new Error('Sign-in is not configured on this server.');
  const user = await m.signinRedirectCallback();
  signIn({
    accessToken: user.access_token,
    expiresAt: expiresAt(user),
    personId: user.profile.sub,
    name: typeof user.profile.name === 'string' ? user.profile.name : undefined,
    issuer: 'external',
  });
  const returnTo = (user.state as { returnTo?: string } | undefined)?.returnTo;
  return returnTo && returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/';
}

/** The hidden frame's half of a silent renewal (/auth/silent). */
export async function completeSilentRenewal() {
  const m = await userManager();
  if (m) await m.signinSilentCallback();
}

/** Restarts background renewal for a session restored from this tab's storage (a reload). */
export async function resumeRenewal() {
  const m = await userManager();
  if (m && getSession()?.issuer === 'external') {
    const user = await m.getUser();
    if (user) m.startSilentRenew();
  }
}

// Signing out (by the user or after inactivity) ends the session at the provider too.
onSignedOut((session, reason) => {
  if (session.issuer !== 'external' || (reason !== 'user' && reason !== 'timeout')) return;
  void userManager().then(async (m) => {
    if (!m) return;
    const user = await m.getUser();
    await m.removeUser();
    await m.signoutRedirect({ id_token_hint: user?.id_token, state: { reason } });
  }).catch((e: Error) => log.warn('provider sign-out failed', e.message));
});
