// Jobs that meet a suspended tenant are put off, later each time, for about two days, then dropped.
import { describe, expect, it } from 'vitest';
import { MAX_POSTPONEMENTS, postponedUntil } from '../../src/events/suspendedTenants.js';

describe('putting off work for a suspended tenant', () => {
  it('waits a minute, doubling to an hour, about two days in all, and then gives up', () => {
    const now = new Date('2026-12-05T00:00:00Z');
    const waits = Array.from({ length: MAX_POSTPONEMENTS }, (_, i) => (postponedUntil(now, i + 1)!.getTime() - now.getTime()) / 1000);
    expect(waits.slice(0, 8)).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600]);
    const hours = waits.reduce((sum, seconds) => sum + seconds, 0) / 3600;
    expect(hours).toBeGreaterThan(36);
    expect(hours).toBeLessThan(60);
    expect(postponedUntil(now, MAX_POSTPONEMENTS + 1)).toBeNull();
  });
});
