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
  for (let i = 0; i < 5; i++) {
    await sleep(150);
    try {
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      samples.push(lumaOf(ctx.getImageData(0, 0, canvas.width, canvas.height).data));
    } catch {
      break;
    }
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

/** Peak RMS over ~1.5 s; silent when it never rises above the noise floor of a real microphone. */
export async function measureMicrophone(stream: MediaStream): Promise<{ peakLevel?: number; silent: boolean | null }> {
  const meter = levelMeter(stream);
  if (!meter) return { silent: null };
  try {
    let peak = 0;
    for (let i = 0; i < 30; i++) {
      await sleep(50);
      peak = Math.max(peak, meter.read());
    }
    // A suspended audio context reads zeros: that says nothing about the microphone.
    if (!meter.running()) return { silent: null };
    return { peakLevel: Math.round(peak * 10000) / 10000, silent: peak < 0.0005 };
  } finally {
    meter.stop();
  }
}

export function splitTurnServers(servers: RTCIceServer[]): { udp: RTCIceServer[]; tcp: RTCIceServer[] } {
  const udp: RTCIceServer[] = [];
  const tcp: RTCIceServer[] = [];
  for (const s of servers) {
    const urls = Array.isArray(s.urls) ? s.urls : [s.urls];
    const turn = urls.filter((u) => /^turns?:/i.test(u));
    const isTcp = (u: string) => /^turns:/i.test(u) || /transport=tcp/i.test(u);
    const u = turn.filter((x) => !isTcp(x));
    const t = turn.filter(isTcp);
    if (u.length) udp.push({ ...s, urls: u });
    if (t.length) tcp.push({ ...s, urls: t });
  }
  return { udp, tcp };
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
