// Pure rules of a guest's session, kept apart from the browser so they have unit tests.

/**
 * When to renew a guest's token: a minute before it ends, or at half its life when it has less than
 * two minutes left (a slow network still has time); never sooner than a second.
 */
export function renewDelay(expiresAt: number, now: number): number {
  const left = expiresAt - now;
  return Math.max(1_000, left > 120_000 ? left - 60_000 : left / 2);
}
