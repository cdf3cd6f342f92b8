// Money is decimal.js, never a JS number. One Decimal clone for the whole domain (never a global Decimal.set),
// rounding half-even unless a product says otherwise; rounding happens only at named points.
import { Decimal as DecimalBase } from 'decimal.js';
import { data as iso4217, publishDate as iso4217PublishDate } from 'currency-codes';
import { InvalidField } from '../errors.js';

export const Decimal = DecimalBase.clone({ precision: 40, rounding: DecimalBase.ROUND_HALF_EVEN });
export type Decimal = InstanceType<typeof Decimal>;

/**
 * No amount the API takes or stores reaches this (columns are NUMERIC(20, 4)): a documented ceiling for every
 * Decimal and Money input, fees and limits of products included (docs/input-limits.md).
 */
export const AMOUNT_CEILING = new Decimal('1e15');

/** Digits after the point any Decimal input may carry (rates included); amounts are held to their currency's. */
export const MAX_DECIMAL_PLACES = 10;

/**
 * A decimal as the API accepts it: plain digits (no exponent, NaN or Infinity), below AMOUNT_CEILING, at most
 * MAX_DECIMAL_PLACES after the point; negative zero becomes zero. Null when it is not one, with why.
 */
export function parseDecimalText(text: string): { value: Decimal } | { problem: string } {
  if (text.length > 64 || !/^-?\d+(\.\d+)?$/.test(text)) return { problem: 'must be a decimal number as a string, like "1234.56" (no exponent)' };
  const value = new Decimal(text);
  if (value.abs().gte(AMOUNT_CEILING)) return { problem: 'must be less than 10^15 in size' };
  if (value.decimalPlaces() > MAX_DECIMAL_PLACES) return { problem: `may have at most ${MAX_DECIMAL_PLACES} digits after the point` };
  // "-0.00" is zero: stored and compared as zero, never as a negative amount.
  return { value: value.isZero() ? new Decimal(0) : value };
}

/**
 * Money paid, charged, refunded or waived is more than zero. Its form and ceiling are the Decimal scalar's to
 * check (the message still names the ceiling, as callers have always read it); the currency's minor units need
 * the loan's terms, and the replay checks those.
 */
export function assertPositiveAmount(amount: Decimal | null | undefined, field: string): asserts amount is Decimal {
  if (!amount || !amount.gt(0)) throw new InvalidField(field, 'amount must be more than zero and less than 10^15');
}

export interface Money {
  amount: Decimal;
  /** ISO 4217 code. */
  currency: string;
}

/**
 * The currencies money may be held in: ISO 4217 list one as the `currency-codes` package carries it (pinned; the
 * list it ships is dated by `ISO_4217_PUBLISHED`), never the locale data of the runtime, whose minor units are
 * what a locale displays (ICU shows IDR, HUF or COP without decimals) rather than what ISO 4217 defines.
 * Withdrawn codes are not on list one, so they are refused. Two kinds of entry on the list are not money a
 * borrower repays, and are refused too (docs/decisions.md, "Currencies"):
 * - the entries ISO gives no minor units ("N.A."): precious metals, bond-market units, the SDR, the testing code
 *   and "no currency" (the package writes 0 for them, which would pass for a whole-unit currency);
 * - funds codes (ISO marks them IsFund): units of account and index units beside a national currency.
 * test/domain/currencies.test.ts reads both sets back from the ISO file the package ships, so they cannot drift.
 */
const NO_MINOR_UNITS = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);
const FUNDS_CODES = new Set(['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI']);

/** The date ISO published the list the pinned table follows. */
export const ISO_4217_PUBLISHED: string = iso4217PublishDate;

/** Every currency Lendgraph accepts, with its ISO 4217 minor units (2 for USD, 0 for JPY, 3 for KWD). */
export const CURRENCY_MINOR_UNITS: ReadonlyMap<string, number> = new Map(
  iso4217
    .filter((entry) => !NO_MINOR_UNITS.has(entry.code) && !FUNDS_CODES.has(entry.code))
    .map((entry) => [entry.code, entry.digits]),
);

