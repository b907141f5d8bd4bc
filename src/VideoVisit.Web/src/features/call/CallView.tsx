import { useEffect, useRef, useState } from 'react';
import { useI18n, type MessageKey } from '../../i18n';
import type { ConnectionStatus, Participant } from '../../services/hub';
import { canChooseSpeaker, setSpeaker, setTrackEnabled, switchDevice, useLocalMedia } from '../../services/media';
import type { PeerInfo } from '../../services/webrtc';
import { recordFirstFrame } from './useCall';

const graceSeconds = 60;

/** Self view, remote tiles (a grid for groups), controls, connection indicators and banners. */
export function CallView({
  peers,
  participants,
  selfId,
  hub,
  onLeave,
  replaceTrack,
  leaveLabel,
}: {
  peers: PeerInfo[];
  participants: Participant[];
  selfId: string | null;
  hub: ConnectionStatus;
  onLeave: () => void;
  replaceTrack: (kind: 'audio' | 'video', track: MediaStreamTrack | null) => void;
  leaveLabel?: string;
}) {
  const { t } = useI18n();
  const media = useLocalMedia();
  const [now, setNow] = useState(Date.now());
  const nameOf = (id: string) => participants.find((p) => p.participantId === id)?.displayName ?? id;
  const others = participants.filter((p) => (p.state === 'admitted' || p.state === 'reconnecting') && p.participantId !== selfId);
  const broken = peers.filter((p) => p.disconnectedSince !== undefined);
  const othersReconnecting = others.filter((p) => p.state === 'reconnecting');

  useEffect(() => {
    if (broken.length === 0) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [broken.length]);

  const oldest = broken.length ? Math.min(...broken.map((p) => p.disconnectedSince ?? Date.now())) : 0;
  const secondsLeft = Math.max(0, graceSeconds - Math.floor((now - oldest) / 1000));

  async function choose(kind: 'camera' | 'microphone', id: string) {
    const track = await switchDevice(kind, id);
    if (track) replaceTrack(kind === 'camera' ? 'video' : 'audio', track);
  }

  const cameras = media.devices.filter((d) => d.kind === 'videoinput');
  const microphones = media.devices.filter((d) => d.kind === 'audioinput');
  const speakers = media.devices.filter((d) => d.kind === 'audiooutput');
  const count = others.length + 1;

  return (
    <section className="call" aria-labelledby="call-title" data-testid="call" data-peer-count={peers.length}>
      <h2 id="call-title" className="visually-hidden">
        {t('call.title')}
      </h2>
      <div aria-live="assertive" className="banners">
        {hub === 'reconnecting' && (
          <p className="banner warning" data-testid="hub-reconnecting">
            {t('call.hubReconnecting')}
          </p>
        )}
        {othersReconnecting.length > 0 && broken.length === 0 && (
          <p className="banner warning" data-testid="peer-reconnecting">
            {othersReconnecting.map((p) => p.displayName).join(', ')}: {t('call.connecting')}
          </p>
        )}
        {broken.length > 0 && (
          <p className="banner warning" data-testid="reconnecting" data-seconds-left={secondsLeft}>
            {t('call.reconnecting', { seconds: secondsLeft })}
          </p>
        )}
        {media.endedKind && (
          <div className="banner error" data-testid="track-ended" data-kind={media.endedKind} role="alert">
            <p>{t(`call.trackEnded.${media.endedKind}` as MessageKey)}</p>
            <DeviceSelect
              label={media.endedKind === 'video' ? t('precheck.chooseCamera') : t('precheck.chooseMicrophone')}
              devices={media.endedKind === 'video' ? cameras : microphones}
              value=""
              testId="track-ended-device"
              onChange={(id) => void choose(media.endedKind === 'video' ? 'camera' : 'microphone', id)}
              placeholder
            />
          </div>
        )}
      </div>

      <div className={`tiles count-${Math.min(count, 9)}`} data-testid="tiles" data-tile-count={count}>
        <figure className="tile self" data-testid="self-tile">
          <SelfVideo stream={media.stream} label={t('call.selfView')} />
          <figcaption>
            {t('call.self')} {!media.audioEnabled && <span className="badge">{t('call.muted')}</span>}
          </figcaption>
        </figure>
        {others.map((p) => {
          const peer = peers.find((x) => x.participantId === p.participantId);
          return <RemoteTile key={p.participantId} participant={p} peer={peer} speakerId={media.choice.speakerId} name={nameOf(p.participantId)} />;
        })}
      </div>
      {others.length === 0 && <p className="muted">{t('call.alone')}</p>}

      <div className="controls" role="group" aria-label={t('call.devices')}>
        <button
          type="button"
          className="button"
          aria-pressed={!media.audioEnabled}
          data-testid="toggle-mute"
          onClick={() => setTrackEnabled('audio', !media.audioEnabled)}
        >
          {media.audioEnabled ? t('call.mute') : t('call.unmute')}
        </button>
        <button
          type="button"
          className="button"
          aria-pressed={!media.videoEnabled}
          data-testid="toggle-camera"
          onClick={() => setTrackEnabled('video', !media.videoEnabled)}
        >
          {media.videoEnabled ? t('call.cameraOff') : t('call.cameraOn')}
        </button>
        {cameras.length > 1 && (
          <DeviceSelect label={t('precheck.chooseCamera')} devices={cameras} value={media.choice.cameraId ?? ''} testId="call-camera" onChange={(id) => void choose('camera', id)} />
        )}
        {microphones.length > 1 && (
          <DeviceSelect
            label={t('precheck.chooseMicrophone')}
            devices={microphones}
            value={media.choice.microphoneId ?? ''}
            testId="call-microphone"
            onChange={(id) => void choose('microphone', id)}
          />
        )}
        {canChooseSpeaker() && speakers.length > 1 && (
          <DeviceSelect label={t('precheck.chooseSpeaker')} devices={speakers} value={media.choice.speakerId ?? ''} testId="call-speaker" onChange={setSpeaker} />
        )}
        <button type="button" className="button danger" data-testid="leave-call" onClick={onLeave}>
          {leaveLabel ?? t('call.leave')}
        </button>
      </div>
    </section>
  );
}

function DeviceSelect({
  label,
  devices,
  value,
  onChange,
  testId,
  placeholder,
}: {
  label: string;
  devices: MediaDeviceInfo[];
  value: string;
  onChange: (id: string) => void;
  testId: string;
  placeholder?: boolean;
}) {
  return (
    <label className="field inline">
      <span>{label}</span>
      <select value={value} onChange={(e) => e.target.value && onChange(e.target.value)} data-testid={testId}>
        {placeholder && <option value="">—</option>}
        {devices.map((d, i) => (
          <option key={d.deviceId || i} value={d.deviceId}>
            {d.label || `${label} ${i + 1}`}
          </option>
        ))}
      </select>
    </label>
  );
}

function SelfVideo({ stream, label }: { stream: MediaStream | null; label: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    v.srcObject = stream;
    void v.play().catch(() => undefined);
  }, [stream]);
  return <video ref={ref} className="mirror" data-testid="self-video" aria-label={label} playsInline autoPlay muted />;
}

