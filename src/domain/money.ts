// Money is decimal.js, never a JS number. One Decimal clone for the whole domain (never a global Decimal.set),
// rounding half-even unless a product says otherwise; rounding happens only at named points.
import { Decimal as DecimalBase } from 'decimal.js';

export const Decimal = DecimalBase.clone({ precision: 40, rounding: DecimalBase.ROUND_HALF_EVEN });
export type Decimal = InstanceType<typeof Decimal>;

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
  return money(match[1]!, match[2]!);
}