export function isCurrency(code: string): boolean {
  return CURRENCY_MINOR_UNITS.has(code);
}

/**
 * The currency's minor units (ISO 4217). A code that is not a currency in use is refused, naming `currency`,
 * rather than guessed at two places: terms built from input reach here before they are checked.
 */
export function minorUnits(currency: string): number {
  const places = CURRENCY_MINOR_UNITS.get(currency);
  if (places === undefined) throw new InvalidField('currency', 'currency must be an ISO 4217 code of a currency in use');
  return places;
}

const NO_UNITS = new Decimal(0);

/** Whole minor units back to an amount with `places` decimals: the point written in, rather than a division. */
export function fromMinorUnits(minor: bigint, places: number): Decimal {
  if (minor === 0n) return NO_UNITS;
  const digits = (minor < 0n ? -minor : minor).toString().padStart(places + 1, '0');
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return new Decimal(minor < 0n ? `-${text}` : text);
}

/**
 * An amount with its currency. A Decimal of ours is taken as it is (it never changes): a loan's schedule answers
 * a dozen amounts per instalment, each of which was written out and read back for nothing. Another decimal.js
 * number (the ORM's) is copied; text and numbers are read.
 */
export function money(amount: DecimalBase.Value | { toString(): string }, currency: string): Money {
  // Every clone of decimal.js shares one prototype, so `instanceof` alone would also take decimal.js's own class,
  // which rounds half-up at 20 digits: only a number made by ours is taken as it is.
  if (amount instanceof Decimal && amount.constructor === Decimal) return { amount, currency };
  // Another copy of decimal.js (the ORM's decimals are one) is copied digit for digit, as decimal.js does for its own.
  if (typeof amount === 'string' || typeof amount === 'number' || DecimalBase.isDecimal(amount)) return { amount: new Decimal(amount), currency };
  return { amount: new Decimal(amount.toString()), currency };
}

/**
 * "1250.00 USD": the wire form of the Money scalar, at the currency's minor units. An amount that has no more
 * places than that (nearly every one) is written out as it is and padded with zeros: `toFixed(places)` rounds a
 * new number for each, a tenth of a loan's schedule read. Anything else is rounded (half-even) by `toFixed`.
 */
export function formatMoney(value: Money): string {
  const places = minorUnits(value.currency);
  const { amount } = value;
  const has = amount.decimalPlaces();
  if (!(has <= places)) return `${amount.toFixed(places)} ${value.currency}`;
  const text = amount.toFixed();
  if (has === places) return `${text} ${value.currency}`;
  return `${text}${has === 0 ? '.' : ''}${'0'.repeat(places - has)} ${value.currency}`;
}

/**
 * The wire form of an amount given as exact decimal text, as PostgreSQL writes a numeric column ("10000.0000"),
 * without making a Decimal of it: the digits beyond the currency's minor units are zeros and dropped, or padded
 * to them. Null when that is not so (digits to round, an exponent, a negative zero): `formatMoney` rounds those.
 * Always the text `formatMoney` would write for the same amount.
 */
export function formatAmountText(text: string, currency: string): string | null {
  const places = minorUnits(currency);
  const match = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?$/.exec(text);
  if (!match) return null;
  const [, sign, whole, fraction = ''] = match;
  let end = fraction.length;
  while (end > 0 && fraction.charCodeAt(end - 1) === 48) end -= 1;
  if (end > places) return null;
  if (sign && whole === '0' && end === 0) return null;
  if (places === 0) return `${sign}${whole} ${currency}`;
  return `${sign}${whole}.${fraction.slice(0, end)}${'0'.repeat(places - end)} ${currency}`;
}

export function parseMoney(text: string): Money | null {
  const match = /^(-?\d+(?:\.\d+)?) ([A-Z]{3})$/.exec(text.trim());
  if (!match || !isCurrency(match[2]!)) return null;
  const amount = parseDecimalText(match[1]!);
  if (!('value' in amount) || amount.value.decimalPlaces() > minorUnits(match[2]!)) return null;
  return { amount: amount.value, currency: match[2]! };
}
