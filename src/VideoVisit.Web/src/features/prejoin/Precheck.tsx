import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useI18n, type MessageKey } from '../../i18n';
import { canChooseSpeaker, setSpeaker, useLocalMedia } from '../../services/media';
import { levelMeter } from './measure';
import { currentBrowser, type BrowserInfo } from './browserSupport';
import type { PathMeasurement, PrecheckReport } from './precheckLogic';
import { toneUrl, usePrecheck } from './usePrecheck';

const browserLabel: Record<string, string> = {
  chrome: 'Chrome',
  firefox: 'Firefox',
  safari: 'Safari',
  edge: 'Edge',
  opera: 'Opera',
  samsung: 'Samsung Internet',
  other: '?',
};
const osLabel: Record<string, string> = {
  windows: 'Windows',
  mac: 'macOS',
  ios: 'iOS',
  android: 'Android',
  linux: 'Linux',
  chromeos: 'ChromeOS',
  other: '?',
};

function adviceKey(os: BrowserInfo['os']): MessageKey {
  return os === 'windows' || os === 'mac' || os === 'ios' || os === 'android' ? `precheck.advice.${os}` : 'precheck.advice.other';
}

/**
 * The device precheck. Its root carries the machine-readable outcome:
 * `data-precheck-state` (Contract v1 values), `data-precheck-verdict` (allowed / warned / blocked),
 * `data-precheck-problems` (space-separated) and `data-precheck-report` (the JSON report).
 */
