import { useEffect, useState } from 'react';
import { formatClock, useI18n } from '../../i18n';
import { api, type Appointment } from '../../services/api';
import { connectHub, onHub } from '../../services/hub';
import { link } from '../../app/App';
import { todays } from './logic';

/** The professional's day: today's appointments, each opening the visit console. */
export function ConsolePage() {
  const { t, language } = useI18n();
  const [list, setList] = useState<Appointment[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const load = () =>
      api.upcoming().then(
        (l) => live && (setList(todays(l)), setError(null)),
        (e: Error) => live && setError(e.message),
      );
    void load();
    // The clinic's system books, moves and cancels all day: the hub says when to re-read.
    const off = onHub('AppointmentsChanged', () => void load());
    connectHub().catch(() => undefined);
    const timer = window.setInterval(() => void load(), 30000);
    return () => {
      live = false;
      off();
      window.clearInterval(timer);
    };
  }, []);

  return (
    <section className="page console" data-testid="console" aria-labelledby="console-title">
      <h1 id="console-title">{t('console.title')}</h1>
      <p>
        <a href="/precheck" onClick={link('/precheck')} data-testid="test-devices">
          {t('precheck.title')}
        </a>
      </p>
      <h2>{t('console.today')}</h2>
      {error && (
        <p role="alert" className="error">
          {t('common.error', { message: error })}
        </p>
      )}
      {!list && !error && <p role="status">{t('common.loading')}</p>}
      {list && list.length === 0 && <p>{t('console.none')}</p>}
      {list && list.length > 0 && (
        <ul className="appointments">
          {list.map((a) => (
            <li
              key={a.id}
              className="appointment card"
              data-testid={`console-appointment-${a.id}`}
              data-appointment-id={a.id}
              data-status={a.status ?? 'booked'}
            >
              <h3>
                {formatClock(a.start, language)}–{formatClock(a.end, language)} · {t(a.kind === 'group' ? 'upcoming.kind.group' : 'upcoming.kind.video')}
              </h3>
              <p>{t('console.patients', { names: a.patientIds.map((id) => a.patientNames?.[id] ?? id).join(', ') })}</p>
              {a.status === 'cancelled' ? (
                // Cancelled by the clinic's system: nothing to open; the professional sees why at once.
                <p className="notice" data-testid="appointment-cancelled">
                  {t('upcoming.cancelled')}
                </p>
              ) : (
                <a className="button primary" href={`/console/${encodeURIComponent(a.id)}`} onClick={link(`/console/${encodeURIComponent(a.id)}`)} data-testid="open-visit">
                  {t('console.open')}
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
