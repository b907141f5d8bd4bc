// Which appointments the user sees and whether Begin visit is enabled.
import type { Appointment, Me } from '../../services/api';

export interface UpcomingItem {
  appointment: Appointment;
  /** The represented person, when the user acts on someone else's behalf. */
  onBehalfOf: string | null;
  onBehalfOfName: string | null;
  scope: string | null;
  window: 'open' | 'not-yet' | 'over';
  canBegin: boolean;
  readOnly: boolean;
}

export function beginWindow(a: Appointment, now: number): 'open' | 'not-yet' | 'over' {
  if (now > Date.parse(a.end)) return 'over';
  if (now < Date.parse(a.beginOpensAt)) return 'not-yet';
  return 'open';
}

export function toItems(appointments: Appointment[], me: Me, now: number): UpcomingItem[] {
  return appointments
    .map((a) => {
      const own = a.patientIds.includes(me.id) || a.professional === me.id;
      const rep = own
        ? undefined
        : me.represents.find((r) => r.personId === a.onBehalfOf) ??
          me.represents.find((r) => a.patientIds.includes(r.personId));
      const onBehalfOf = own ? null : (a.onBehalfOf ?? rep?.personId ?? null);
      const readOnly = !!rep && (!rep.canAct || rep.scope === 'ReadOnly');
      const window = beginWindow(a, now);
      return {
        appointment: a,
        onBehalfOf,
        onBehalfOfName: rep?.name ?? a.patientNames?.[onBehalfOf ?? ''] ?? onBehalfOf,
        scope: rep?.scope ?? null,
        window,
        readOnly,
        // The server's canBegin already knows rights and the window; the client re-checks the window
        // as time passes and never enables what the server said no to.
        canBegin: a.canBegin && !readOnly && window === 'open',
      };
    })
    .sort((x, y) => Date.parse(x.appointment.start) - Date.parse(y.appointment.start));
}