function RemoteTile({
  participant,
  peer,
  speakerId,
  name,
}: {
  participant: Participant;
  peer?: PeerInfo;
  speakerId?: string;
  name: string;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLVideoElement>(null);
  const [blocked, setBlocked] = useState(false);
  const stream = peer?.stream ?? null;

  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    v.srcObject = stream;
    if (!stream) return;
    const id = participant.participantId;
    const onFrame = () => {
      if (v.videoWidth > 0) recordFirstFrame(id);
    };
    const withCallback = v as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
    if (withCallback.requestVideoFrameCallback) withCallback.requestVideoFrameCallback(onFrame);
    v.addEventListener('loadeddata', onFrame);
    v.addEventListener('resize', onFrame);
    // Autoplay with sound needs a user gesture; fall back to muted playback and an unmute button.
    v.play().catch(() => {
      v.muted = true;
      setBlocked(true);
      void v.play().catch(() => undefined);
    });
    return () => {
      v.removeEventListener('loadeddata', onFrame);
      v.removeEventListener('resize', onFrame);
    };
  }, [stream, participant.participantId]);

  useEffect(() => {
    const v = ref.current as (HTMLVideoElement & { setSinkId?: (id: string) => Promise<void> }) | null;
    if (v && speakerId && v.setSinkId) void v.setSinkId(speakerId).catch(() => undefined);
  }, [speakerId, stream]);

  const state = peer?.connectionState ?? 'new';
  return (
    <figure
      className="tile remote"
      data-testid="remote-tile"
      data-participant-id={participant.participantId}
      data-connection-state={state}
      data-connection-path={peer?.path ?? 'unknown'}
      data-local-candidate-type={peer?.localCandidateType ?? ''}
      data-remote-candidate-type={peer?.remoteCandidateType ?? ''}
      data-quality={peer?.quality ?? 'unknown'}
    >
      <video ref={ref} data-testid="remote-video" data-participant-id={participant.participantId} aria-label={t('call.remoteVideo', { name })} playsInline autoPlay />
      <figcaption>
        <span className="tile-name">{name}</span>
        {state !== 'connected' && <span className="badge">{t('call.connecting')}</span>}
        {state === 'connected' && (
          <span className={`badge quality-${peer?.quality ?? 'unknown'}`} data-testid="quality">
            {t('call.quality', { quality: t(`call.quality.${peer?.quality ?? 'unknown'}` as MessageKey) })}
          </span>
        )}
        {peer?.path === 'relay' && (
          <span className="badge relay" data-testid="via-relay">
            {t('call.viaRelay')}
          </span>
        )}
        {blocked && (
          <button
            type="button"
            className="button small"
            onClick={() => {
              if (ref.current) ref.current.muted = false;
              setBlocked(false);
            }}
          >
            {t('call.unmute')}
          </button>
        )}
      </figcaption>
    </figure>
  );
}
