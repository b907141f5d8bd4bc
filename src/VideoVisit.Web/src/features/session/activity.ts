// Session timeout: sign-out after `sessionTimeoutSeconds` without activity, a warning
// `sessionWarningSeconds` before. Keyboard, pointer and touch input count as activity, and so does
// being in a visit (waiting or in a call): `holdActivity()` keeps the session alive until released.
import { useEffect, useSyncExternalStore } from 'react';
import { settings } from '../../services/settings';

let lastActivity = Date.now();
let holds = 0;
const listeners = new Set<() => void>();

export function touchActivity() {
  lastActivity = Date.now();
}

export function holdActivity(): () => void {
  holds++;
  touchActivity();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
    touchActivity();
  };
}

export interface IdleState {
  /** Seconds until sign-out, or null when not counting (a visit is on). */
  remaining: number | null;
  warning: boolean;
  expired: boolean;
}

let state: IdleState = { remaining: null, warning: false, expired: false };

function tick() {
  if (holds > 0) touchActivity();
  const idle = (Date.now() - lastActivity) / 1000;
  const remaining = Math.max(0, Math.ceil(settings.sessionTimeoutSeconds - idle));
  const next: IdleState = {
    remaining,
    warning: remaining <= settings.sessionWarningSeconds && remaining > 0,
    expired: remaining <= 0,
  };
  if (next.remaining !== state.remaining || next.warning !== state.warning || next.expired !== state.expired) {
    state = next;
    listeners.forEach((l) => l());
  }
}

let timer: number | undefined;
const events = ['keydown', 'pointerdown', 'touchstart', 'wheel'];
const onInput = () => {
  // While the warning is showing only its own button continues the session, so a stray key
  // press does not hide the dialog before it is read.
  if (!state.warning) touchActivity();
};

export function useIdle(active: boolean): IdleState {
  useEffect(() => {
    if (!active) return;
    touchActivity();
    events.forEach((e) => window.addEventListener(e, onInput, { passive: true }));
    timer = window.setInterval(tick, 1000);
    tick();
    return () => {
      events.forEach((e) => window.removeEventListener(e, onInput));
      window.clearInterval(timer);
      state = { remaining: null, warning: false, expired: false };
    };
  }, [active]);
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}

export function continueSession() {
  touchActivity();
  tick();
}
