// Delinquency buckets: every count of days past due lands in exactly one bucket, and ranges that would leave a count
// without one (or with two) are refused naming the exact entry.
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { assertValidBuckets, bucketOf, DEFAULT_BUCKETS, MAX_BUCKETS, type BucketRange } from '../../../src/domain/servicing/delinquencyBuckets.js';

function refusal(ranges: BucketRange[]): { field: string; message: string } | null {
  try {
    assertValidBuckets(ranges, 'buckets');
    return null;
  } catch (error) {
    if (!(error instanceof InvalidField)) throw error;
    return { field: error.field, message: error.message };
  }
}

const b = (name: string, fromDays: number, toDays: number | null): BucketRange => ({ name, fromDays, toDays });

describe('bucketOf', () => {
  const cases: [number, string][] = [
    [0, 'Current'], [1, '1-30'], [30, '1-30'], [31, '31-60'], [60, '31-60'], [61, '61-90'], [90, '61-90'],
    [91, '91-180'], [180, '91-180'], [181, '181+'], [5000, '181+'],
  ];
  for (const [dpd, name] of cases) {
    it(`${dpd} days past due is in ${name}`, () => {
      expect(bucketOf(DEFAULT_BUCKETS, dpd)).toBe(name);
    });
  }

  it('a lender\'s own ranges: one bucket for everything', () => {
    expect(bucketOf([b('All', 0, null)], 0)).toBe('All');
    expect(bucketOf([b('All', 0, null)], 999)).toBe('All');
  });

  it('refuses a negative or fractional count', () => {
    expect(() => bucketOf(DEFAULT_BUCKETS, -1)).toThrow(RangeError);
    expect(() => bucketOf(DEFAULT_BUCKETS, 1.5)).toThrow(RangeError);
  });
});

describe('assertValidBuckets', () => {
  it('takes the defaults and a single open bucket', () => {
    expect(refusal([...DEFAULT_BUCKETS])).toBeNull();
    expect(refusal([b('All', 0, null)])).toBeNull();
    expect(refusal([b('Current', 0, 0), b('Late', 1, null)])).toBeNull();
  });

  const cases: [string, BucketRange[], string, RegExp][] = [
    ['no buckets', [], 'buckets', /at least one/],
    ['more than the most', Array.from({ length: MAX_BUCKETS + 1 }, (_, k) => b(`B${k}`, k, k === MAX_BUCKETS ? null : k)), 'buckets', /at most 20/],
    ['not starting at 0', [b('Late', 1, null)], 'buckets[0].fromDays', /starts at 0/],
    ['an overlap', [b('Current', 0, 0), b('1-30', 1, 30), b('30-60', 30, null)], 'buckets[2].fromDays', /overlaps/],
    ['a gap', [b('Current', 0, 0), b('1-30', 1, 30), b('32+', 32, null)], 'buckets[2].fromDays', /31 days past due without a bucket/],
    ['an open end before the last', [b('Current', 0, null), b('Late', 1, null)], 'buckets[0].toDays', /only the last/],
    ['a closed last bucket', [b('Current', 0, 0), b('1-30', 1, 30)], 'buckets[1].toDays', /open-ended/],
    ['a name twice', [b('Current', 0, 0), b('current', 1, null)], 'buckets[1].name', /names two buckets/],
    ['an empty name', [b('', 0, null)], 'buckets[0].name', /1 to 40 characters/],
    ['a name with spaces around it', [b(' Current', 0, null)], 'buckets[0].name', /without spaces/],
    ['a fractional day', [b('Current', 0, 0.5), b('Late', 1, null)], 'buckets[0].toDays', /whole number/],
    ['a negative day', [b('Current', -1, 0), b('Late', 1, null)], 'buckets[0].fromDays', /whole number/],
    ['an end before its start', [b('Current', 0, 0), b('Odd', 5, 3), b('Late', 4, null)], 'buckets[1].toDays', /ends before it starts/],
  ];
  for (const [name, ranges, field, message] of cases) {
    it(`refuses ${name}, naming ${field}`, () => {
      const found = refusal(ranges);
      expect(found?.field).toBe(field);
      expect(found?.message).toMatch(message);
    });
  }
});
