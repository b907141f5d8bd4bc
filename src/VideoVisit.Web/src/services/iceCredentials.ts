// When the TURN credentials from /api/ice-servers run out. They follow the TURN REST scheme: the
// username is `<unix expiry seconds>:<person id>`, so the expiry is read from it, not guessed.

/** The earliest credential expiry among the servers (ms since the epoch), or null when none carries one. */
export function credentialExpiry(servers: RTCIceServer[]): number | null {
  let earliest: number | null = null;
  for (const s of servers) {
    if (typeof s.username !== 'string') continue;
    const seconds = Number(s.username.split(':', 1)[0]);
    if (!Number.isFinite(seconds) || seconds <= 0) continue;
    const at = seconds * 1000;
    if (earliest === null || at < earliest) earliest = at;
  }
  return earliest;
}

/**
 * Fetch new credentials once half of their lifetime has passed (never later than a minute before
 * they expire): a console tab open for hours, or a long call that restarts ICE, always allocates with
 * valid ones.
 */
export function needsRefresh(servers: RTCIceServer[], fetchedAt: number, now: number): boolean {
  const expiry = credentialExpiry(servers);
  if (expiry === null) return false;
  const lifetime = Math.max(0, expiry - fetchedAt);
  const refreshAt = Math.min(fetchedAt + lifetime / 2, expiry - 60_000);
  return now >= refreshAt;
}
