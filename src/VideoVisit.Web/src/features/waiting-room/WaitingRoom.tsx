import { useI18n } from '../../i18n';
import type { VisitSession } from '../visit/useVisitSession';
import { placeInLine, professionalPresent } from '../visit/useVisitSession';
import { Chat } from '../chat/Chat';

/** The patient's waiting room: place in line, whether the professional is there, chat, leave. */
export function WaitingRoom({ session, onLeave }: { session: VisitSession; onLeave: () => void }) {
  const { t } = useI18n();
  const place = placeInLine(session.snapshot, session.selfId);
  const present = professionalPresent(session.snapshot);
  return (
    <div className="waiting-layout">
      <section
        className="waiting-room card"
        aria-labelledby="waiting-title"
        data-testid="waiting-room"
        data-place-in-line={place ?? ''}
        data-professional-present={String(present)}
      >
        <h2 id="waiting-title">{t('waiting.title')}</h2>
        <div role="status" aria-live="polite" aria-atomic="true" data-testid="waiting-status">
          {session.returnedToWaiting && <p className="notice">{t('waiting.returned')}</p>}
          <p className="place">{place ? t('waiting.place', { n: place }) : t('waiting.placeUnknown')}</p>
          <p>{present ? t('waiting.present') : t('waiting.away')}</p>
        </div>
        {session.hub === 'reconnecting' && (
          <p className="banner warning" role="alert">
            {t('call.hubReconnecting')}
          </p>
        )}
        <p className="muted">{t('waiting.info')}</p>
        <button type="button" className="button danger" onClick={onLeave} data-testid="leave-waiting">
          {t('waiting.leave')}
        </button>
      </section>
      <Chat messages={session.messages} participants={session.snapshot?.participants ?? []} selfId={session.selfId} onSend={session.sendChat} />
    </div>
  );
}
