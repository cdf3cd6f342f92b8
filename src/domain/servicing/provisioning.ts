// Provisions against loans by class: a percent of the exposure per class, as data (delinquency_policy.provisions,
// jsonb `{ "STANDARD": "0.40", … }`, percent as decimal text). docs/classification.md gives the sources.
//
// The exposure provisioned is what the borrower owes that still stands as an asset: principal receivable plus
// interest, fee and penalty receivable, less the interest held in suspense (that interest is no longer income, so
// it needs no provision: it is already out of the profit). Money the loan holds in advance is not netted: it is
// the borrower's, and goes to the next instalment, not against the risk.
import { InvalidField } from '../../errors.js';
import { Decimal, minorUnits, parseDecimalText } from '../money.js';
import { classesOf, type AssetClass, type Regime } from './classification.js';

/** Percent of the exposure to provide, per class of the regime, as decimal text ("0.40", "15"). */
export type ProvisionRates = Readonly<Partial<Record<AssetClass, string>>>;

/** The most digits after the point a provision percent may carry. */
export const PROVISION_PLACES = 4;

/**
 * RBI_IRAC: the IRAC master circular's rates on the secured portion — standard 0.40 % (the rate for "all other
 * loans and advances"; some sectors take 0.25 % or 1 %), SMA classes being standard assets, sub-standard 15 %,
 * doubtful up to one year 25 %, one to three years 40 %, more than three years 100 %, loss 100 %. The unsecured
 * portion of a doubtful asset takes 100 % and an unsecured sub-standard exposure 25 %: a lender with unsecured
 * lending sets those rates itself.
 * US_CHARGE_OFF: an illustrative lender default (1 %, 15 %, 100 %). US rules set no fixed rates — the allowance is
 * the lender's own estimate of expected credit losses (CECL) — so these are the lender's choice to set.
 */
export const DEFAULT_PROVISIONS: Readonly<Record<Regime, ProvisionRates>> = {
  RBI_IRAC: {
    STANDARD: '0.40', SMA_0: '0.40', SMA_1: '0.40', SMA_2: '0.40', SUBSTANDARD: '15', DOUBTFUL_1: '25', DOUBTFUL_2: '40', DOUBTFUL_3: '100', LOSS: '100',
  },
  US_CHARGE_OFF: { STANDARD: '1', SUBSTANDARD: '15', LOSS: '100' },
};

/**
 * Refuses rates that miss a class of the regime, name a class it does not have, are not a percent from 0 to 100
 * with at most PROVISION_PLACES decimals, or provide less for a worse class than for a better one. Errors name
 * the class's field: `fieldOf(cls)`, `provisions.SUBSTANDARD` unless the caller names it otherwise.
 */
export function assertValidProvisions(regime: Regime, rates: unknown, field: string, fieldOf: (cls: string) => string = (cls) => `${field}.${cls}`): asserts rates is ProvisionRates {
  if (!rates || typeof rates !== 'object' || Array.isArray(rates)) throw new InvalidField(field, 'the provisions are a percent for each class');
  const given = rates as Record<string, unknown>;
  const classes = classesOf(regime) as readonly string[];
  const stranger = Object.keys(given).find((cls) => !classes.includes(cls));
  if (stranger !== undefined) throw new InvalidField(fieldOf(stranger), `${stranger} is not a class of ${regime}`);
  let previous: { cls: string; percent: Decimal } | null = null;
  for (const cls of classes) {
    const text = given[cls];
    if (text === undefined || text === null) throw new InvalidField(field, `give a percent for every class of ${regime}: ${cls} is missing`);
    const parsed = typeof text === 'string' ? parseDecimalText(text) : { problem: 'a percent as decimal text' };
    if (!('value' in parsed)) throw new InvalidField(fieldOf(cls), `a percent: ${parsed.problem}`);
    const percent = parsed.value;
    if (percent.lt(0) || percent.gt(100)) throw new InvalidField(fieldOf(cls), 'a percent from 0 to 100');
    if (percent.decimalPlaces() > PROVISION_PLACES) throw new InvalidField(fieldOf(cls), `at most ${PROVISION_PLACES} digits after the point`);
    if (previous && percent.lt(previous.percent)) throw new InvalidField(fieldOf(cls), `a worse class provides no less than a better one: ${previous.cls} provides ${previous.percent.toFixed()} %`);
    previous = { cls, percent };
  }
}

/** What is provisioned against: principal, interest, fee and penalty receivable less the interest in suspense (never below 0). */
export function exposureOf(position: { principalReceivable: Decimal; interestReceivable: Decimal; feeReceivable: Decimal; penaltyReceivable: Decimal; interestSuspense: Decimal }): Decimal {
  const exposure = position.principalReceivable.plus(position.interestReceivable).plus(position.feeReceivable).plus(position.penaltyReceivable).minus(position.interestSuspense);
  return exposure.gt(0) ? exposure : new Decimal(0);
}

/**
 * The provision for an exposure of a class: exposure × percent / 100, rounded half-up to the currency's minor
 * units (a provision is a figure reported to a regulator, not an amount split between parties: half-up is how
 * such figures are rounded, and it never rounds half a unit of provision away). Nothing on no exposure.
 */
export function provisionFor(rates: ProvisionRates, cls: string, exposure: Decimal, currency: string): Decimal {
  const percent = rates[cls as AssetClass];
  if (percent === undefined) throw new RangeError(`no provision rate for ${cls}`);
  if (!exposure.gt(0)) return new Decimal(0);
  return exposure.times(percent).dividedBy(100).toDecimalPlaces(minorUnits(currency), Decimal.ROUND_HALF_UP);
}
