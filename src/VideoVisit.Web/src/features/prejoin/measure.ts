// Measurements behind the precheck: frame luminance, microphone level, hub reachability and the
// relay candidate. Each resolves within a few seconds whatever happens.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => fallback)]);
}

/** Mean luma (0–255, BT.601) and its spread over a small downscaled frame. */
export function lumaOf(data: Uint8ClampedArray): { mean: number; spread: number } {
  let sum = 0;
  let sumSq = 0;
  const n = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    const y = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    sum += y;
    sumSq += y * y;
  }
  const mean = sum / n;
  return { mean, spread: Math.sqrt(Math.max(0, sumSq / n - mean * mean)) };
}

/** A covered lens or a black camera: every sampled frame dark and flat. */
export function looksCovered(samples: Array<{ mean: number; spread: number }>) {
  return samples.length > 0 && samples.every((s) => s.mean < 20 && s.spread < 10);
}

export async function sampleLuminance(
  video: HTMLVideoElement,
): Promise<{ luminance?: number; covered?: boolean; width?: number; height?: number }> {
  const deadline = Date.now() + 3000;
  while (video.videoWidth === 0 && Date.now() < deadline) await sleep(100);
  if (video.videoWidth === 0) return { covered: true, luminance: 0 }; // no frames at all
  const canvas = document.createElement('canvas');
  canvas.width = 32;
  canvas.height = 24;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return { width: video.videoWidth, height: video.videoHeight };
  const samples: Array<{ mean: number; spread: number }> = [];
  for (let i = 0; i < 4; i++) {
    await sleep(i === 0 ? 50 : 120);
    try {
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      samples.push(lumaOf(ctx.getImageData(0, 0, canvas.width, canvas.height).data));
    } catch {
      break;
    }
    // One bright, textured frame proves the lens is not covered; only a dark one needs the rest.
    if (!looksCovered(samples.slice(-1))) break;
  }
  const luminance = samples.length ? Math.round(Math.max(...samples.map((s) => s.mean))) : undefined;
  return { luminance, covered: looksCovered(samples), width: video.videoWidth, height: video.videoHeight };
}

/** A running level meter on an audio track; `stop` releases the audio graph. */
export function levelMeter(stream: MediaStream): { read: () => number; running: () => boolean; stop: () => void } | null {
  const Ctx: typeof AudioContext | undefined =
    window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctx || stream.getAudioTracks().length === 0) return null;
  const ctx = new Ctx();
  const source = ctx.createMediaStreamSource(new MediaStream(stream.getAudioTracks()));
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  void ctx.resume().catch(() => undefined);
  const buffer = new Float32Array(analyser.fftSize);
  return {
    read: () => {
      analyser.getFloatTimeDomainData(buffer);
      let sumSq = 0;
      for (const v of buffer) sumSq += v * v;
      return Math.sqrt(sumSq / buffer.length);
    },
    running: () => ctx.state === 'running',
    stop: () => {
      source.disconnect();
      void ctx.close().catch(() => undefined);
    },
  };
}

/** Below this peak RMS a working microphone hears nothing (muted hardware); a real one's noise floor is above. */
const silentBelow = 0.0005;

/** Peak RMS over up to ~1 s (stops as soon as sound is heard); silent when it never rises above the noise floor of a real microphone. */
export async function measureMicrophone(stream: MediaStream): Promise<{ peakLevel?: number; silent: boolean | null }> {
  const meter = levelMeter(stream);
  if (!meter) return { silent: null };
  try {
    let peak = 0;
    for (let i = 0; i < 25; i++) {
      await sleep(40);
      peak = Math.max(peak, meter.read());
      // Sound heard from a running graph settles it; only silence needs the whole second.
      if (i >= 2 && peak >= silentBelow && meter.running()) break;
    }
    // A suspended audio context reads zeros: that says nothing about the microphone.
    if (!meter.running()) return { silent: null };
    return { peakLevel: Math.round(peak * 10000) / 10000, silent: peak < silentBelow };
  } finally {
    meter.stop();
  }
}

/**
 * Our TURN URLs by transport: `turn:…` over UDP (the default), `turn:…?transport=tcp`, and `turns:`
 * (TLS, offered when the server has a certificate). STUN URLs are left out: the check is about
 * the relay.
 */
export function splitTurnServers(servers: RTCIceServer[]): { udp: RTCIceServer[]; tcp: RTCIceServer[]; tls: RTCIceServer[] } {
  const udp: RTCIceServer[] = [];
  const tcp: RTCIceServer[] = [];
  const tls: RTCIceServer[] = [];
  for (const s of servers) {
    const urls = Array.isArray(s.urls) ? s.urls : [s.urls];
    const isTls = (u: string) => /^turns:/i.test(u);
    const isTcp = (u: string) => /^turn:/i.test(u) && /transport=tcp/i.test(u);
    const isUdp = (u: string) => /^turn:/i.test(u) && !/transport=tcp/i.test(u);
    const pick = (test: (u: string) => boolean, into: RTCIceServer[]) => {
      const chosen = urls.filter(test);
      if (chosen.length) into.push({ ...s, urls: chosen });
    };
    pick(isUdp, udp);
    pick(isTcp, tcp);
    pick(isTls, tls);
  }
  return { udp, tcp, tls };
}

export interface LoopFigures {
  rttMs: number;
  jitterMs: number;
  lossPercent: number;
  kbps: number;
}

