// The portfolio's figures from the book summed by band, bucket and class (end of day's summary rows, or the same
// rows from the current positions): portfolio at risk, aging by delinquency bucket, classification and
// provisions. Values in, values out; docs/reports.md has the definitions.
import { Decimal } from '../money.js';

export const DPD_BAND_ORDER = ['0', '1-30', '31-60', '61-90', '91+'] as const;

/** One group of the book, as the summary holds it. */
export interface BookGroup {
  productId: string;
  currency: string;
  dpdBand: string;
  delinquencyBucket: string;
  assetClass: string;
  loans: number;
  principalReceivable: Decimal;
  interestReceivable: Decimal;
  feeReceivable: Decimal;
  penaltyReceivable: Decimal;
  overduePrincipal: Decimal;
  interestSuspense: Decimal;
  provision: Decimal;
}

/**
 * Portfolio at risk over N days: the whole principal outstanding of the loans more than N days past due. The
 * bands are cut where these thresholds are, so each measure is a sum of whole bands.
 */
export const PAR_MEASURES = [
  { measure: 'PAR1', overDays: 0, bands: ['1-30', '31-60', '61-90', '91+'] },
  { measure: 'PAR30', overDays: 30, bands: ['31-60', '61-90', '91+'] },
  { measure: 'PAR60', overDays: 60, bands: ['61-90', '91+'] },
  { measure: 'PAR90', overDays: 90, bands: ['91+'] },
] as const;

export type ParMeasure = (typeof PAR_MEASURES)[number]['measure'];

export interface PortfolioAtRisk {
  measure: ParMeasure;
  /** Loans more than this many days past due. */
  overDays: number;
  loans: number;
  principal: Decimal;
  /** principal / the book's principal, to 4 places (half-even); 0 for an empty book. */
  ratio: string;
}

export interface AgingLine {
  delinquencyBucket: string;
  loans: number;
  principal: Decimal;
  interest: Decimal;
  fee: Decimal;
  penalty: Decimal;
}

export interface ClassLine {
  assetClass: string;
  loans: number;
  /** What the borrowers owe on the books: principal, interest, fees and penalties receivable. */
  exposure: Decimal;
  interestSuspense: Decimal;
  provision: Decimal;
}

export interface BookFigures {
  loans: number;
  principal: Decimal;
  interest: Decimal;
  fee: Decimal;
  penalty: Decimal;
  overduePrincipal: Decimal;
  interestSuspense: Decimal;
  provision: Decimal;
  portfolioAtRisk: PortfolioAtRisk[];
  aging: AgingLine[];
  classification: ClassLine[];
}

const ZERO = new Decimal(0);

/** a / b to 4 places, half-even; "0.0000" when b is zero. */
export function ratioOf(part: Decimal, whole: Decimal): string {
  return whole.isZero() ? '0.0000' : part.dividedBy(whole).toDecimalPlaces(4, Decimal.ROUND_HALF_EVEN).toFixed(4);
}

const bandRank = (band: string) => {
  const rank = (DPD_BAND_ORDER as readonly string[]).indexOf(band);
  return rank === -1 ? DPD_BAND_ORDER.length : rank;
};

/**
 * Groups keyed by `key`, in the order of the least overdue band each holds, then by name: buckets and classes
 * come out from the best to the worst without the report knowing the lender's names for them.
 */
function byKey<T>(groups: readonly BookGroup[], key: (g: BookGroup) => string, start: (name: string) => T, add: (into: T, g: BookGroup) => void): T[] {
  const found = new Map<string, { rank: number; value: T }>();
  for (const g of groups) {
    const name = key(g);
    let entry = found.get(name);
    if (!entry) found.set(name, (entry = { rank: bandRank(g.dpdBand), value: start(name) }));
    entry.rank = Math.min(entry.rank, bandRank(g.dpdBand));
    add(entry.value, g);
  }
  return [...found.entries()].sort(([a, x], [b, y]) => x.rank - y.rank || (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry.value);
}

/** The figures of a set of groups (one currency's, or one product's in one currency). */
export function bookFigures(groups: readonly BookGroup[]): BookFigures {
  const total = (pick: (g: BookGroup) => Decimal, where: (g: BookGroup) => boolean = () => true) =>
    groups.filter(where).reduce((sum, g) => sum.plus(pick(g)), ZERO);
  const count = (where: (g: BookGroup) => boolean = () => true) => groups.filter(where).reduce((sum, g) => sum + g.loans, 0);
  const principal = total((g) => g.principalReceivable);
  return {
    loans: count(),
    principal,
    interest: total((g) => g.interestReceivable),
    fee: total((g) => g.feeReceivable),
    penalty: total((g) => g.penaltyReceivable),
    overduePrincipal: total((g) => g.overduePrincipal),
    interestSuspense: total((g) => g.interestSuspense),
    provision: total((g) => g.provision),
    portfolioAtRisk: PAR_MEASURES.map(({ measure, overDays, bands }) => {
      const inBands = (g: BookGroup) => (bands as readonly string[]).includes(g.dpdBand);
      const atRisk = total((g) => g.principalReceivable, inBands);
      return { measure, overDays, loans: count(inBands), principal: atRisk, ratio: ratioOf(atRisk, principal) };
    }),
    aging: byKey<AgingLine>(groups, (g) => g.delinquencyBucket,
      (delinquencyBucket) => ({ delinquencyBucket, loans: 0, principal: ZERO, interest: ZERO, fee: ZERO, penalty: ZERO }),
      (line, g) => {
        line.loans += g.loans;
        line.principal = line.principal.plus(g.principalReceivable);
        line.interest = line.interest.plus(g.interestReceivable);
        line.fee = line.fee.plus(g.feeReceivable);
        line.penalty = line.penalty.plus(g.penaltyReceivable);
      }),
    classification: byKey<ClassLine>(groups, (g) => g.assetClass,
      (assetClass) => ({ assetClass, loans: 0, exposure: ZERO, interestSuspense: ZERO, provision: ZERO }),
      (line, g) => {
        line.loans += g.loans;
        line.exposure = line.exposure.plus(g.principalReceivable).plus(g.interestReceivable).plus(g.feeReceivable).plus(g.penaltyReceivable);
        line.interestSuspense = line.interestSuspense.plus(g.interestSuspense);
        line.provision = line.provision.plus(g.provision);
      }),
  };
}

/** The groups split by currency (then by product within one), in code order: amounts in two currencies never add. */
export function splitBy<K extends 'currency' | 'productId'>(groups: readonly BookGroup[], key: K): Map<string, BookGroup[]> {
  const split = new Map<string, BookGroup[]>();
  for (const g of [...groups].sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0))) {
    const list = split.get(g[key]) ?? [];
    list.push(g);
    split.set(g[key], list);
  }
  return split;
}

/** The first day of the month `date` is in: accruals are reported month to date. */
export function monthStartOf(date: string): string {
  return `${date.slice(0, 8)}01`;
}
