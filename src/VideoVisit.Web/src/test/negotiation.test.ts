import { describe, expect, it } from 'vitest';
import { isPolite, onDescription, sessionAction } from '../services/negotiation';

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
