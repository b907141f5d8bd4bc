// Pure choices of the call screen: which layout, who is the active speaker, where the self view sits.

export type CallLayout = 'alone' | 'speaker' | 'grid' | 'screen';

/** 1:1 is a speaker view (the other person large); a group is a grid; a shared screen wins. */
export function callLayout(others: number, screenShared: boolean): CallLayout {
  if (screenShared) return 'screen';
  if (others === 0) return 'alone';
  return others === 1 ? 'speaker' : 'grid';
}

/** Columns of the grid for n tiles, given whether the stage is taller than wide (a phone in portrait). */
export function gridColumns(n: number, portrait: boolean): number {
  if (n <= 1) return 1;
  if (portrait) return n <= 3 ? 1 : 2;
  if (n <= 4) return 2;
  return 3;
}

/** Audio level (0–1, getStats `audioLevel`) above which a participant counts as speaking. */
export const speakingLevel = 0.02;

/** The loudest speaker above the threshold; the previous one stays while nobody else speaks. */
export function activeSpeaker(levels: Array<{ id: string; level?: number }>, previous: string | null): string | null {
  let best: { id: string; level: number } | null = null;
  for (const { id, level } of levels) {
    if (level === undefined || level < speakingLevel) continue;
    if (!best || level > best.level) best = { id, level };
  }
  if (best) return best.id;
  return previous && levels.some((l) => l.id === previous) ? previous : null;
}

export type Corner = 'bottom-right' | 'bottom-left' | 'top-left' | 'top-right';
export const corners: Corner[] = ['bottom-right', 'bottom-left', 'top-left', 'top-right'];

export function nextCorner(c: Corner): Corner {
  return corners[(corners.indexOf(c) + 1) % corners.length];
}

/** The corner nearest to where a dragged self view was let go (fractions of the stage, 0–1). */
export function nearestCorner(x: number, y: number): Corner {
  const top = y < 0.5;
  const left = x < 0.5;
  return top ? (left ? 'top-left' : 'top-right') : left ? 'bottom-left' : 'bottom-right';
}

/** Messages from others that arrived while the chat panel was closed. */
export function unreadCount(messages: Array<{ fromParticipantId: string }>, seen: number, selfId: string | null): number {
  return messages.slice(seen).filter((m) => m.fromParticipantId !== selfId).length;
}

/**
 * Who may share a screen: the professional always; a patient (or representative, guardian, guest)
 * only when the visit allows it, which no visit does by default (the visit carries no such setting
 * yet, so patients do not share). Everyone admitted sees what is shared.
 */
export function mayShareScreen(role: string | undefined, visitAllowsPatients = false): boolean {
  return role === 'professional' || visitAllowsPatients;
}
