import { useCallback, useEffect, useRef, useState } from 'react';
import { formatTime, useI18n } from '../../i18n';
import { api, type Appointment } from '../../services/api';
import { useSession } from '../../services/auth';
import { hubErrorMessage, visitHub } from '../../services/hub';
import { canShareScreen, releaseMedia } from '../../services/media';
import { createLogger } from '../../services/log';
import { link } from '../../app/App';
import { navigate } from '../../app/router';
import { Precheck } from './Precheck';
import { reportForServer, type PathMeasurement, type PrecheckReport, type Verdict } from './precheckLogic';
import { useVisitSession } from '../visit/useVisitSession';
import { WaitingRoom } from '../waiting-room/WaitingRoom';
import { CallView } from '../call/CallView';
import { prefetchIceServers, useCall } from '../call/useCall';
import { mayShareScreen } from '../call/layout';

const log = createLogger('prejoin');

/** The patient's (or representative's) visit: precheck → waiting room → call → end. */
export function VisitPage({ appointmentId, onBehalfOf }: { appointmentId: string; onBehalfOf: string | null }) {
  const { t, language } = useI18n();
  const [appointment, setAppointment] = useState<Appointment | null | undefined>(undefined);
  const [verdict, setVerdict] = useState<Verdict>('blocked');
  const report = useRef<PrecheckReport | null>(null);
  const session = useVisitSession(appointmentId, onBehalfOf);
  const call = useCall(session.phase === 'admitted', session.visitId, session.selfId, session.snapshot);
  const heading = useRef<HTMLHeadingElement>(null);

  const guest = useSession()?.guest ?? null;

  useEffect(() => {
    // A guest is not in the catalog: their page knows the visit from the invitation, not from Upcoming events.
    if (guest) return () => releaseMedia();
    api.upcoming().then(
      (list) => setAppointment(list.find((a) => a.id === appointmentId) ?? null),
      () => setAppointment(null),
    );
    return () => releaseMedia();
  }, [appointmentId, guest]);

  useEffect(() => {
    if (session.phase === 'removed' || session.phase === 'ended') releaseMedia();
  }, [session.phase]);

  // Move focus to the new heading when the phase changes, so screen readers follow.
  const firstPhase = useRef(true);
  useEffect(() => {
    if (firstPhase.current) {
      firstPhase.current = false;
      return;
    }
    heading.current?.focus();
  }, [session.phase]);

  const [pathDone, setPathDone] = useState(false);
  const onReport = useCallback((r: PrecheckReport) => {
    report.current = r;
    setVerdict(r.verdict);
  }, []);
  const onPathDone = useCallback((path: PathMeasurement) => {
    if (report.current) report.current = { ...report.current, path };
    setPathDone(true);
  }, []);

  // The connection test may finish after the patient has begun: report again, so the professional
  // sees its verdict beside the device results.
  const reportedPath = useRef(false);
  useEffect(() => {
    if (!pathDone || reportedPath.current || !session.visitId || !report.current) return;
    if (session.phase !== 'waiting' && session.phase !== 'admitted') return;
    reportedPath.current = true;
    void visitHub.reportPrecheck(session.visitId, reportForServer(report.current)).catch((e) => log.warn('ReportPrecheck failed', hubErrorMessage(e)));
  }, [pathDone, session.visitId, session.phase]);

  async function beginVideoVisit() {
    void prefetchIceServers();
    const joined = await session.begin();
    if (joined && report.current) {
      if (report.current.path.state === 'done') reportedPath.current = true;
      await visitHub.reportPrecheck(joined.visitId, reportForServer(report.current)).catch((e) => log.warn('ReportPrecheck failed', hubErrorMessage(e)));
    }
  }

  async function leave() {
    await session.leave();
    releaseMedia();
  }

  const phase = session.phase;
  const inPrejoin = phase === 'idle' || phase === 'joining' || phase === 'error';
  const title =
    phase === 'waiting' ? t('waiting.title') : phase === 'admitted' ? t('call.title') : t('visit.title');

  return (
    <section className="page visit" data-testid="visit-page" data-visit-phase={phase} data-visit-id={session.visitId ?? ''} data-participant-id={session.selfId ?? ''}>
      <h1 ref={heading} tabIndex={-1} className={phase === 'admitted' ? 'visually-hidden' : undefined}>
        {title}
      </h1>
      {appointment && phase !== 'admitted' && (
        <p className="appointment-line">
          {formatTime(appointment.start, language)} · {appointment.professionalName ?? appointment.professional} · {appointment.unitName ?? appointment.unit}
          {onBehalfOf && <> · {t('upcoming.onBehalfOf', { name: onBehalfOf })}</>}
        </p>
      )}
      {appointment === null && <p className="notice">{t('visit.notFound')}</p>}

      {inPrejoin && (
        <Precheck
          onReport={onReport}
          onPathDone={onPathDone}
          action={
            <div className="begin" data-testid="begin-section" data-begin-state={verdict}>
              {verdict === 'blocked' && <p>{t('visit.blocked')}</p>}
              {verdict === 'warned' && <p>{t('visit.warned')}</p>}
              <button
                type="button"
                className="button primary large"
                data-testid="begin-video-visit"
                disabled={verdict === 'blocked' || phase === 'joining'}
                aria-describedby="begin-error"
                onClick={() => void beginVideoVisit()}
              >
                {phase === 'joining' ? t('visit.beginning') : t('visit.begin')}
              </button>
              <div id="begin-error" role="alert">
                {session.error && <p className="error" data-testid="begin-error">{session.error}</p>}
              </div>
            </div>
          }
        />
      )}

      {phase === 'waiting' && <WaitingRoom session={session} onLeave={() => void leave()} />}

      {phase === 'admitted' && (
        <CallView
          peers={call.peers}
          participants={session.snapshot?.participants ?? []}
          selfId={session.selfId}
          hub={session.hub}
          onLeave={() => void leave()}
          replaceTrack={(k, tr) => void call.replaceTrack(k, tr)}
          messages={session.messages}
          onSendChat={session.sendChat}
          screenShare={{
            allowed: mayShareScreen(session.self?.role),
            supported: canShareScreen(),
            sharing: call.screen,
            error: call.screenError,
            start: call.startScreenShare,
            stop: call.stopScreenShare,
          }}
        />
      )}

      {(phase === 'removed' || phase === 'ended' || phase === 'left') && (
        <div className="card" role="status" data-testid="visit-over" data-reason={phase === 'removed' ? (session.removedReason ?? 'removed') : phase === 'ended' ? (session.endedReason ?? phase) : phase}>
          <p>
            {t(
              phase === 'removed'
                ? session.removedReason === 'replaced'
                  ? 'visit.replaced'
                  : session.removedReason === 'right-ended'
                    ? 'visit.rightEnded'
                    : session.removedReason === 'invitation-revoked'
                      ? 'visit.invitationRevoked'
                      : 'visit.removed'
                : phase === 'ended'
                  ? session.endedReason === 'appointment-cancelled'
                    ? 'visit.appointmentCancelled'
                    : 'visit.ended'
                  : 'visit.left',
            )}
          </p>
          {!guest && (
            <a className="button" href="/upcoming" onClick={link('/upcoming')}>
              {t('visit.toUpcoming')}
            </a>
          )}
        </div>
      )}
      {inPrejoin && !guest && (
        <p>
          <a href="/upcoming" onClick={(e) => { e.preventDefault(); navigate('/upcoming'); }}>
            {t('common.back')}
          </a>
        </p>
      )}
    </section>
  );
}
