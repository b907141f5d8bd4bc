import { describe, expect, it } from 'vitest';
import { activeSpeaker, callLayout, gridColumns, mayShareScreen, nearestCorner, nextCorner, unreadCount } from '../features/call/layout';

describe('call layout', () => {
  it('is a speaker view for 1:1, a grid for groups, and a shared screen wins', () => {
    expect(callLayout(0, false)).toBe('alone');
    expect(callLayout(1, false)).toBe('speaker');
    expect(callLayout(3, false)).toBe('grid');
    expect(callLayout(1, true)).toBe('screen');
  });

  it('stacks a group in one column on a phone in portrait and uses two or three on a wide screen', () => {
    expect(gridColumns(3, true)).toBe(1);
    expect(gridColumns(4, true)).toBe(2);
    expect(gridColumns(3, false)).toBe(2);
    expect(gridColumns(6, false)).toBe(3);
  });

  it('marks the loudest speaker and keeps the last one through silence', () => {
    expect(activeSpeaker([{ id: 'a', level: 0.1 }, { id: 'b', level: 0.4 }], null)).toBe('b');
    expect(activeSpeaker([{ id: 'a', level: 0 }, { id: 'b', level: 0.001 }], 'a')).toBe('a');
    expect(activeSpeaker([{ id: 'b', level: 0 }], 'gone')).toBeNull();
  });

  it('moves the self view between corners', () => {
    expect(nextCorner('top-right')).toBe('bottom-right');
    expect(nearestCorner(0.1, 0.9)).toBe('bottom-left');
    expect(nearestCorner(0.8, 0.2)).toBe('top-right');
  });

  it('counts unread messages from others only', () => {
    const messages = [{ fromParticipantId: 'me' }, { fromParticipantId: 'nurse' }, { fromParticipantId: 'nurse' }];
    expect(unreadCount(messages, 1, 'me')).toBe(2);
    expect(unreadCount(messages, 3, 'me')).toBe(0);
    expect(unreadCount([{ fromParticipantId: 'me' }], 0, 'me')).toBe(0);
  });

  it('lets the professional share a screen, patients only when the visit allows it', () => {
    expect(mayShareScreen('professional')).toBe(true);
    expect(mayShareScreen('patient')).toBe(false);
    expect(mayShareScreen('patient', true)).toBe(true);
  });
});
