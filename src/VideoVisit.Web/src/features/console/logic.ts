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
 * Who waits, in the server's waiting order. The server defines the order (participants arrive in it
 * and may carry `placeInLine`, which the console shows); the console never re-sorts, by
 * `waitingSince` or anything else, so it cannot drift from what the patients are told.
 */
export function waitingList(participants: Participant[]): Participant[] {
  return participants.filter((p) => p.state === 'waiting');
}

export function formatWait(fromIso: string | null | undefined, now: number) {
  if (!fromIso) return '';
  const seconds = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}