export function Precheck({
  onReport,
  onPathDone,
  action,
}: {
  onReport?: (report: PrecheckReport) => void;
  onPathDone?: (path: PathMeasurement) => void;
  action?: ReactNode;
}) {
  const { t } = useI18n();
  const { report, videoRef, chooseDevice, testPopups, answerSpeaker, retry } = usePrecheck(onPathDone);
  const media = useLocalMedia();
  const browser = currentBrowser();
  const [tonePlayed, setTonePlayed] = useState(false);
  const audioRef = useRef<HTMLAudioElement | null>(null);

  useEffect(() => {
    onReport?.(report);
  }, [report, onReport]);

  const problems = new Set(report.problems);
  const deviceStatus = (status: string) =>
    status === 'ok' ? t('precheck.ok') : status === 'pending' ? t('precheck.pending') : t(`precheck.status.${status}` as MessageKey);

  async function playTone() {
    const audio = audioRef.current;
    if (!audio) return;
    if (!audio.src) audio.src = toneUrl();
    const sink = media.choice.speakerId;
    if (sink && 'setSinkId' in audio) {
      await (audio as HTMLAudioElement & { setSinkId(id: string): Promise<void> }).setSinkId(sink).catch(() => undefined);
    }
    audio.currentTime = 0;
    await audio.play().catch(() => undefined);
    setTonePlayed(true);
  }

  const cameras = media.devices.filter((d) => d.kind === 'videoinput');
  const microphones = media.devices.filter((d) => d.kind === 'audioinput');
  const speakers = media.devices.filter((d) => d.kind === 'audiooutput');
  const permissionGuide = problems.has('camera-denied') || problems.has('microphone-denied');

  return (
    <section
      className="precheck card"
      aria-labelledby="precheck-title"
      data-testid="precheck"
      data-precheck-state={report.state}
      data-precheck-verdict={report.verdict}
      data-precheck-problems={report.problems.join(' ')}
      data-precheck-report={JSON.stringify(report)}
    >
      <h2 id="precheck-title">{t('precheck.title')}</h2>
      <p>{t('precheck.intro')}</p>
      <p className={`precheck-summary state-${report.state}`} role="status" aria-live="polite" data-testid="precheck-summary">
        {t(`precheck.state.${report.state}` as MessageKey)}
      </p>
      <PathResult report={report} />
      {/* Begin video visit right under the verdict it follows from (never a sticky box over it). */}
      {action}

      {report.state !== 'checking' && report.verdict !== 'allowed' && (
        <div className="guidance" data-testid="precheck-guidance">
          {problems.has('cannot-call') && (
            <p className="error" data-guidance="cannot-call">
              {t('precheck.cannotCall', { advice: t(adviceKey(browser.os)) })}
            </p>
          )}
          {problems.has('offline') && (
            <div className="error" data-guidance="offline" role="alert">
              <p>{t('precheck.hubDown')}</p>
            </div>
          )}
          {permissionGuide && (
            <div data-guidance={`permission-${browser.guide}`}>
              <h3>{t('precheck.guide.title')}</h3>
              <p>{t(`precheck.guide.${browser.guide}` as MessageKey)}</p>
            </div>
          )}
          {(problems.has('camera-busy') || problems.has('microphone-busy')) && <p data-guidance="busy">{t('precheck.guide.busy')}</p>}
          {(problems.has('camera-missing') || problems.has('microphone-missing')) && (
            <p data-guidance="missing">{t('precheck.guide.missing')}</p>
          )}
          {problems.has('camera-covered') && <p data-guidance="covered">{t('precheck.covered')}</p>}
          {problems.has('microphone-silent') && <p data-guidance="silent">{t('precheck.silent')}</p>}
          {problems.has('relay-only') && <p data-guidance="relay-only">{t('precheck.relayTcp')}</p>}
          {problems.has('relay-unreachable') && <p data-guidance="relay-unreachable">{t('precheck.relayNone')}</p>}
          {problems.has('browser-not-recommended') && (
            <p data-guidance="not-recommended">
              {t('precheck.notRecommended', {
                browser: browserLabel[browser.name],
                os: osLabel[browser.os],
                advice: t(adviceKey(browser.os)),
              })}
            </p>
          )}
          {problems.has('popup-blocked') && (
            <p data-guidance={`popup-${browser.guide}`}>
              {t('precheck.popupBlocked')} {t(`precheck.guide.popup.${browser.guide}` as MessageKey)}
            </p>
          )}
          {problems.has('speaker-not-heard') && <p data-guidance="speaker">{t('precheck.speakerNotHeard')}</p>}
          <button type="button" className="button" onClick={retry} data-testid="precheck-retry">
            {t('precheck.retry')}
          </button>
        </div>
      )}

      <div className="precheck-grid">
        <div className="precheck-item" data-check="camera" data-status={report.camera.status}>
          <h3>{t('precheck.camera')}</h3>
          <video
            ref={videoRef}
            className="preview"
            data-testid="camera-preview"
            aria-label={t('precheck.preview')}
            playsInline
            autoPlay
            muted
            hidden={media.stream?.getVideoTracks().length ? false : true}
          />
          <p>{deviceStatus(report.camera.status)}</p>
          {cameras.length > 0 && (
            <label className="field">
              <span>{t('precheck.chooseCamera')}</span>
              <select
                value={media.choice.cameraId ?? ''}
                onChange={(e) => void chooseDevice('camera', e.target.value)}
                data-testid="choose-camera"
              >
                {cameras.map((d, i) => (
                  <option key={d.deviceId || i} value={d.deviceId}>
                    {d.label || `${t('precheck.camera')} ${i + 1}`}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>

        <div className="precheck-item" data-check="microphone" data-status={report.microphone.status}>
          <h3>{t('precheck.microphone')}</h3>
          <LevelMeter stream={media.stream} label={t('precheck.level')} />
          <p>{deviceStatus(report.microphone.status)}</p>
          {microphones.length > 0 && (
            <label className="field">
              <span>{t('precheck.chooseMicrophone')}</span>
              <select
                value={media.choice.microphoneId ?? ''}
                onChange={(e) => void chooseDevice('microphone', e.target.value)}
                data-testid="choose-microphone"
              >
                {microphones.map((d, i) => (
                  <option key={d.deviceId || i} value={d.deviceId}>
                    {d.label || `${t('precheck.microphone')} ${i + 1}`}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>

        <div className="precheck-item" data-check="speaker" data-status={report.speaker.test}>
          <h3>{t('precheck.speaker')}</h3>
          <audio ref={audioRef} />
          <button type="button" className="button" onClick={() => void playTone()} data-testid="play-tone">
            {t('precheck.playTone')}
          </button>
          {tonePlayed && (
            <fieldset className="heard">
              <legend>{t('precheck.heard')}</legend>
              <button type="button" className="button" onClick={() => answerSpeaker(true)} data-testid="heard-yes" aria-pressed={report.speaker.test === 'heard'}>
                {t('precheck.yes')}
              </button>
              <button type="button" className="button" onClick={() => answerSpeaker(false)} data-testid="heard-no" aria-pressed={report.speaker.test === 'not-heard'}>
                {t('precheck.no')}
              </button>
            </fieldset>
          )}
          {report.speaker.test === 'heard' && <p>{t('precheck.speakerHeard')}</p>}
          {canChooseSpeaker() && speakers.length > 0 && (
            <label className="field">
              <span>{t('precheck.chooseSpeaker')}</span>
              <select value={media.choice.speakerId ?? ''} onChange={(e) => setSpeaker(e.target.value)} data-testid="choose-speaker">
                {speakers.map((d, i) => (
                  <option key={d.deviceId || i} value={d.deviceId}>
                    {d.label || `${t('precheck.speaker')} ${i + 1}`}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>

        <div className="precheck-item" data-check="popup" data-status={report.popup}>
          <h3>{t('precheck.popups')}</h3>
          <button type="button" className="button" onClick={() => testPopups(t('precheck.popupWindowText'))} data-testid="test-popups">
            {t('precheck.testPopups')}
          </button>
          <p>
            {report.popup === 'allowed'
              ? t('precheck.popupAllowed')
              : report.popup === 'blocked'
                ? t('precheck.popupBlocked')
                : t('precheck.popupNotChecked')}
          </p>
        </div>

        <div className="precheck-item" data-check="browser" data-status={report.browser.status}>
          <h3>{t('precheck.browser')}</h3>
          <p>
            {report.browser.status === 'cannot-call'
              ? t('precheck.state.unsupported-browser')
              : t(
                  report.browser.status === 'recommended'
                    ? 'precheck.recommended'
                    : report.browser.status === 'supported'
                      ? 'precheck.supported'
                      : 'precheck.notRecommended',
                  { browser: browserLabel[browser.name], os: osLabel[browser.os], advice: t(adviceKey(browser.os)) },
                )}
          </p>
        </div>

        <div className="precheck-item" data-check="network" data-status={`${report.network.hub} ${report.network.relay}`}>
          <h3>{t('precheck.network')}</h3>
          <p>
            {report.network.hub === 'pending'
              ? t('precheck.pending')
              : report.network.hub === 'reachable'
                ? t('precheck.hubOk')
                : t('precheck.hubDown')}
          </p>
          {report.network.relay === 'udp' && <p>{t('precheck.relayUdp')}</p>}
          {report.network.relay === 'tcp' && <p>{t('precheck.relayTcp')}</p>}
          {report.network.relay === 'none' && <p>{t('precheck.relayNone')}</p>}
          {report.network.relay === 'not-configured' && <p>{t('precheck.relayNotConfigured')}</p>}
        </div>
      </div>
    </section>
  );
}

/** The connection test through our relay: measuring, then the figures, the verdict and advice. */
function PathResult({ report }: { report: PrecheckReport }) {
  const { t } = useI18n();
  const path = report.path;
  if (path.state === 'pending' || path.state === 'skipped') return null;
  const best = path.best;
  return (
    <div
      className={`path-test verdict-${path.verdict ?? 'pending'}`}
      data-testid="path-test"
      data-path-state={path.state}
      data-path-verdict={path.verdict ?? ''}
      data-path-transport={best?.transport ?? ''}
      data-path-rtt={best?.rttMs ?? ''}
      data-path-jitter={best?.jitterMs ?? ''}
      data-path-loss={best?.lossPercent ?? ''}
      data-path-kbps={best?.kbps ?? ''}
      data-path-results={path.results.map((r) => `${r.transport}:${r.outcome}`).join(' ')}
      role="status"
      aria-live="polite"
    >
      {path.state === 'measuring' ? (
        <p>{t('precheck.path.measuring')}</p>
      ) : path.verdict === 'failed' || !best ? (
        <p>{t('precheck.path.failed')}</p>
      ) : (
        <>
          <p className="path-verdict">{t(`precheck.path.verdict.${path.verdict}` as MessageKey)}</p>
          <p className="path-figures" data-testid="path-figures">
            {t('precheck.path.figures', {
              transport: best.transport.toUpperCase(),
              rtt: best.rttMs ?? '–',
              jitter: best.jitterMs ?? '–',
              loss: best.lossPercent ?? '–',
              kbps: best.kbps ?? '–',
            })}
          </p>
          <p>{t(`precheck.path.advice.${path.verdict}` as MessageKey)}</p>
        </>
      )}
      {path.state === 'measuring' && report.state !== 'checking' && <p className="muted">{t('precheck.path.later')}</p>}
    </div>
  );
}

function LevelMeter({ stream, label }: { stream: MediaStream | null; label: string }) {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    if (!stream || stream.getAudioTracks().length === 0) return;
    const meter = levelMeter(stream);
    if (!meter) return;
    const timer = window.setInterval(() => setLevel(Math.min(1, meter.read() * 6)), 120);
    return () => {
      window.clearInterval(timer);
      meter.stop();
    };
  }, [stream]);
  return (
    <label className="field">
      <span>{label}</span>
      <meter min={0} max={1} low={0.05} value={level} data-testid="mic-level" />
    </label>
  );
}
