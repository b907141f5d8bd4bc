import { describe, expect, it } from 'vitest';
import { renewDelay } from '../features/guest/logic';

describe('guest token renewal', () => {
  it('renews a ten-minute token a minute before it ends', () => {
    expect(renewDelay(600_000, 0)).toBe(540_000);
  });

  it('renews a short token at half its life', () => {
    expect(renewDelay(60_000, 0)).toBe(30_000);
  });

  it('never waits less than a second', () => {
    expect(renewDelay(500, 0)).toBe(1_000);
  });
});
