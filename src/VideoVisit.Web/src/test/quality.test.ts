import { describe, expect, it } from 'vitest';
import { classify, initialPlan, intervalLoss, maxBitrateFor, nextPlan, perPeerCapKbps, streakToAct, streakToRecover, videoLadder, type Quality, type SendPlan } from '../services/quality';

describe('quality classification', () => {
  it('is unknown without figures', () => {
    expect(classify({})).toEqual({ quality: 'unknown', reason: null });
  });

  it.each([
    [{ rttMs: 20, lossPercent: 0, jitterMs: 3, availableKbps: 2500 }, 'good', null],
    [{ rttMs: 300, lossPercent: 0 }, 'fair', 'rtt'],
    [{ rttMs: 20, lossPercent: 4 }, 'fair', 'loss'],
    [{ rttMs: 20, jitterMs: 40 }, 'fair', 'jitter'],
    [{ rttMs: 20, availableKbps: 300 }, 'fair', 'bitrate'],
    [{ rttMs: 500 }, 'poor', 'rtt'],
    [{ lossPercent: 12 }, 'poor', 'loss'],
    [{ jitterMs: 80 }, 'poor', 'jitter'],
    [{ availableKbps: 100 }, 'poor', 'bitrate'],
  ] as const)('%j is %s because of %s', (sample, quality, reason) => {
    expect(classify(sample)).toEqual({ quality, reason });
  });

  it('names the worst problem: poor loss beats fair delay', () => {
    expect(classify({ rttMs: 300, lossPercent: 10 })).toEqual({ quality: 'poor', reason: 'loss' });
  });

  it('ignores the bandwidth estimate while only audio is sent', () => {
    expect(classify({ rttMs: 20, lossPercent: 0, availableKbps: 60 }, true)).toEqual({ quality: 'good', reason: null });
  });

  it('computes loss over the interval, not since the start', () => {
    expect(intervalLoss(undefined, { received: 100, lost: 0 })).toBeUndefined();
    expect(intervalLoss({ received: 1000, lost: 100 }, { received: 1090, lost: 110 })).toBe(10);
  });
});

describe('bitrate adaptation', () => {
  const run = (plan: SendPlan, qualities: Quality[]) => qualities.reduce(nextPlan, plan);

  it('steps down one rung per sustained poor period, then falls back to audio only', () => {
    let plan = initialPlan;
    for (let step = 1; step < videoLadder.length; step++) {
      plan = run(plan, Array(streakToAct).fill('poor'));
      expect(plan).toMatchObject({ video: true, step });
    }
    plan = run(plan, Array(streakToAct).fill('poor'));
    expect(plan.video).toBe(false);
  });

  it('does not react to one bad sample', () => {
    expect(run(initialPlan, ['poor', 'good', 'poor', 'good'])).toMatchObject({ video: true, step: 0 });
  });

  it('comes back to video at the lowest step after a sustained good period, then climbs', () => {
    const audioOnly: SendPlan = { video: false, step: videoLadder.length - 1, poorStreak: 0, goodStreak: 0 };
    const back = run(audioOnly, Array(streakToRecover).fill('good'));
    expect(back).toMatchObject({ video: true, step: videoLadder.length - 1 });
    expect(run(back, Array(streakToRecover).fill('good'))).toMatchObject({ video: true, step: videoLadder.length - 2 });
  });

  it('holds on a fair path', () => {
    const mid: SendPlan = { video: true, step: 1, poorStreak: 0, goodStreak: 0 };
    expect(run(mid, ['fair', 'fair', 'fair', 'fair'])).toMatchObject({ video: true, step: 1 });
  });

  it('shares the upload budget between the peers of a mesh', () => {
    expect(perPeerCapKbps(1)).toBe(1500);
    expect(perPeerCapKbps(2)).toBe(1500);
    expect(perPeerCapKbps(3)).toBe(1000);
    expect(perPeerCapKbps(5)).toBe(600);
    expect(maxBitrateFor(initialPlan, 5)).toBe(600_000);
    expect(maxBitrateFor({ ...initialPlan, step: 3 }, 1)).toBe(250_000);
  });
});
