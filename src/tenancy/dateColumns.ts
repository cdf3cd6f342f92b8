// Business dates (YYYY-MM-DD) and DATE columns, which the driver reads and writes as midnight UTC. One place for
// the conversion, so a date never shifts by a time zone on its way in or out.

const twoDigits = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * The business date a DATE column holds. Read from the UTC fields rather than cut from `toISOString()`: a loan's
 * read answers several dates, and writing out the whole timestamp to keep its first ten characters was a
 * noticeable part of the read (docs/performance.md). Years outside 1000–9999, and an invalid date, go by
 * `toISOString()` as before (its six-digit years, its RangeError).
 */
export function businessDateOf(column: Date): string {
  const year = column.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return column.toISOString().slice(0, 10);
  return `${year}-${twoDigits(column.getUTCMonth() + 1)}-${twoDigits(column.getUTCDate())}`;
}

/** A business date as a DATE column takes it (and as pg's text of one reads): midnight UTC of that day. */
export function dateColumn(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}
