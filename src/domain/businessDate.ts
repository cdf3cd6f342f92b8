// Business dates are calendar dates (YYYY-MM-DD) in the tenant's time zone. Functions here take the instant
// as an argument; none reads a clock.

import { InvalidField } from '../errors.js';
import { isDate } from './calendar.js';

/** The dates the API takes (and a lender's books can hold): from 1900 to 2199, both included. */
export const EARLIEST_DATE = '1900-01-01';
export const LATEST_DATE = '2199-12-31';

/** A real calendar date within EARLIEST_DATE…LATEST_DATE. */
export function isDateInRange(text: string): boolean {
  return isBusinessDate(text) && text >= EARLIEST_DATE && text <= LATEST_DATE;
}

export function isBusinessDate(text: string): boolean {
  // Years 0–99 were never taken (read through a Date, they had been 1900–1999).
  return isDate(text) && text >= '0100';
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

/**
 * Refuses a date after the business date, naming `field` (`input.repayments[3].valueDate` names the row): nothing a
 * lender's books hold is valued later, so such a date is a mistake wherever it is given.
 */
export function assertNotAfterBusinessDate(date: string, businessDate: string, field: string): void {
  if (date > businessDate) throw new InvalidField(field, `${field.slice(field.lastIndexOf('.') + 1)} may not be after the business date, ${businessDate}`);
}
