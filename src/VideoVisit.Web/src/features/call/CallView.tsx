import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { useI18n, type MessageKey } from '../../i18n';
import type { ChatMessage, ConnectionStatus, Participant } from '../../services/hub';
import { canChooseSpeaker, setSpeaker, setTrackEnabled, switchDevice, useLocalMedia } from '../../services/media';
import type { PeerInfo } from '../../services/webrtc';
import { Chat } from '../chat/Chat';
import { Icon } from './icons';
import { activeSpeaker, callLayout, gridColumns, nearestCorner, nextCorner, unreadCount, type Corner } from './layout';
import { recordFirstFrame } from './useCall';

const graceSeconds = 60;

export interface ScreenShareControls {
  /** Whether this participant may share (the professional; patients only when the visit allows). */
  allowed: boolean;
  supported: boolean;
  sharing: MediaStream | null;
  error: string | null;
  start: () => void;
  stop: () => void;
}

/**
 * The call screen: the other person large (speaker view), a grid with the active speaker marked for
 * groups, a shared screen larger still; the self view small and movable; one control bar (icon and
 * text) with microphone, camera, screen share, devices, chat, full screen and leave. It fills the
 * window's height, so on a phone the controls and Leave are in view without scrolling.
 */
export function CallView({
  peers,
  participants,
  selfId,
  hub,
  onLeave,
  replaceTrack,
  leaveLabel,
  messages,
  onSendChat,
  screenShare,
  extraControl,
}: {
  peers: PeerInfo[];
  participants: Participant[];
  selfId: string | null;
  hub: ConnectionStatus;
  onLeave: () => void;
  replaceTrack: (kind: 'audio' | 'video', track: MediaStreamTrack | null) => void;
  leaveLabel?: string;
  messages: ChatMessage[];
  onSendChat: (text: string) => Promise<void>;
  screenShare: ScreenShareControls;
  /** A control of the page around the call (the console's waiting-list drawer on a tablet). */
  extraControl?: ReactNode;
}) {
  const { t } = useI18n();
  const media = useLocalMedia();
  const root = useRef<HTMLElement>(null);
  const [now, setNow] = useState(Date.now());
  const [devicesOpen, setDevicesOpen] = useState(false);
  const [chatOpen, setChatOpen] = useState(() => window.innerWidth >= 960);
  const [seen, setSeen] = useState(0);
  const [corner, setCorner] = useState<Corner>('bottom-right');
  const [speaker, setActive] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [height, setHeight] = useState<number | null>(null);
  const [portrait, setPortrait] = useState(window.innerHeight > window.innerWidth);

  const nameOf = (id: string) => participants.find((p) => p.participantId === id)?.displayName ?? id;
  const others = participants.filter((p) => (p.state === 'admitted' || p.state === 'reconnecting') && p.participantId !== selfId);
  const broken = peers.filter((p) => p.disconnectedSince !== undefined);
  const othersReconnecting = others.filter((p) => p.state === 'reconnecting');
  const audioOnly = peers.filter((p) => p.connectionState === 'connected' && !p.sendingVideo);
  const sharer = peers.find((p) => p.screen);
  const layout = callLayout(others.length, !!sharer);
  const unread = chatOpen ? 0 : unreadCount(messages, seen, selfId);

  useEffect(() => {
    if (chatOpen) setSeen(messages.length);
  }, [chatOpen, messages.length]);

  useEffect(() => {
    if (broken.length === 0) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [broken.length]);

  const levels = peers.map((p) => `${p.participantId}:${p.audioLevel ?? ''}`).join(',');
  useEffect(() => {
    setActive((previous) => activeSpeaker(peers.map((p) => ({ id: p.participantId, level: p.audioLevel })), previous));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [levels]);

  // Fill the window below whatever is above the call (header), so nothing needs scrolling.
  useLayoutEffect(() => {
    const fit = () => {
      const el = root.current;
      if (!el) return;
      const top = el.getBoundingClientRect().top + window.scrollY;
      setHeight(Math.max(200, window.innerHeight - top));
      setPortrait(window.innerHeight > window.innerWidth);
    };
    fit();
    window.addEventListener('resize', fit);
    window.addEventListener('orientationchange', fit);
    return () => {
      window.removeEventListener('resize', fit);
      window.removeEventListener('orientationchange', fit);
    };
  }, []);

  // Keyboard shortcuts: M microphone, V camera (not while typing); each change is announced.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const target = e.target as HTMLElement | null;
      if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
      const key = e.key.toLowerCase();
      if (key === 'm') {
        e.preventDefault();
        toggleAudio();
      } else if (key === 'v') {
        e.preventDefault();
        toggleVideo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  function toggleAudio() {
    const next = !media.audioEnabled;
    setTrackEnabled('audio', next);
    setAnnouncement(t(next ? 'call.announce.micOn' : 'call.announce.micOff'));
  }

  function toggleVideo() {
    const next = !media.videoEnabled;
    setTrackEnabled('video', next);
    setAnnouncement(t(next ? 'call.announce.cameraOn' : 'call.announce.cameraOff'));
  }

  function toggleFullscreen() {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void root.current?.requestFullscreen?.().catch(() => undefined);
  }

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
  const tiles = others.map((p) => {
    const peer = peers.find((x) => x.participantId === p.participantId);
    return (
      <RemoteTile
        key={p.participantId}
        participant={p}
        peer={peer}
        speakerId={media.choice.speakerId}
        name={nameOf(p.participantId)}
        active={layout === 'grid' && speaker === p.participantId}
      />
    );
  });

  return (
    <section
      ref={root}
      className={`call call-screen layout-${layout}${chatOpen ? ' chat-open' : ''}`}
      style={height ? { height } : undefined}
      aria-labelledby="call-title"
      data-testid="call"
      data-layout={layout}
      data-peer-count={peers.length}
      data-active-speaker={speaker ?? ''}
    >
      <h2 id="call-title" className="visually-hidden">
        {t('call.title')}
      </h2>
      <p className="visually-hidden" aria-live="polite" data-testid="call-announcement">
        {announcement}
      </p>
      <div className="call-body">
        <div className="stage" data-testid="stage">
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
            {audioOnly.length > 0 && (
              <p className="banner warning" data-testid="audio-only" data-participants={audioOnly.map((p) => p.participantId).join(' ')}>
                {t('call.audioOnly')}
              </p>
            )}
            {screenShare.sharing && (
              <p className="banner info" data-testid="sharing-screen">
                {t('call.sharingScreen')}
              </p>
            )}
            {screenShare.error && (
              <p className="banner error" role="alert">
                {t('call.shareFailed', { error: screenShare.error })}
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

          {sharer?.screen && (
            <figure className="screen-share" data-testid="screen-share" data-participant-id={sharer.participantId}>
              <StreamVideo stream={sharer.screen} label={t('call.screenOf', { name: nameOf(sharer.participantId) })} testId="screen-share-video" />
              <figcaption>{t('call.screenOf', { name: nameOf(sharer.participantId) })}</figcaption>
            </figure>
          )}
          <div
            className={`tiles count-${Math.min(count, 9)}`}
            data-testid="tiles"
            data-tile-count={count}
            data-columns={gridColumns(others.length, portrait)}
            style={layout === 'grid' ? { gridTemplateColumns: `repeat(${gridColumns(others.length, portrait)}, minmax(0, 1fr))` } : undefined}
          >
            {tiles}
          </div>
          {others.length === 0 && <p className="alone">{t('call.alone')}</p>}
          <SelfTile corner={corner} onCorner={setCorner} stream={media.stream} muted={!media.audioEnabled} cameraOff={!media.videoEnabled} />
        </div>
        {chatOpen && (
          <aside className="chat-panel" id="call-chat" data-testid="chat-panel" aria-label={t('chat.title')}>
            <Chat messages={messages} participants={participants} selfId={selfId} onSend={onSendChat} />
          </aside>
        )}
      </div>

      {devicesOpen && (
        <div className="devices-menu card" id="devices-menu" data-testid="devices-menu" role="group" aria-label={t('call.devices')}>
          <DeviceSelect label={t('precheck.chooseCamera')} devices={cameras} value={media.choice.cameraId ?? ''} testId="call-camera" onChange={(id) => void choose('camera', id)} />
          <DeviceSelect
            label={t('precheck.chooseMicrophone')}
            devices={microphones}
            value={media.choice.microphoneId ?? ''}
            testId="call-microphone"
            onChange={(id) => void choose('microphone', id)}
          />
          {canChooseSpeaker() && speakers.length > 0 && (
            <DeviceSelect label={t('precheck.chooseSpeaker')} devices={speakers} value={media.choice.speakerId ?? ''} testId="call-speaker" onChange={setSpeaker} />
          )}
          <button type="button" className="button small" onClick={() => setDevicesOpen(false)}>
            {t('call.close')}
          </button>
        </div>
      )}

      <div className="control-bar" role="toolbar" aria-label={t('call.controls')} data-testid="control-bar">
        <ControlButton
          icon={media.audioEnabled ? 'mic' : 'micOff'}
          label={media.audioEnabled ? t('call.mute') : t('call.unmute')}
          short={media.audioEnabled ? t('call.short.mute') : t('call.short.unmute')}
          pressed={!media.audioEnabled}
          testId="toggle-mute"
          shortcut="M"
          onClick={toggleAudio}
        />
        <ControlButton
          icon={media.videoEnabled ? 'camera' : 'cameraOff'}
          label={media.videoEnabled ? t('call.cameraOff') : t('call.cameraOn')}
          short={media.videoEnabled ? t('call.short.cameraOff') : t('call.short.cameraOn')}
          pressed={!media.videoEnabled}
          testId="toggle-camera"
          shortcut="V"
          onClick={toggleVideo}
        />
        {screenShare.allowed && screenShare.supported && (
          <ControlButton
            icon="screen"
            label={screenShare.sharing ? t('call.stopShare') : t('call.share')}
            short={screenShare.sharing ? t('call.short.stopShare') : t('call.short.share')}
            pressed={!!screenShare.sharing}
            testId="toggle-screen-share"
            onClick={screenShare.sharing ? screenShare.stop : screenShare.start}
          />
        )}
        <ControlButton
          icon="devices"
          label={t('call.devices')}
          short={t('call.short.devices')}
          expanded={devicesOpen}
          controls="devices-menu"
          testId="devices-button"
          onClick={() => setDevicesOpen((o) => !o)}
        />
        <ControlButton
          icon="chat"
          label={unread > 0 ? t('call.chatUnread', { n: unread }) : t('chat.title')}
          short={t('call.short.chat')}
          expanded={chatOpen}
          controls="call-chat"
          testId="toggle-chat"
          badge={unread > 0 ? String(unread) : undefined}
          onClick={() => setChatOpen((o) => !o)}
        />
        {extraControl}
        <ControlButton icon="fullscreen" label={t('call.fullscreen')} short={t('call.short.fullscreen')} testId="toggle-fullscreen" onClick={toggleFullscreen} />
        <ControlButton icon="leave" label={leaveLabel ?? t('call.leave')} short={t('call.short.leave')} testId="leave-call" danger onClick={onLeave} />
      </div>
    </section>
  );
}

export function ControlButton({
  icon,
  label,
  short,
  onClick,
  testId,
  pressed,
  expanded,
  controls,
  shortcut,
  badge,
  danger,
}: {
  icon: Parameters<typeof Icon>[0]['name'];
  label: string;
  /** The text under the icon (short, so the bar fits a phone); `label` is the accessible name. */
  short: string;
  onClick: () => void;
  testId: string;
  pressed?: boolean;
  expanded?: boolean;
  controls?: string;
  shortcut?: string;
  badge?: string;
  danger?: boolean;
}) {
  // WCAG 2.5.3 (label in name): the accessible name starts with, or contains, the visible text.
  const name = label.toLocaleLowerCase().includes(short.toLocaleLowerCase()) ? label : `${short} – ${label}`;
  return (
    <button
      type="button"
      className={`control${danger ? ' danger' : ''}`}
      aria-label={name}
      data-badge={badge}
      aria-pressed={pressed}
      aria-expanded={expanded}
      aria-controls={expanded ? controls : undefined}
      aria-keyshortcuts={shortcut}
      title={shortcut ? `${name} (${shortcut})` : name}
      data-testid={testId}
      onClick={onClick}
    >
      <Icon name={icon} />
      <span className="control-text" aria-hidden="true">
        {short}
      </span>
    </button>
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
    <label className="field">
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

function StreamVideo({ stream, label, testId }: { stream: MediaStream; label: string; testId: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    v.srcObject = stream;
    void v.play().catch(() => undefined);
  }, [stream]);
  return <video ref={ref} data-testid={testId} aria-label={label} playsInline autoPlay muted />;
}

/** Our own camera, small, in a corner of the stage: drag it to another corner, or press its button. */
function SelfTile({
  corner,
  onCorner,
  stream,
  muted,
  cameraOff,
}: {
  corner: Corner;
  onCorner: (c: Corner) => void;
  stream: MediaStream | null;
  muted: boolean;
  cameraOff: boolean;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLVideoElement>(null);
  const tile = useRef<HTMLElement>(null);
  const drag = useRef<{ x: number; y: number; dx: number; dy: number } | null>(null);
  const [offset, setOffset] = useState<{ dx: number; dy: number } | null>(null);

  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    v.srcObject = stream;
    void v.play().catch(() => undefined);
  }, [stream]);

  return (
    <figure
      ref={tile}
      className={`tile self corner-${corner}${offset ? ' dragging' : ''}`}
      data-testid="self-tile"
      data-corner={corner}
      style={offset ? { transform: `translate(${offset.dx}px, ${offset.dy}px)` } : undefined}
      onPointerDown={(e) => {
        if ((e.target as HTMLElement).closest('button')) return;
        drag.current = { x: e.clientX, y: e.clientY, dx: 0, dy: 0 };
        (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
      }}
      onPointerMove={(e) => {
        if (!drag.current) return;
        drag.current.dx = e.clientX - drag.current.x;
        drag.current.dy = e.clientY - drag.current.y;
        setOffset({ dx: drag.current.dx, dy: drag.current.dy });
      }}
      onPointerUp={(e) => {
        const stage = tile.current?.parentElement?.getBoundingClientRect();
        drag.current = null;
        setOffset(null);
        if (!stage) return;
        onCorner(nearestCorner((e.clientX - stage.left) / stage.width, (e.clientY - stage.top) / stage.height));
      }}
      onPointerCancel={() => {
        drag.current = null;
        setOffset(null);
      }}
    >
      <video ref={ref} className="mirror" data-testid="self-video" aria-label={t('call.selfView')} playsInline autoPlay muted />
      <figcaption>
        {t('call.self')}
        {muted && <span className="badge">{t('call.muted')}</span>}
        {cameraOff && <span className="badge">{t('call.cameraIsOff')}</span>}
        <button type="button" className="move-self" data-testid="move-self-view" aria-label={t('call.moveSelf')} title={t('call.moveSelf')} onClick={() => onCorner(nextCorner(corner))}>
          ⇲
        </button>
      </figcaption>
    </figure>
  );
}

const reasonKey: Record<string, MessageKey> = {
  rtt: 'call.reason.rtt',
  loss: 'call.reason.loss',
  jitter: 'call.reason.jitter',
  bitrate: 'call.reason.bitrate',
};

function RemoteTile({
  participant,
  peer,
  speakerId,
  name,
  active,
}: {
  participant: Participant;
  peer?: PeerInfo;
  speakerId?: string;
  name: string;
  active: boolean;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLVideoElement>(null);
  const [blocked, setBlocked] = useState(false);
  const [videoMuted, setVideoMuted] = useState(false);
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
    // A remote video track is muted when no frames come (the sender paused video on a poor path).
    const track = stream.getVideoTracks()[0];
    const onMute = () => setVideoMuted(true);
    const onUnmute = () => setVideoMuted(false);
    track?.addEventListener('mute', onMute);
    track?.addEventListener('unmute', onUnmute);
    // Autoplay with sound needs a user gesture; fall back to muted playback and an unmute button.
    v.play().catch(() => {
      v.muted = true;
      setBlocked(true);
      void v.play().catch(() => undefined);
    });
    return () => {
      v.removeEventListener('loadeddata', onFrame);
      v.removeEventListener('resize', onFrame);
      track?.removeEventListener('mute', onMute);
      track?.removeEventListener('unmute', onUnmute);
    };
  }, [stream, participant.participantId]);

  useEffect(() => {
    const v = ref.current as (HTMLVideoElement & { setSinkId?: (id: string) => Promise<void> }) | null;
    if (v && speakerId && v.setSinkId) void v.setSinkId(speakerId).catch(() => undefined);
  }, [speakerId, stream]);

  const state = peer?.connectionState ?? 'new';
  const quality = peer?.quality ?? 'unknown';
  const reason = peer?.qualityReason ? t(reasonKey[peer.qualityReason]) : '';
  return (
    <figure
      className={`tile remote${active ? ' active-speaker' : ''}`}
      data-testid="remote-tile"
      data-participant-id={participant.participantId}
      data-connection-state={state}
      data-connection-path={peer?.path ?? 'unknown'}
      data-local-candidate-type={peer?.localCandidateType ?? ''}
      data-remote-candidate-type={peer?.remoteCandidateType ?? ''}
      data-quality={quality}
      data-quality-reason={peer?.qualityReason ?? ''}
      data-sending-video={String(peer?.sendingVideo ?? true)}
      data-active-speaker={String(active)}
    >
      <video ref={ref} data-testid="remote-video" data-participant-id={participant.participantId} aria-label={t('call.remoteVideo', { name })} playsInline autoPlay />
      {videoMuted && state === 'connected' && (
        <p className="video-paused" data-testid="video-paused">
          {t('call.videoPaused')}
        </p>
      )}
      <figcaption>
        <span className="tile-name">{name}</span>
        {active && <span className="badge speaking">{t('call.speaking')}</span>}
        {state !== 'connected' && <span className="badge">{t('call.connecting')}</span>}
        {state === 'connected' && (
          <span
            className={`badge quality-${quality}`}
            data-testid="quality"
            title={peer?.rttMs !== undefined ? `RTT ${peer.rttMs} ms, ${peer.lossPercent ?? 0} % loss, jitter ${peer.jitterMs ?? 0} ms` : undefined}
          >
            {t('call.quality', { quality: t(`call.quality.${quality}` as MessageKey) })}
            {reason && ` (${reason})`}
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
