// Connection quality and what the call does about it. Pure: samples from getStats in, a quality with
// its reason and the sending plan (video bitrate, or audio only) out. `webrtc.ts` feeds it every
// stats poll (2 s) and applies the plan with RTCRtpSender.setParameters.

export type Quality = 'good' | 'fair' | 'poor' | 'unknown';
export type QualityReason = 'rtt' | 'loss' | 'jitter' | 'bitrate' | null;

export interface PathSample {
  /** Round-trip time of the selected candidate pair. */
  rttMs?: number;
  /** Packets lost over the last interval, in percent of those expected (not since the start). */
  lossPercent?: number;
  /** Inbound jitter, the worst of the received streams. */
  jitterMs?: number;
  /** The sender's bandwidth estimate (availableOutgoingBitrate). */
  availableKbps?: number;
}

export interface Classified {
  quality: Quality;
  reason: QualityReason;
}

// ITU-T G.114 puts one-way delay above 150 ms as noticeable (RTT ~300–400 ms); loss above a few
// percent breaks up video; under ~150 kbit/s no usable video fits beside the audio.
export const thresholds = {
  poor: { rttMs: 400, lossPercent: 8, jitterMs: 60, availableKbps: 150 },
  fair: { rttMs: 250, lossPercent: 3, jitterMs: 30, availableKbps: 400 },
} as const;

/** The worst finding decides; the reason names it. `ignoreBitrate` when we send no video (audio only). */
export function classify(s: PathSample, ignoreBitrate = false): Classified {
  const checks: Array<[Exclude<QualityReason, null>, number | undefined, number, number, 'above' | 'below']> = [
    ['loss', s.lossPercent, thresholds.poor.lossPercent, thresholds.fair.lossPercent, 'above'],
    ['rtt', s.rttMs, thresholds.poor.rttMs, thresholds.fair.rttMs, 'above'],
    ['jitter', s.jitterMs, thresholds.poor.jitterMs, thresholds.fair.jitterMs, 'above'],
    ['bitrate', ignoreBitrate ? undefined : s.availableKbps, thresholds.poor.availableKbps, thresholds.fair.availableKbps, 'below'],
  ];
  if (checks.every(([, v]) => v === undefined)) return { quality: 'unknown', reason: null };
  let fair: QualityReason = null;
  for (const [reason, value, poor, fairAt, direction] of checks) {
    if (value === undefined) continue;
    const worse = (limit: number) => (direction === 'above' ? value > limit : value < limit);
    if (worse(poor)) return { quality: 'poor', reason };
    if (fair === null && worse(fairAt)) fair = reason;
  }
  return fair ? { quality: 'fair', reason: fair } : { quality: 'good', reason: null };
}

/** Video bitrate steps, highest first (kbit/s). */
export const videoLadder = [1500, 900, 500, 250] as const;
/** What one browser can upload to all its peers together in a mesh (kbit/s). */
export const meshUploadBudgetKbps = 3000;

/** The ceiling per peer in a mesh: the upload budget shared, never above the top step. */
export function perPeerCapKbps(peerCount: number): number {
  return Math.round(Math.min(videoLadder[0], meshUploadBudgetKbps / Math.max(1, peerCount)));
}

export interface SendPlan {
  /** false: audio only (video paused because the path cannot carry it). */
  video: boolean;
  /** Index into videoLadder. */
  step: number;
  poorStreak: number;
  goodStreak: number;
}

export const initialPlan: SendPlan = { video: true, step: 0, poorStreak: 0, goodStreak: 0 };

/** Consecutive samples (2 s each) before acting: one bad sample is noise. */
export const streakToAct = 2;
export const streakToRecover = 3;

/**
 * One step of the adaptation: poor lowers the video bitrate a step at a time and, at the lowest
 * step, pauses video (audio only); good brings video back at the lowest step and climbs again.
 * Fair holds.
 */
export function nextPlan(plan: SendPlan, quality: Quality): SendPlan {
  if (quality === 'unknown') return plan;
  if (quality === 'poor') {
    const poorStreak = plan.poorStreak + 1;
    if (poorStreak < streakToAct) return { ...plan, poorStreak, goodStreak: 0 };
    if (!plan.video) return { ...plan, poorStreak, goodStreak: 0 };
    if (plan.step < videoLadder.length - 1) return { video: true, step: plan.step + 1, poorStreak: 0, goodStreak: 0 };
    return { video: false, step: plan.step, poorStreak: 0, goodStreak: 0 };
  }
  if (quality === 'fair') return { ...plan, poorStreak: 0, goodStreak: 0 };
  const goodStreak = plan.goodStreak + 1;
  if (goodStreak < streakToRecover) return { ...plan, poorStreak: 0, goodStreak };
  if (!plan.video) return { video: true, step: videoLadder.length - 1, poorStreak: 0, goodStreak: 0 };
  if (plan.step > 0) return { video: true, step: plan.step - 1, poorStreak: 0, goodStreak: 0 };
  return { ...plan, poorStreak: 0, goodStreak };
}

/** The maxBitrate to set on the video sender to one peer, in bit/s. */
export function maxBitrateFor(plan: SendPlan, peerCount: number): number {
  return Math.min(videoLadder[plan.step], perPeerCapKbps(peerCount)) * 1000;
}

/** Loss over an interval from cumulative counters (received and lost since the start). */
export function intervalLoss(
  before: { received: number; lost: number } | undefined,
  now: { received: number; lost: number },
): number | undefined {
  if (!before) return undefined;
  const received = now.received - before.received;
  const lost = Math.max(0, now.lost - before.lost);
  return received + lost > 0 ? (100 * lost) / (received + lost) : undefined;
}
