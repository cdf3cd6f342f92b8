// A DATE column's business date is the same text whichever way it is written out: the UTC fields, or the
// timestamp's first ten characters, for every kind of year a column can hold.
import { describe, expect, it } from 'vitest';
import { businessDateOf, dateColumn } from '../../src/tenancy/dateColumns.js';

describe('businessDateOf', () => {
  it('gives the date a column holds, as toISOString() begins', () => {
    for (const text of ['2026-12-05', '2026-01-01', '2024-02-29', '1000-01-01', '9999-12-31', '2027-10-09']) {
      const column = dateColumn(text);
      expect(businessDateOf(column)).toBe(text);
      expect(businessDateOf(column)).toBe(column.toISOString().slice(0, 10));
    }
  });

  it('agrees with toISOString() on every day of a leap year and the next', () => {
    for (let day = 0; day < 731; day += 1) {
      const column = new Date(Date.UTC(2028, 0, 1 + day));
      expect(businessDateOf(column)).toBe(column.toISOString().slice(0, 10));
    }
  });

  it('keeps toISOString()\'s form for years outside four digits', () => {
    expect(businessDateOf(new Date(Date.UTC(10_000, 0, 2)))).toBe('+010000-01');
    const early = new Date(Date.UTC(2000, 0, 2));
    early.setUTCFullYear(999);
    expect(businessDateOf(early)).toBe('0999-01-02');
  });

  it('refuses an invalid date as toISOString() does', () => {
    expect(() => businessDateOf(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('dateColumn', () => {
  it('is midnight UTC of the day, and gives back the same business date', () => {
    for (const [text, year, month, day] of [['2026-12-05', 2026, 12, 5], ['2024-02-29', 2024, 2, 29], ['1000-01-01', 1000, 1, 1], ['9999-12-31', 9999, 12, 31]] as const) {
      expect(dateColumn(text).getTime()).toBe(Date.UTC(year, month - 1, day));
      expect(businessDateOf(dateColumn(text))).toBe(text);
    }
  });
});
