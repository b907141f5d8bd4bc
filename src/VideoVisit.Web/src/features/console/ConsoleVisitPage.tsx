import { useEffect, useRef, useState } from 'react';
import { useI18n, type MessageKey } from '../../i18n';
import { hubErrorMessage, visitHub, type Participant } from '../../services/hub';
import { acquireMedia, canShareScreen, getLocalMedia, releaseMedia } from '../../services/media';
import { link } from '../../app/App';
import { newId, useVisitSession } from '../visit/useVisitSession';
import { CallView, ControlButton } from '../call/CallView';
import { mayShareScreen } from '../call/layout';
import { networkFromSummary } from '../prejoin/precheckLogic';
import { prefetchIceServers, useCall } from '../call/useCall';
import { formatWait, waitingList } from './logic';
import { Invitations } from './Invitations';

/** One visit from the professional's side: who waits, admit/return/remove/end, and the call. */
export function ConsoleVisitPage({ appointmentId }: { appointmentId: string }) {
  const { t } = useI18n();
  const session = useVisitSession(appointmentId, null);
  const call = useCall(session.phase === 'admitted', session.visitId, session.selfId, session.snapshot);
  const [now, setNow] = useState(Date.now());
  const [actionError, setActionError] = useState<string | null>(null);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void prefetchIceServers();
    void (async () => {
      if (!getLocalMedia().stream) await acquireMedia();
      await session.begin();
    })();
    return () => releaseMedia();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);

  const visitId = session.visitId;
  const participants = session.snapshot?.participants ?? [];
  const waiting = waitingList(participants);
  const admitted = participants.filter((p) => p.state === 'admitted' && p.participantId !== session.selfId);
  const removed = participants.filter((p) => p.state === 'removed');

  async function act(action: () => Promise<void>) {
    setActionError(null);
    try {
      await action();
    } catch (e) {
      setActionError(hubErrorMessage(e));
    }
  }

  const row = (p: Participant, kind: 'waiting' | 'admitted') => {
    const { devices, network } = networkFromSummary(p.precheck?.summary);
    return (
    <li
      key={p.participantId}
      className="participant-row"
      data-testid="participant-row"
      data-participant-id={p.participantId}
      data-person-id={p.personId ?? ''}
      data-state={p.state}
      data-on-behalf-of={p.onBehalfOf ?? ''}
      data-precheck-state={p.precheck?.state ?? ''}
    >
      <div className="participant-info">
        <span className="participant-name">{p.displayName}</span>
        {(p.role === 'interpreter' || p.role === 'guest') && (
          <span className="guest-role" data-testid="guest-label" data-role={p.role}>
            {' '}
            {t(p.role === 'interpreter' ? 'console.guest.interpreter' : 'console.guest.guest')}
          </span>
        )}
        {p.onBehalfOf && (
          <span className="on-behalf" data-testid="on-behalf-of">
            {' '}
            ({t('console.onBehalfOf', { name: p.onBehalfOfName ?? p.onBehalfOf })})
          </span>
        )}
        {kind === 'waiting' && (
          <span className="wait-time" data-testid="wait-time">
            {t('console.waitTime', { time: formatWait(p.waitingSince, now) })}
          </span>
        )}
        {kind === 'waiting' && typeof p.placeInLine === 'number' && (
          <span className="place-in-line" data-testid="place-in-line">
            #{p.placeInLine}
          </span>
        )}
        <span className={`precheck-summary state-${p.precheck?.state ?? 'none'}`} data-testid="precheck-summary">
          {p.precheck
            ? t('console.precheck', { state: devices && devices !== p.precheck.state ? `${p.precheck.state} (${devices})` : p.precheck.state })
            : t('console.precheckNone')}
        </span>
        {network && (
          <span
            className={`network-summary verdict-${network.verdict}`}
            data-testid="network-summary"
            data-network-verdict={network.verdict}
            data-network-transport={network.transport ?? ''}
            data-network-rtt={network.rttMs ?? ''}
            data-network-jitter={network.jitterMs ?? ''}
            data-network-loss={network.lossPercent ?? ''}
            data-network-kbps={network.kbps ?? ''}
          >
            {t('console.network', {
              result:
                network.verdict === 'measuring'
                  ? t('precheck.path.measuring')
                  : `${t(`call.quality.${network.verdict === 'failed' ? 'poor' : network.verdict}` as MessageKey)}${
                      network.rttMs !== undefined
                        ? ` · ${network.transport?.toUpperCase()} ${network.rttMs} ms · jitter ${network.jitterMs} ms · ${network.lossPercent} % · ${network.kbps} kbit/s`
                        : ''
                    }`,
            })}
          </span>
        )}
      </div>
      {kind === 'waiting' && <ReplyToWaiting visitId={visitId!} participant={p} />}
      <div className="participant-actions">
        {kind === 'waiting' ? (
          <button type="button" className="button primary" data-testid="admit-button" aria-label={`${t('console.admit')}: ${p.displayName}`} onClick={() => void act(() => visitHub.admit(visitId!, p.participantId))}>
            {t('console.admit')}
          </button>
        ) : (
          <button type="button" className="button" data-testid="return-button" aria-label={`${t('console.return')}: ${p.displayName}`} onClick={() => void act(() => visitHub.returnToWaiting(visitId!, p.participantId))}>
            {t('console.return')}
          </button>
        )}
        <button type="button" className="button danger" data-testid="remove-button" aria-label={`${t('console.remove')}: ${p.displayName}`} onClick={() => void act(() => visitHub.remove(visitId!, p.participantId))}>
          {t('console.remove')}
        </button>
      </div>
    </li>
    );
  };

  return (
    <section className="page console-visit" data-testid="console-visit" data-visit-phase={session.phase} data-visit-id={visitId ?? ''} aria-labelledby="console-visit-title">
      <h1 id="console-visit-title" className={session.phase === 'admitted' ? 'visually-hidden' : undefined}>
        {t('console.title')}
      </h1>
      {session.phase !== 'admitted' && (
        <p>
          <a href="/console" onClick={link('/console')}>
            {t('console.back')}
          </a>
        </p>
      )}
      {session.error && (
        <p role="alert" className="error" data-testid="begin-error">
          {session.error}
        </p>
      )}
      {(session.phase === 'ended' || session.phase === 'left') && (
        <p role="status" className="card" data-testid="visit-over" data-reason={session.phase === 'ended' ? (session.endedReason ?? 'ended') : session.phase}>
          {t(session.phase === 'left' ? 'visit.left' : session.endedReason === 'appointment-cancelled' ? 'visit.appointmentCancelled' : 'visit.ended')}
        </p>
      )}
      {session.phase === 'admitted' && visitId && (
        <div className={`console-layout${drawerOpen ? ' drawer-open' : ''}`}>
          <aside className="console-side" id="console-side" data-testid="console-side" aria-labelledby="waiting-list-title">
            <button type="button" className="button small drawer-close" data-testid="close-console-side" onClick={() => setDrawerOpen(false)}>
              {t('call.close')}
            </button>
            <section className="card" aria-labelledby="waiting-list-title" data-testid="waiting-list">
              <h2 id="waiting-list-title">
                {t('console.waiting')} ({waiting.length})
              </h2>
              <div aria-live="polite">
                {waiting.length === 0 ? <p className="muted">{t('console.noneWaiting')}</p> : <ol className="participants">{waiting.map((p) => row(p, 'waiting'))}</ol>}
              </div>
              {waiting.length > 1 && (
                <button type="button" className="button primary" data-testid="admit-all" onClick={() => void act(() => visitHub.admitAll(visitId))}>
                  {t('console.admitAll')}
                </button>
              )}
            </section>
            <section className="card" aria-labelledby="in-visit-title" data-testid="admitted-list">
              <h2 id="in-visit-title">
                {t('console.inVisit')} ({admitted.length})
              </h2>
              <ul className="participants">{admitted.map((p) => row(p, 'admitted'))}</ul>
            </section>
            {removed.length > 0 && (
              <section className="card" aria-labelledby="removed-list-title" data-testid="removed-list">
                <h2 id="removed-list-title">{t('console.removed')}</h2>
                <ul className="participants">
                  {removed.map((p) => (
                    <li key={p.participantId} className="participant-row" data-testid="removed-row" data-participant-id={p.participantId}>
                      <span className="participant-name">{p.displayName}</span>
                      <button type="button" className="button" data-testid="allow-back-button" aria-label={`${t('console.allowBack')}: ${p.displayName}`} onClick={() => void act(() => visitHub.allowBack(visitId, p.participantId))}>
                        {t('console.allowBack')}
                      </button>
                    </li>
                  ))}
                </ul>
              </section>
            )}
            {actionError && (
              <p role="alert" className="error">
                {actionError}
              </p>
            )}
            <Invitations visitId={visitId} />
            <button type="button" className="button danger" data-testid="end-visit" onClick={() => void act(() => visitHub.endVisit(visitId))}>
              {t('console.end')}
            </button>
            <p>
              <a href="/console" onClick={link('/console')}>
                {t('console.back')}
              </a>
            </p>
          </aside>
          <div className="console-main">
            <CallView
              peers={call.peers}
              participants={participants}
              selfId={session.selfId}
              hub={session.hub}
              onLeave={() => void session.leave().then(releaseMedia)}
              replaceTrack={(k, tr) => void call.replaceTrack(k, tr)}
              messages={session.messages}
              onSendChat={session.sendChat}
              screenShare={{
                allowed: mayShareScreen(session.self?.role ?? 'professional'),
                supported: canShareScreen(),
                sharing: call.screen,
                error: call.screenError,
                start: call.startScreenShare,
                stop: call.stopScreenShare,
              }}
              extraControl={
                <span className="drawer-toggle">
                  <ControlButton
                    icon="people"
                    label={t('console.openWaiting', { n: waiting.length })}
                    short={t('console.short.waiting')}
                    expanded={drawerOpen}
                    controls="console-side"
                    testId="toggle-console-side"
                    badge={waiting.length > 0 ? String(waiting.length) : undefined}
                    onClick={() => setDrawerOpen((o) => !o)}
                  />
                </span>
              }
            />
          </div>
        </div>
      )}
      {(session.phase === 'joining' || session.phase === 'idle') && <p role="status">{t('common.loading')}</p>}
    </section>
  );
}

/**
 * A short message to one person in the waiting room ("I'll be with you in 5 minutes"): what is said in
 * the call never reaches the waiting room, so the professional answers there one person at a time.
 */
function ReplyToWaiting({ visitId, participant }: { visitId: string; participant: Participant }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const inputId = `reply-${participant.participantId}`;
  return (
    <form
      className="reply-to-waiting"
      data-testid="reply-to-waiting"
      onSubmit={(e) => {
        e.preventDefault();
        const value = text.trim();
        if (!value) return;
        setError(null);
        visitHub
          .sendChatTo(visitId, participant.participantId, newId(), value)
          .then(() => setText(''))
          .catch((err: unknown) => setError(hubErrorMessage(err)));
      }}
    >
      <label htmlFor={inputId} className="visually-hidden">
        {t('console.replyTo', { name: participant.displayName })}
      </label>
      <input id={inputId} type="text" maxLength={2000} autoComplete="off" value={text} placeholder={t('console.replyTo', { name: participant.displayName })} onChange={(e) => setText(e.target.value)} data-testid="reply-input" />
      <button type="submit" className="button" data-testid="reply-send">
        {t('chat.send')}
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </form>
  );
}
