import { useEffect, useRef } from 'react';
import { useI18n } from '../../i18n';
import { signOut } from '../../services/auth';
import { continueSession, useIdle } from './activity';

/** The "Are you still there?" dialog and the sign-out when the time runs out. */
export function SessionTimeout() {
  const { t } = useI18n();
  const idle = useIdle(true);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (idle.expired) signOut('timeout');
  }, [idle.expired]);

  useEffect(() => {
    if (idle.warning) button.current?.focus();
  }, [idle.warning]);

  if (!idle.warning) return null;
  return (
    <div className="modal-backdrop">
      <div
        className="modal"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="session-warning-title"
        aria-describedby="session-warning-text"
        data-testid="session-warning"
      >
        <h2 id="session-warning-title">{t('session.warningTitle')}</h2>
        <p id="session-warning-text" aria-live="assertive">
          {t('session.warning', { seconds: idle.remaining ?? 0 })}
        </p>
        <button ref={button} type="button" className="button primary" data-testid="session-continue" onClick={continueSession}>
          {t('session.continue')}
        </button>
      </div>
    </div>
  );
}
