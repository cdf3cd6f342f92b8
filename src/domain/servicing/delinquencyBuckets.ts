// Delinquency buckets: the bands of days past due a lender reads its book by (docs/classification.md). A bucket is
// a lender's own naming, not a regulator's class: collections queues, roll rates and the ageing report use it,
// while the regulatory class (classification.ts) decides income recognition and provisions.
//
// The ranges cover every count of days past due from 0 upwards, each count in exactly one bucket, so a loan
// always has a bucket and never two: they start at 0, follow on without gap or overlap, and only the last is
// open-ended.
import { InvalidField } from '../../errors.js';

export interface BucketRange {
  /** What the lender calls it: `Current`, `1-30`, `Watch`… */
  name: string;
  /** The first count of days past due in the bucket. */
  fromDays: number;
  /** The last count in it; null for "and above" (the last bucket only). */
  toDays: number | null;
}

/** The most buckets a lender may have: more than any ageing report reads. */
export const MAX_BUCKETS = 20;

/** The longest bucket name. */
export const MAX_BUCKET_NAME = 40;

/** The longest count of days a bucket may name (about 27 years). */
export const MAX_BUCKET_DAYS = 10_000;

/** The bands most lenders report in: current, then 30-day bands to 90, then to 180, then the rest. */
export const DEFAULT_BUCKETS: readonly BucketRange[] = Object.freeze([
  { name: 'Current', fromDays: 0, toDays: 0 },
  { name: '1-30', fromDays: 1, toDays: 30 },
  { name: '31-60', fromDays: 31, toDays: 60 },
  { name: '61-90', fromDays: 61, toDays: 90 },
  { name: '91-180', fromDays: 91, toDays: 180 },
  { name: '181+', fromDays: 181, toDays: null },
].map((bucket) => Object.freeze(bucket)));

const isDays = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_BUCKET_DAYS;

/**
 * Refuses ranges that would leave a count of days past due without a bucket, or in two; the error names the exact
 * entry (`buckets[2].fromDays`). `field` is how the caller names the list.
 */
export function assertValidBuckets(ranges: readonly BucketRange[], field: string): void {
  if (!Array.isArray(ranges) || ranges.length === 0) throw new InvalidField(field, 'give at least one bucket, starting at 0 days past due');
  if (ranges.length > MAX_BUCKETS) throw new InvalidField(field, `at most ${MAX_BUCKETS} buckets`);
  const names = new Set<string>();
  ranges.forEach((range, k) => {
    const at = `${field}[${k}]`;
    const name = typeof range.name === 'string' ? range.name.trim() : '';
    if (name === '' || name.length > MAX_BUCKET_NAME || name !== range.name) {
      throw new InvalidField(`${at}.name`, `a bucket's name is 1 to ${MAX_BUCKET_NAME} characters, without spaces around it`);
    }
    // Names are what reports and loans carry: two that differ only in case would read as one.
    if (names.has(name.toLowerCase())) throw new InvalidField(`${at}.name`, `${name} names two buckets`);
    names.add(name.toLowerCase());
    if (!isDays(range.fromDays)) throw new InvalidField(`${at}.fromDays`, `a whole number of days from 0 to ${MAX_BUCKET_DAYS}`);
    if (range.toDays !== null && !isDays(range.toDays)) throw new InvalidField(`${at}.toDays`, `a whole number of days from 0 to ${MAX_BUCKET_DAYS}, or null for "and above"`);
    if (range.toDays !== null && range.toDays < range.fromDays) throw new InvalidField(`${at}.toDays`, 'ends before it starts');
    if (k === 0) {
      if (range.fromDays !== 0) throw new InvalidField(`${at}.fromDays`, 'the first bucket starts at 0 days past due, so every loan has a bucket');
    } else {
      const before = ranges[k - 1]!;
      if (before.toDays === null) throw new InvalidField(`${field}[${k - 1}].toDays`, 'only the last bucket may be open-ended');
      if (range.fromDays <= before.toDays) throw new InvalidField(`${at}.fromDays`, `overlaps the bucket before, which ends at ${before.toDays}; start at ${before.toDays + 1}`);
      if (range.fromDays > before.toDays + 1) throw new InvalidField(`${at}.fromDays`, `leaves ${before.toDays + 1} days past due without a bucket; start at ${before.toDays + 1}`);
    }
  });
  const last = ranges[ranges.length - 1]!;
  if (last.toDays !== null) throw new InvalidField(`${field}[${ranges.length - 1}].toDays`, 'the last bucket is open-ended (null), so every count of days past due has a bucket');
}

/** The name of the bucket a count of days past due falls in. The ranges are valid ones (assertValidBuckets). */
export function bucketOf(ranges: readonly BucketRange[], daysPastDue: number): string {
  if (!Number.isInteger(daysPastDue) || daysPastDue < 0) throw new RangeError(`days past due must be a whole number from 0: ${daysPastDue}`);
  const found = ranges.find((range) => range.fromDays <= daysPastDue && (range.toDays === null || daysPastDue <= range.toDays));
  if (!found) throw new RangeError(`no bucket holds ${daysPastDue} days past due: the ranges were not checked`);
  return found.name;
}