/** RFC 3550 §6.4.1 interarrival jitter over one-way transit times (ms). */
export function jitterOf(transits: number[]): number {
  let j = 0;
  for (let i = 1; i < transits.length; i++) j += (Math.abs(transits[i] - transits[i - 1]) - j) / 16;
  return j;
}

/** Figures from what was sent and what came back (transit = arrival − send time, same clock). */
export function loopFigures(sent: number, arrivals: Array<{ seq: number; transitMs: number; bytes: number }>, seconds: number): LoopFigures {
  const ordered = [...arrivals].sort((a, b) => a.seq - b.seq);
  const transits = ordered.map((a) => a.transitMs);
  const sorted = [...transits].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  const bytes = arrivals.reduce((n, a) => n + a.bytes, 0);
  return {
    rttMs: Math.round(median),
    jitterMs: Math.round(jitterOf(transits) * 10) / 10,
    lossPercent: sent > 0 ? Math.round((1000 * Math.max(0, sent - arrivals.length)) / sent) / 10 : 100,
    kbps: seconds > 0 ? Math.round((bytes * 8) / 1000 / seconds) : 0,
  };
}

/**
 * A few seconds of data at media rate through our relay and back: two relay-only connections in
 * this page, each allocating on the relay, joined by an unordered data channel without
 * retransmissions (lost packets stay lost, as RTP's do). One browser clock on both ends gives the
 * loop time browser → relay → browser (the round trip to the relay), jitter and loss directly;
 * the bytes that arrive per second are the achievable bitrate at the offered rate.
 */
export async function measureRelayPath(
  servers: RTCIceServer[],
  options: { seconds?: number; kbps?: number; connectTimeoutMs?: number } = {},
): Promise<LoopFigures | null> {
  if (servers.length === 0 || typeof RTCPeerConnection !== 'function') return null;
  const seconds = options.seconds ?? 2;
  const offeredKbps = options.kbps ?? 2500;
  const a = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
  const b = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
  // Closing releases the two relay allocations at once; a page that goes away mid-test must not
  // leave them held until they expire (the relay allows a person only so many).
  const release = () => {
    a.close();
    b.close();
  };
  window.addEventListener('pagehide', release);
  try {
    a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate).catch(() => undefined);
    b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate).catch(() => undefined);
    const send = a.createDataChannel('path-test', { ordered: false, maxRetransmits: 0 });
    const received = new Promise<RTCDataChannel>((resolve) => (b.ondatachannel = (e) => resolve(e.channel)));
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!);
    const opened = new Promise<boolean>((resolve) => {
      if (send.readyState === 'open') resolve(true);
      send.onopen = () => resolve(true);
    });
    const ok = await withTimeout(opened, options.connectTimeoutMs ?? 4000, false);
    if (!ok) return null;
    const recv = await withTimeout(received, 1000, null);
    if (!recv) return null;
    recv.binaryType = 'arraybuffer';
    const arrivals: Array<{ seq: number; transitMs: number; bytes: number }> = [];
    recv.onmessage = (e) => {
      const view = new DataView(e.data as ArrayBuffer);
      arrivals.push({ seq: view.getUint32(0), transitMs: performance.now() - view.getFloat64(4), bytes: view.byteLength });
    };
    // 1000-byte packets every 10 ms ≈ offered rate; the send buffer is kept short so that a slow
    // path shows up as fewer packets sent per second, not as a queue measured as delay.
    const size = 1000;
    const interval = 10;
    const perTick = Math.max(1, Math.round((offeredKbps * 1000) / 8 / size / (1000 / interval)));
    let seq = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      for (let i = 0; i < perTick && send.bufferedAmount < 16 * size; i++) {
        const buffer = new ArrayBuffer(size);
        const view = new DataView(buffer);
        view.setUint32(0, seq++);
        view.setFloat64(4, performance.now());
        try {
          send.send(buffer);
        } catch {
          seq--;
          break;
        }
      }
      await sleep(interval);
    }
    const elapsed = (performance.now() - started) / 1000;
    // Let what is in flight arrive (well above any round trip we would still call usable).
    const drainUntil = performance.now() + 1500;
    while (send.bufferedAmount > 0 && performance.now() < drainUntil) await sleep(20);
    await sleep(500);
    return loopFigures(seq, arrivals, elapsed);
  } catch {
    return null;
  } finally {
    window.removeEventListener('pagehide', release);
    release();
  }
}

/** Gathers candidates with relay-only policy against the given TURN servers; true if one is relay. */
export async function gatherRelay(servers: RTCIceServer[], timeoutMs = 4000): Promise<{ relay: boolean; types: string[] }> {
  if (servers.length === 0 || typeof RTCPeerConnection !== 'function') return { relay: false, types: [] };
  const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
  const types = new Set<string>();
  try {
    return await new Promise((resolve) => {
      const done = () => resolve({ relay: types.has('relay'), types: [...types] });
      const timer = setTimeout(done, timeoutMs);
      pc.onicecandidate = (e) => {
        if (!e.candidate) {
          clearTimeout(timer);
          done();
          return;
        }
        const type = e.candidate.type ?? e.candidate.candidate.match(/ typ (\w+)/)?.[1];
        if (type) types.add(type);
        if (type === 'relay') {
          clearTimeout(timer);
          done();
        }
      };
      pc.createDataChannel('precheck');
      void pc.createOffer().then((o) => pc.setLocalDescription(o)).catch(done);
    });
  } finally {
    pc.close();
  }
}
