import type { Appointment } from '../../services/api';
import type { Participant } from '../../services/hub';

export function isToday(iso: string, now = new Date()) {
  const d = new Date(iso);
  return d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
}

export function todays(appointments: Appointment[], now = new Date()) {
  return appointments.filter((a) => isToday(a.start, now) || isToday(a.end, now)).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

/**
 * Those waiting, in the server's one waiting order (its `placeInLine`, arrival order), never re-sorted
 * here: someone returned to the waiting room keeps their place though their wait time starts anew.
 */
export function waitingList(participants: Participant[]) {
  return participants
    .filter((p) => p.state === 'waiting')
    .map((p, index) => ({ p, index }))
    .sort((a, b) => (a.p.placeInLine ?? Number.MAX_SAFE_INTEGER) - (b.p.placeInLine ?? Number.MAX_SAFE_INTEGER) || a.index - b.index)
    .map(({ p }) => p);
}

export function formatWait(fromIso: string | null | undefined, now: number) {
  if (!fromIso) return '';
  const seconds = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}
