import { describe, expect, it } from 'vitest';
import { credentialExpiry, needsRefresh } from '../services/iceCredentials';

const at = (iso: string) => Date.parse(iso);
const servers = (expiry: string): RTCIceServer[] => [
  { urls: ['stun:relay.example.org:3478'] },
  { urls: ['turn:relay.example.org:3478?transport=udp'], username: `${at(expiry) / 1000}:nurse-1`, credential: 'x' },
];

describe('TURN credential expiry', () => {
  it('reads the expiry from the REST-scheme username', () => {
    expect(credentialExpiry(servers('2026-12-05T10:00:00Z'))).toBe(at('2026-12-05T10:00:00Z'));
    expect(credentialExpiry([{ urls: 'stun:x' }])).toBeNull();
    expect(credentialExpiry([{ urls: 'turn:x', username: 'not-a-time', credential: 'y' }])).toBeNull();
  });

  it('refreshes after half the lifetime, and at least a minute before expiry', () => {
    const fetched = at('2026-12-05T09:00:00Z');
    const hour = servers('2026-12-05T10:00:00Z');
    expect(needsRefresh(hour, fetched, at('2026-12-05T09:29:00Z'))).toBe(false);
    expect(needsRefresh(hour, fetched, at('2026-12-05T09:30:00Z'))).toBe(true);
    const short = servers('2026-12-05T09:01:00Z');
    expect(needsRefresh(short, fetched, at('2026-12-05T09:00:00Z'))).toBe(true);
    expect(needsRefresh([{ urls: 'stun:x' }], fetched, at('2026-12-06T00:00:00Z'))).toBe(false);
  });
});
