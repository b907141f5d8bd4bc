import { describe, expect, it } from 'vitest';
import { connectionAction, isPolite, onDescription, renewAfter, RenewAfterMs, sessionAction, shouldRenew } from '../services/negotiation';

const stable = { makingOffer: false, signalingState: 'stable' as RTCSignalingState, settingRemoteAnswer: false };

describe('perfect negotiation', () => {
  it('makes exactly one side of a pair polite', () => {
    expect(isPolite('p-a', 'p-b')).toBe(false);
    expect(isPolite('p-b', 'p-a')).toBe(true);
  });

  it('applies an offer that arrives in a stable state, on either side', () => {
    expect(onDescription('offer', { ...stable, polite: true })).toEqual({ action: 'apply', collision: false });
    expect(onDescription('offer', { ...stable, polite: false })).toEqual({ action: 'apply', collision: false });
  });

  it('on glare the impolite side ignores the other offer and the polite side takes it', () => {
    const glare = { makingOffer: false, signalingState: 'have-local-offer' as RTCSignalingState, settingRemoteAnswer: false };
    expect(onDescription('offer', { ...glare, polite: false })).toEqual({ action: 'ignore', collision: true });
    expect(onDescription('offer', { ...glare, polite: true })).toEqual({ action: 'apply', collision: true });
  });

  it('counts an offer that arrives while ours is being made as glare', () => {
    expect(onDescription('offer', { ...stable, makingOffer: true, polite: false }).action).toBe('ignore');
    expect(onDescription('offer', { ...stable, makingOffer: true, polite: true })).toEqual({ action: 'apply', collision: true });
  });

  it('is ready for an offer while our answer is being applied (the spec’s isSettingRemoteAnswerPending)', () => {
    const applying = { makingOffer: false, signalingState: 'have-local-offer' as RTCSignalingState, settingRemoteAnswer: true };
    expect(onDescription('offer', { ...applying, polite: false })).toEqual({ action: 'apply', collision: false });
  });

  it('always applies answers', () => {
    expect(onDescription('answer', { makingOffer: true, signalingState: 'have-local-offer', settingRemoteAnswer: false, polite: false }).action).toBe('apply');
  });
});

describe('sessions', () => {
  it('replaces the connection when the other side comes back as a new page', () => {
    expect(sessionAction('mine', 'old', { session: 'new', to: null })).toBe('replace');
  });

  it('keeps the connection for signals of the session it knows, or the first one it hears', () => {
    expect(sessionAction('mine', 'old', { session: 'old', to: 'mine' })).toBe('same');
    expect(sessionAction('mine', undefined, { session: 'first', to: null })).toBe('same');
  });

  it('drops signals meant for another session of ours, and late ones from a retired session', () => {
    expect(sessionAction('mine', 'old', { session: 'old', to: 'my-previous-page' })).toBe('stale');
    expect(sessionAction('mine', 'new', { session: 'old', to: null }, new Set(['old']))).toBe('stale');
  });
});

describe('connections made anew', () => {
  it('takes the first connection it hears from, and signals of the one it knows', () => {
    expect(connectionAction('mine', undefined, 'offer', { conn: 'theirs', toConn: null })).toBe('same');
    expect(connectionAction('mine', 'theirs', 'ice', { conn: 'theirs', toConn: 'mine' })).toBe('same');
    expect(connectionAction(undefined, undefined, 'offer', { conn: 'theirs', toConn: null })).toBe('same');
  });

  it('makes a new connection when the other side offers from a new one', () => {
    expect(connectionAction('mine', 'old', 'offer', { conn: 'new', toConn: 'mine' })).toBe('renew');
    expect(connectionAction('mine', 'old', 'offer', { conn: 'new', toConn: null })).toBe('renew');
  });

  it('drops anything but an offer from a connection it does not know', () => {
    expect(connectionAction('mine', 'old', 'answer', { conn: 'new', toConn: 'mine' })).toBe('stale');
    expect(connectionAction('mine', 'old', 'ice', { conn: 'new', toConn: null })).toBe('stale');
  });

  it('drops signals meant for a connection of ours that is gone, and late ones from one it left', () => {
    expect(connectionAction('mine', 'theirs', 'ice', { conn: 'theirs', toConn: 'my-previous' })).toBe('stale');
    expect(connectionAction(undefined, undefined, 'offer', { conn: 'theirs', toConn: 'my-previous' })).toBe('stale');
    expect(connectionAction('mine', undefined, 'ice', { conn: 'left', toConn: null }, new Set(['left']))).toBe('stale');
  });

  it('both sides giving up at once meet on their new connections', () => {
    // Each side's new connection knows nothing of the other's yet: the offers meet as ordinary glare.
    expect(connectionAction('a2', undefined, 'offer', { conn: 'b2', toConn: null }, new Set(['b1']))).toBe('same');
    expect(connectionAction('b2', undefined, 'offer', { conn: 'a2', toConn: null }, new Set(['a1']))).toBe('same');
  });

  it('accepts signals without connection ids', () => {
    expect(connectionAction('mine', 'theirs', 'offer', {})).toBe('same');
  });

  it('makes a connection anew only after it has been unconnected long enough, with the other side in the call', () => {
    const base = { now: 100_000, otherAdmitted: true, closed: false };
    expect(shouldRenew({ ...base, notConnectedSince: undefined })).toBe(false);
    expect(shouldRenew({ ...base, notConnectedSince: base.now - RenewAfterMs + 1 })).toBe(false);
    expect(shouldRenew({ ...base, notConnectedSince: base.now - RenewAfterMs })).toBe(true);
    expect(shouldRenew({ ...base, notConnectedSince: 0, otherAdmitted: false })).toBe(false);
    expect(shouldRenew({ ...base, notConnectedSince: 0, closed: true })).toBe(false);
  });

  it('waits twice as long after each new connection that did not connect either, up to 96 s', () => {
    expect([0, 1, 2, 3, 4, 10].map(renewAfter)).toEqual([12_000, 24_000, 48_000, 96_000, 96_000, 96_000]);
    const since = 0;
    expect(shouldRenew({ notConnectedSince: since, now: 20_000, otherAdmitted: true, closed: false, renewals: 1 })).toBe(false);
    expect(shouldRenew({ notConnectedSince: since, now: 24_000, otherAdmitted: true, closed: false, renewals: 1 })).toBe(true);
  });
});
