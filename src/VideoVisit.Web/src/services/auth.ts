// The signed-in user's token, kept for the tab only (sessionStorage) so closing the tab signs out.
import { useSyncExternalStore } from 'react';

export interface AuthSession {
  accessToken: string;
  expiresAt?: string;
  personId?: string;
  name?: string;
  issuer: 'dev' | 'external' | 'guest';
  /** A guest by invitation: the one visit their token opens. */
  guest?: GuestVisit;
}

export interface GuestVisit {
  appointmentId: string;
  visitId: string;
  role: 'interpreter' | 'guest' | string;
}

export type SignOutReason = 'user' | 'timeout' | 'expired' | 'unauthorized';

const storageKey = 'videovisit.auth';
const listeners = new Set<() => void>();
const signedOutListeners = new Set<(session: AuthSession, reason: SignOutReason) => void>();
let current: AuthSession | null = read();
let lastSignOut: SignOutReason | null = null;

function read(): AuthSession | null {
  try {
    const raw = sessionStorage.getItem(storageKey);
    if (!raw) return null;
    const session = JSON.parse(raw) as AuthSession;
    if (session.expiresAt && Date.parse(session.expiresAt) <= Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

function emit() {
  for (const l of listeners) l();
}

export function getSession(): AuthSession | null {
  return current;
}

export function getAccessToken(): string {
  return current?.accessToken ?? '';
}

export function signIn(session: AuthSession) {
  current = session;
  lastSignOut = null;
  try {
    sessionStorage.setItem(storageKey, JSON.stringify(session));
  } catch {
    // Without storage the session lives as long as the page.
  }
  emit();
}

/** A renewed access token for the same sign-in. */
export function renewToken(accessToken: string, expiresAt?: string) {
  if (!current) return;
  signIn({ ...current, accessToken, expiresAt });
}

/** Told after a sign-out with the session that ended (the OpenID provider ends its own session too). */
export function onSignedOut(listener: (session: AuthSession, reason: SignOutReason) => void) {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export function signOut(reason: SignOutReason) {
  if (!current) return;
  const ended = current;
  current = null;
  lastSignOut = reason;
  try {
    sessionStorage.removeItem(storageKey);
  } catch {
    // ignore
  }
  emit();
  for (const l of signedOutListeners) l(ended, reason);
}

export function lastSignOutReason(): SignOutReason | null {
  return lastSignOut;
}

export function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): AuthSession | null {
  return useSyncExternalStore(subscribe, getSession);
}
