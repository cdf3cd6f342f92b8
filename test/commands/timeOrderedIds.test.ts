// Ids of version 7 (RFC 9562): the millisecond first, so rows written later sort after rows written earlier and a
// command's new rows land together at the end of each id index; the rest random, so no two are alike.
import { expect, it } from 'vitest';
import { timeOrderedId } from '../../src/commands/timeOrderedIds.js';

const VERSION_7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

it('is a UUID of version 7 and variant 1 whose first 48 bits are the milliseconds it was made at', () => {
  const before = Date.now();
  const id = timeOrderedId();
  const after = Date.now();
  expect(id).toMatch(VERSION_7);
  expect(millisOf(id)).toBeGreaterThanOrEqual(before);
  expect(millisOf(id)).toBeLessThanOrEqual(after);
  expect(millisOf(timeOrderedId(0))).toBe(0);
  expect(timeOrderedId(0)).toMatch(/^00000000-0000-7/);
  expect(millisOf(timeOrderedId(2 ** 48 - 1))).toBe(2 ** 48 - 1);
  expect(millisOf(timeOrderedId(Date.UTC(2026, 11, 5, 13, 0, 0, 123)))).toBe(Date.UTC(2026, 11, 5, 13, 0, 0, 123));
});

it('refuses a time a version 7 id cannot hold', () => {
  for (const millis of [-1, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 48]) expect(() => timeOrderedId(millis), String(millis)).toThrow(RangeError);
  expect(timeOrderedId(-0)).toMatch(/^00000000-0000-7/);
});

it('sorts a later millisecond after an earlier one, as text and as PostgreSQL compares uuids (byte by byte)', () => {
  const start = Date.UTC(2026, 11, 5);
  const ids = Array.from({ length: 2_000 }, (_, k) => timeOrderedId(start + k * 7919));
  expect([...ids].sort()).toEqual(ids);
});

it('never repeats, within one millisecond or across many', () => {
  const sameMillisecond = Array.from({ length: 50_000 }, () => timeOrderedId(1_764_900_000_000));
  const running = Array.from({ length: 50_000 }, () => timeOrderedId());
  const all = new Set([...sameMillisecond, ...running]);
  expect(all.size).toBe(100_000);
  // The 74 bits after the time and the version are random: the same millisecond's ids differ there.
  expect(new Set(sameMillisecond.map((id) => id.slice(15))).size).toBe(50_000);
  for (const id of [...sameMillisecond.slice(0, 100), ...running.slice(0, 100)]) expect(id).toMatch(VERSION_7);
});
