import { useEffect, useState } from 'react';
import { formatClock, formatTime, useI18n } from '../../i18n';
import { api, type Appointment } from '../../services/api';
import { useMe } from '../../services/me';
import { connectHub, onHub } from '../../services/hub';
import { link } from '../../app/App';
import { toItems } from './logic';

export function UpcomingPage() {
  const { t, language } = useI18n();
  const { me, error: meError } = useMe();
  const [appointments, setAppointments] = useState<Appointment[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let live = true;
    const load = () =>
      api.upcoming().then(
        (list) => live && (setAppointments(list), setError(null)),
        (e: Error) => live && setError(e.message),
      );
    void load();
    // The clinic's system books, moves and cancels at any time: the hub says when to re-read at once.
    const off = onHub('AppointmentsChanged', () => void load());
    connectHub().catch(() => undefined);
    // Windows open as time passes: re-read the list and re-check the clock.
    const refresh = window.setInterval(() => void load(), 30000);
    const clock = window.setInterval(() => setNow(Date.now()), 5000);
    return () => {
      live = false;
      off();
      window.clearInterval(refresh);
      window.clearInterval(clock);
    };
  }, []);

  const items = me && appointments ? toItems(appointments, me, now) : null;

  return (
    <section className="page upcoming" data-testid="upcoming" aria-labelledby="upcoming-title">
      <h1 id="upcoming-title">{t('upcoming.title')}</h1>
      <p>
        <a href="/precheck" onClick={link('/precheck')} data-testid="test-devices">
          {t('precheck.title')}
        </a>
      </p>
      {(error || meError) && (
        <p role="alert" className="error">
          {t('common.error', { message: error ?? meError ?? '' })}
        </p>
      )}
      {!items && !error && <p role="status">{t('common.loading')}</p>}
      {items && items.length === 0 && <p>{t('upcoming.empty')}</p>}
      {items && items.length > 0 && (
        <ul className="appointments">
          {items.map((item) => {
            const a = item.appointment;
            const href = `/visit/${encodeURIComponent(a.id)}${item.onBehalfOf ? `?onBehalfOf=${encodeURIComponent(item.onBehalfOf)}` : ''}`;
            const titleId = `appt-${a.id}-${item.onBehalfOf ?? 'own'}`;
            return (
              <li
                key={`${a.id}:${item.onBehalfOf ?? ''}`}
                className="appointment card"
                data-testid={`appointment-${a.id}`}
                data-appointment-id={a.id}
                data-on-behalf-of={item.onBehalfOf ?? ''}
                data-can-begin={String(item.canBegin)}
                data-status={a.status ?? 'booked'}
                data-start={a.start}
                aria-labelledby={titleId}
              >
                <h2 id={titleId} className="appointment-title">
                  {a.title ?? t(a.kind === 'group' ? 'upcoming.kind.group' : 'upcoming.kind.video')} · {formatTime(a.start, language)}–
                  {formatClock(a.end, language)}
                </h2>
                <p>{t('upcoming.with', { name: a.professionalName ?? a.professional, unit: a.unitName ?? a.unit })}</p>
                <p className="who-for" data-testid="on-behalf-of">
                  {item.onBehalfOf ? t('upcoming.onBehalfOf', { name: item.onBehalfOfName ?? item.onBehalfOf }) : t('upcoming.own')}
                </p>
                {item.readOnly && (
                  <p className="notice" data-testid="read-only-notice">
                    {t('upcoming.readOnly', { name: item.onBehalfOfName ?? item.onBehalfOf ?? '' })}
                  </p>
                )}
                {a.status === 'cancelled' && (
                  <p className="notice" data-testid="appointment-cancelled">
                    {t('upcoming.cancelled')}
                  </p>
                )}
                {a.status !== 'cancelled' && item.window === 'not-yet' && !item.readOnly && <p>{t('upcoming.opensAt', { time: formatClock(a.beginOpensAt, language) })}</p>}
                {item.window === 'over' && <p>{t('upcoming.over')}</p>}
                {!item.canBegin && !item.readOnly && item.window === 'open' && a.status !== 'cancelled' && a.cannotBeginReason && (
                  <p className="notice" data-testid="cannot-begin-reason">
                    {a.cannotBeginReason}
                  </p>
                )}
                {item.canBegin ? (
                  <a className="button primary" href={href} onClick={link(href)} data-testid="begin-visit">
                    {t('upcoming.begin')}
                  </a>
                ) : (
                  <button type="button" className="button primary" disabled data-testid="begin-visit">
                    {t('upcoming.begin')}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
