import { describe, expect, it } from 'vitest';
import { FailureCounter } from '../../src/security/throttle.js';

describe('FailureCounter snapshots: what a new HTTP worker starts from', () => {
  it('a counter restored from a snapshot blocks what the original blocks, until the same moment', () => {
    let now = 1_000_000;
    const clock = () => now;
    const original = new FailureCounter(3, 60_000, clock);
    for (let i = 0; i < 3; i++) original.fail('app');
    original.fail('other');
    now += 10_000;
    const restored = new FailureCounter(3, 60_000, clock);
    restored.restore(original.snapshot());
    expect(restored.blockedFor('app')).toBe(50);
    expect(restored.blockedFor('other')).toBeNull();
    restored.fail('other');
    restored.fail('other');
    expect(restored.blockedFor('other')).toBe(50);
    now += 50_000;
    expect(restored.blockedFor('app')).toBeNull();
  });

  it('leaves out closed windows, and keeps the larger count where both have one', () => {
    let now = 0;
    const clock = () => now;
    const a = new FailureCounter(5, 1_000, clock);
    a.fail('old');
    now = 2_000;
    a.fail('k');
    a.fail('k');
    expect(a.snapshot()).toEqual([['k', 2, 3_000]]);

    const b = new FailureCounter(5, 1_000, clock);
    for (let i = 0; i < 4; i++) b.fail('k');
    b.restore(a.snapshot());
    b.fail('k');
    expect(b.blockedFor('k')).toBe(1);
  });
});
