import { describe, expect, it } from 'vitest';
import { waitingList } from '../features/console/logic';
import type { Participant } from '../services/hub';

const p = (id: string, state: string, waitingSince: string | null, placeInLine?: number): Participant => ({
  participantId: id,
  displayName: id,
  role: 'patient',
  state,
  waitingSince,
  placeInLine: placeInLine ?? null,
});

describe('console waiting list', () => {
  it('keeps the server’s order even when waitingSince says otherwise', () => {
    const list = [
      p('late-but-first', 'waiting', '2026-12-04T10:05:00Z', 1),
      p('admitted', 'admitted', null),
      p('early-but-second', 'waiting', '2026-12-04T10:00:00Z', 2),
      p('third', 'waiting', '2026-12-04T09:00:00Z'),
    ];
    expect(waitingList(list).map((x) => x.participantId)).toEqual(['late-but-first', 'early-but-second', 'third']);
  });

  it('lists only those waiting', () => {
    expect(waitingList([p('a', 'admitted', null), p('b', 'removed', null), p('c', 'reconnecting', null)])).toEqual([]);
  });
});
