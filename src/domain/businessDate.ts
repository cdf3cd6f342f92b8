// Business dates are calendar dates (YYYY-MM-DD) in the tenant's time zone. Functions here take the instant
// as an argument; none reads a clock.

import { daysInMonth } from './calendar.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The dates the API takes (and a lender's books can hold): from 1900 to 2199, both included. */
export const EARLIEST_DATE = '1900-01-01';
export const LATEST_DATE = '2199-12-31';

/** A real calendar date within EARLIEST_DATE…LATEST_DATE. */
export function isDateInRange(text: string): boolean {
  return isBusinessDate(text) && text >= EARLIEST_DATE && text <= LATEST_DATE;
}

export function isBusinessDate(text: string): boolean {
  // Read in place rather than through a Date: every row of a payment file has one, and the API reads them all.
  if (typeof text !== 'string' || !ISO_DATE.test(text)) return false;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  // Years 0–99 were never taken (a Date reads them as 1900–1999).
  return year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/** The calendar date at `instant` in `timeZone`. */
export function dateInZone(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}
