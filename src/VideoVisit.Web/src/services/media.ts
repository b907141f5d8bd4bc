// Local devices: getUserMedia, device lists and the chosen devices, shared by the precheck and the
// call so the patient is not asked twice.
import { useSyncExternalStore } from 'react';

export type DeviceKind = 'camera' | 'microphone';
export type DeviceStatus = 'ok' | 'denied' | 'missing' | 'busy' | 'error' | 'unsupported';

export interface DeviceChoice {
  cameraId?: string;
  microphoneId?: string;
  speakerId?: string;
}

export interface LocalMedia {
  stream: MediaStream | null;
  camera: DeviceStatus | 'pending';
  microphone: DeviceStatus | 'pending';
  cameraError?: string;
  microphoneError?: string;
  choice: DeviceChoice;
  devices: MediaDeviceInfo[];
  /** Which local track ended on its own (device unplugged, permission revoked). */
  endedKind?: 'audio' | 'video';
  audioEnabled: boolean;
  videoEnabled: boolean;
}

const listeners = new Set<() => void>();
let state: LocalMedia = {
  stream: null,
  camera: 'pending',
  microphone: 'pending',
  choice: {},
  devices: [],
  audioEnabled: true,
  videoEnabled: true,
};

function set(patch: Partial<LocalMedia>) {
  state = { ...state, ...patch };
  for (const l of listeners) l();
}

export function getLocalMedia() {
  return state;
}

export function useLocalMedia(): LocalMedia {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}

/** Maps a getUserMedia error to what the patient should be told. */
export function classifyMediaError(error: unknown): DeviceStatus {
  const name = (error as { name?: string })?.name ?? '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy';
    default:
      return 'error';
  }
}

function constraintsFor(kind: DeviceKind, choice: DeviceChoice): MediaTrackConstraints | boolean {
  const id = kind === 'camera' ? choice.cameraId : choice.microphoneId;
  if (kind === 'camera') {
    return { ...(id ? { deviceId: { exact: id } } : {}), width: { ideal: 640 }, height: { ideal: 480 } };
  }
  return id ? { deviceId: { exact: id }, echoCancellation: true, noiseSuppression: true } : { echoCancellation: true };
}

function watchTrack(track: MediaStreamTrack) {
  track.addEventListener('ended', () => {
    if (state.stream?.getTracks().includes(track)) set({ endedKind: track.kind as 'audio' | 'video' });
  });
  startWatchdog();
}

// `ended` fires when the browser ends a track (device unplugged, permission revoked), not when a
// track is stopped from script; a slow poll of readyState catches both.
let watchdog: number | undefined;
function startWatchdog() {
  if (watchdog !== undefined) return;
  watchdog = window.setInterval(() => {
    if (!state.stream) return;
    const ended = state.stream.getTracks().find((t) => t.readyState === 'ended');
    if (ended && !state.endedKind) set({ endedKind: ended.kind as 'audio' | 'video' });
  }, 1000);
}

async function refreshDevices() {
  try {
    set({ devices: await navigator.mediaDevices.enumerateDevices() });
  } catch {
    set({ devices: [] });
  }
}

/**
 * Asks for camera and microphone together (one prompt); when that fails asks for each alone so we
 * know which one is denied, missing or busy. getUserMedia is the truth, not permissions.query.
 */
