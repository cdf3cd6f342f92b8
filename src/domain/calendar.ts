// Calendar arithmetic on business dates (YYYY-MM-DD). Integer day numbers instead of Date objects: a schedule
// steps through hundreds of dates, and a Date would drag time zones into what is a pure calendar question.

import { InvalidField } from '../errors.js';

export interface CalendarDate {
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31. */
  day: number;
}

const DATE_FORM = /^\d{4}-\d{2}-\d{2}$/;

/** The date the text names, when it is a real calendar date (YYYY-MM-DD); null otherwise, without throwing. */
function readDate(text: unknown): CalendarDate | null {
  if (typeof text !== 'string' || !DATE_FORM.test(text)) return null;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) ? { year, month, day } : null;
}

/** Whether the text is a real calendar date (YYYY-MM-DD), read in place: without throwing. */
export function isDate(text: unknown): text is string {
  return readDate(text) !== null;
}

/** `text` when it is a real calendar date; otherwise refused, naming `field` as the caller's input names it. */
export function dateOf(text: unknown, field: string): string {
  if (!isDate(text)) throw new InvalidField(field, `${field} must be a business date (YYYY-MM-DD)`);
  return text;
}

export function parseDate(text: string): CalendarDate {
  const date = readDate(text);
  if (!date) throw new RangeError(`not a business date: ${text}`);
  return date;
}

export function formatDate({ year, month, day }: CalendarDate): string {
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function daysInYear(year: number): number {
  return isLeapYear(year) ? 366 : 365;
}

export function isLastDayOfMonth(date: CalendarDate): boolean {
  return date.day === daysInMonth(date.year, date.month);
}

/** Days since 1970-01-01 (negative before), by the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
export function dayNumber({ year, month, day }: CalendarDate): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

export function fromDayNumber(days: number): CalendarDate {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Actual days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(parseDate(to)) - dayNumber(parseDate(from));
}

export function addDays(date: string, days: number): string {
  return formatDate(fromDayNumber(dayNumber(parseDate(date)) + days));
}

/**
 * `months` calendar months after `date`, on the same day of the month, or on the month's last day when the month
 * is shorter (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year). Always counted from the date given, never
 * chained, so that a series anchored on the 31st comes back to the 31st (see dueDates.ts).
 */
export function addMonths(date: string | CalendarDate, months: number): string {
  const start = typeof date === 'string' ? parseDate(date) : date;
  const index = start.year * 12 + (start.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return formatDate({ year, month, day: Math.min(start.day, daysInMonth(year, month)) });
}
