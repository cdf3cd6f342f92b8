// Money is decimal.js, never a JS number. One Decimal clone for the whole domain (never a global Decimal.set),
// rounding half-even unless a product says otherwise; rounding happens only at named points.
import { Decimal as DecimalBase } from 'decimal.js';
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

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN_CURRENCIES.has(code);
}

const MINOR_UNITS = new Map<string, number>();

/** The currency's minor units (2 for USD, 0 for JPY, 3 for KWD), from the ICU data shipped with Node. */
export function minorUnits(currency: string): number {
  // Building a NumberFormat costs tens of microseconds; schedules and money formatting ask constantly.
  let places = MINOR_UNITS.get(currency);
  if (places === undefined) {
    places = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    MINOR_UNITS.set(currency, places);
  }
  return places;
}

export function money(amount: DecimalBase.Value, currency: string): Money {
  return { amount: new Decimal(amount), currency };
}

/** "1250.00 USD": the wire form of the Money scalar, at the currency's minor units. */
export function formatMoney(value: Money): string {
  return `${value.amount.toFixed(minorUnits(value.currency))} ${value.currency}`;
}

export function parseMoney(text: string): Money | null {
  const match = /^(-?\d+(?:\.\d+)?) ([A-Z]{3})$/.exec(text.trim());
  if (!match || !isCurrency(match[2]!)) return null;
  const amount = parseDecimalText(match[1]!);
  if (!('value' in amount) || amount.value.decimalPlaces() > minorUnits(match[2]!)) return null;
  return { amount: amount.value, currency: match[2]! };
}