export async function acquireMedia(choice: DeviceChoice = state.choice): Promise<LocalMedia> {
  releaseMedia();
  if (!navigator.mediaDevices?.getUserMedia) {
    set({ camera: 'unsupported', microphone: 'unsupported', stream: null, choice });
    return state;
  }
  set({ camera: 'pending', microphone: 'pending', choice, endedKind: undefined });
  let stream: MediaStream | null = null;
  let camera: DeviceStatus = 'ok';
  let microphone: DeviceStatus = 'ok';
  let cameraError: string | undefined;
  let microphoneError: string | undefined;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: constraintsFor('camera', choice),
      audio: constraintsFor('microphone', choice),
    });
  } catch {
    const [v, a] = await Promise.allSettled([
      navigator.mediaDevices.getUserMedia({ video: constraintsFor('camera', choice) }),
      navigator.mediaDevices.getUserMedia({ audio: constraintsFor('microphone', choice) }),
    ]);
    stream = new MediaStream();
    if (v.status === 'fulfilled') v.value.getTracks().forEach((t) => stream!.addTrack(t));
    else {
      camera = classifyMediaError(v.reason);
      cameraError = (v.reason as Error)?.name;
    }
    if (a.status === 'fulfilled') a.value.getTracks().forEach((t) => stream!.addTrack(t));
    else {
      microphone = classifyMediaError(a.reason);
      microphoneError = (a.reason as Error)?.name;
    }
  }
  if (stream && camera === 'ok' && stream.getVideoTracks().length === 0) camera = 'missing';
  if (stream && microphone === 'ok' && stream.getAudioTracks().length === 0) microphone = 'missing';
  stream?.getTracks().forEach(watchTrack);
  set({
    stream,
    camera,
    microphone,
    cameraError,
    microphoneError,
    audioEnabled: true,
    videoEnabled: true,
    choice: {
      ...choice,
      cameraId: stream?.getVideoTracks()[0]?.getSettings().deviceId ?? choice.cameraId,
      microphoneId: stream?.getAudioTracks()[0]?.getSettings().deviceId ?? choice.microphoneId,
    },
  });
  // The device list fills the pickers; nothing waits on it (it can take a while on a busy machine).
  void refreshDevices();
  return state;
}

/** Switch one device during the precheck or a call; returns the new track (or null on failure). */
export async function switchDevice(kind: DeviceKind, deviceId: string): Promise<MediaStreamTrack | null> {
  const mediaKind = kind === 'camera' ? 'video' : 'audio';
  const choice = { ...state.choice, [kind === 'camera' ? 'cameraId' : 'microphoneId']: deviceId };
  try {
    const fresh = await navigator.mediaDevices.getUserMedia({ [mediaKind]: constraintsFor(kind, choice) });
    const track = fresh.getTracks()[0];
    const stream = state.stream ?? new MediaStream();
    for (const old of stream.getTracks().filter((t) => t.kind === mediaKind)) {
      stream.removeTrack(old);
      old.stop();
    }
    stream.addTrack(track);
    track.enabled = mediaKind === 'video' ? state.videoEnabled : state.audioEnabled;
    watchTrack(track);
    // A new MediaStream object so React views re-attach it.
    set({
      stream: new MediaStream(stream.getTracks()),
      choice,
      [kind]: 'ok',
      endedKind: state.endedKind === mediaKind ? undefined : state.endedKind,
    } as Partial<LocalMedia>);
    await refreshDevices();
    return track;
  } catch (e) {
    set({ [kind]: classifyMediaError(e) } as Partial<LocalMedia>);
    return null;
  }
}

export function setSpeaker(speakerId: string) {
  set({ choice: { ...state.choice, speakerId } });
}

export function setTrackEnabled(kind: 'audio' | 'video', enabled: boolean) {
  state.stream?.getTracks().filter((t) => t.kind === kind).forEach((t) => (t.enabled = enabled));
  set(kind === 'audio' ? { audioEnabled: enabled } : { videoEnabled: enabled });
}

export function releaseMedia() {
  state.stream?.getTracks().forEach((t) => t.stop());
  set({ stream: null, endedKind: undefined });
}

export function canChooseSpeaker() {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/** Whether this browser can share a screen or window (desktop browsers; not iOS or Android). */
export function canShareScreen() {
  return typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getDisplayMedia === 'function';
}

/** Asks the person to pick a screen or window to share (the browser's own picker). */
export function startScreenCapture(): Promise<MediaStream> {
  return navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
}
