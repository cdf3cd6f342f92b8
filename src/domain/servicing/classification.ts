// Regulatory classification of loans as data: a regime, its parameters (stored as jsonb in delinquency_policy) and
// the pure rules that move a loan between classes as its days past due and its time as non-performing change.
// docs/classification.md cites the texts each rule follows; the tests hold their worked examples.
//
// Two regimes:
// - RBI_IRAC: the Reserve Bank of India's prudential norms on income recognition, asset classification and
//   provisioning (IRAC). Special mention (SMA_0/1/2) while overdue up to 90 days, non-performing (NPA) when
//   overdue more than 90 days, then ageing in NPA: sub-standard for 12 months, doubtful (three steps), loss.
// - US_CHARGE_OFF: the FFIEC Uniform Retail Credit Classification and Account Management Policy (2000):
//   substandard at 90 cumulative days past due, loss (charge-off due) at 120 for closed-end retail loans.
//
// Days past due (DPD) is counted as EOD.md and the RBI text count it: the run to business date N is the close of
// day N−1, and DPD at N = N − the oldest unpaid due date (an instalment due N−1 and unpaid is 1 DPD at N).
import { InvalidField } from '../../errors.js';
import { addDays, addMonths, daysBetween, parseDate } from '../calendar.js';
import { Decimal } from '../money.js';

export const REGIMES = ['RBI_IRAC', 'US_CHARGE_OFF'] as const;
export type Regime = (typeof REGIMES)[number];

/** Every class of either regime, from the best to the worst. */
export const ASSET_CLASSES = ['STANDARD', 'SMA_0', 'SMA_1', 'SMA_2', 'SUBSTANDARD', 'DOUBTFUL_1', 'DOUBTFUL_2', 'DOUBTFUL_3', 'LOSS'] as const;
export type AssetClass = (typeof ASSET_CLASSES)[number];

const CLASSES: Readonly<Record<Regime, readonly AssetClass[]>> = {
  RBI_IRAC: ASSET_CLASSES,
  // The performing class is STANDARD in both regimes (FFIEC's "pass"), the loan column's default.
  US_CHARGE_OFF: ['STANDARD', 'SUBSTANDARD', 'LOSS'],
};

/** The classes that are non-performing: NPA under IRAC, classified (substandard or worse) under the US policy. */
const NON_PERFORMING: ReadonlySet<AssetClass> = new Set(['SUBSTANDARD', 'DOUBTFUL_1', 'DOUBTFUL_2', 'DOUBTFUL_3', 'LOSS']);

export interface RbiParameters {
  /** SMA_1 when DPD is more than this (RBI: 31–60 days). SMA_0 from 1 DPD up to it. */
  sma1AfterDays: number;
  /** SMA_2 when DPD is more than this (RBI: 61–90 days). */
  sma2AfterDays: number;
  /** NPA when DPD is more than this (RBI: overdue "for a period of more than 90 days"). */
  npaAfterDays: number;
  /** Doubtful (DOUBTFUL_1) after this many whole months as NPA (RBI: sub-standard for 12 months). */
  doubtfulAfterMonths: number;
  /** DOUBTFUL_2 ("doubtful one to three years") after this many months as NPA: 12 + 12. */
  doubtful2AfterMonths: number;
  /** DOUBTFUL_3 ("doubtful more than three years") after this many months as NPA: 12 + 36. */
  doubtful3AfterMonths: number;
  /**
   * LOSS after this many months as NPA; null (RBI's rule) for never by age: RBI names an asset loss when the loss
   * is identified (by the bank, its auditors or an RBI inspection), not after a time. A lender may set its own age.
   */
  lossAfterMonths: number | null;
  /** Every loan of a borrower carries the borrower's worst non-performing class (RBI: borrower-wise, not facility-wise). */
  borrowerLevel: boolean;
}

export interface UsParameters {
  /** SUBSTANDARD from this many cumulative days past due (FFIEC: 90). */
  substandardAfterDays: number;
  /** LOSS, charge-off due, from this many days past due (FFIEC: 120 closed-end, 180 open-end). */
  chargeOffAfterDays: number;
  /** Interest stops accruing (held in suspense) from this many days past due (call report practice: 90). */
  nonAccrualAfterDays: number;
  /** Whether a borrower's loans all carry its worst class (not the US practice: each account on its own). */
  borrowerLevel: boolean;
}

export type ClassificationPolicy =
  | { regime: 'RBI_IRAC'; parameters: RbiParameters }
  | { regime: 'US_CHARGE_OFF'; parameters: UsParameters };

export type RegimeParameters = RbiParameters | UsParameters;

/** Where a loan stood after the last classification. */
export interface ClassState {
  ownClass: string;
  /** The business date it became non-performing; null while performing. */
  npaSince: string | null;
  /** The business date its class last changed. */
  classSince: string | null;
}

export function isRegime(value: unknown): value is Regime {
  return typeof value === 'string' && (REGIMES as readonly string[]).includes(value);
}

/** The classes of a regime, from the best to the worst. */
export function classesOf(regime: Regime): readonly AssetClass[] {
  return CLASSES[regime];
}

export function defaultParameters(regime: 'RBI_IRAC'): RbiParameters;
export function defaultParameters(regime: 'US_CHARGE_OFF'): UsParameters;
export function defaultParameters(regime: Regime): RegimeParameters;
export function defaultParameters(regime: Regime): RegimeParameters {
  return regime === 'RBI_IRAC'
    ? { sma1AfterDays: 30, sma2AfterDays: 60, npaAfterDays: 90, doubtfulAfterMonths: 12, doubtful2AfterMonths: 24, doubtful3AfterMonths: 48, lossAfterMonths: null, borrowerLevel: true }
    : { substandardAfterDays: 90, chargeOffAfterDays: 120, nonAccrualAfterDays: 90, borrowerLevel: false };
}

/** The parameters each regime takes, in the order they are checked. */
export const PARAMETER_NAMES: Readonly<Record<Regime, readonly string[]>> = {
  RBI_IRAC: ['sma1AfterDays', 'sma2AfterDays', 'npaAfterDays', 'doubtfulAfterMonths', 'doubtful2AfterMonths', 'doubtful3AfterMonths', 'lossAfterMonths', 'borrowerLevel'],
  US_CHARGE_OFF: ['substandardAfterDays', 'chargeOffAfterDays', 'nonAccrualAfterDays', 'borrowerLevel'],
};

/** The largest count of days a threshold may name (ten years), and of months (a hundred years). */
export const MAX_THRESHOLD_DAYS = 3_650;
export const MAX_THRESHOLD_MONTHS = 1_200;

/**
 * Refuses parameters a regime does not take, or that would classify inconsistently; errors name the parameter
 * (`parameters.npaAfterDays`). `field` is how the caller names the parameters object.
 */
export function assertValidParameters(regime: Regime, parameters: unknown, field: string): asserts parameters is RegimeParameters {
  if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) throw new InvalidField(field, 'the parameters are an object');
  const given = parameters as Record<string, unknown>;
  const names = PARAMETER_NAMES[regime];
  const stranger = Object.keys(given).find((key) => !names.includes(key));
  if (stranger !== undefined) throw new InvalidField(`${field}.${stranger}`, `not a parameter of ${regime}`);
  const whole = (name: string, max: number, unit: string) => {
    const value = given[name];
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) throw new InvalidField(`${field}.${name}`, `a whole number of ${unit} from 1 to ${max}`);
    return value as number;
  };
  const flag = (name: string) => {
    if (typeof given[name] !== 'boolean') throw new InvalidField(`${field}.${name}`, 'true or false');
  };
  const after = (name: string, value: number, earlier: string, bound: number) => {
    if (value <= bound) throw new InvalidField(`${field}.${name}`, `must be more than ${earlier} (${bound})`);
  };
  if (regime === 'RBI_IRAC') {
    const sma1 = whole('sma1AfterDays', MAX_THRESHOLD_DAYS, 'days');
    const sma2 = whole('sma2AfterDays', MAX_THRESHOLD_DAYS, 'days');
    after('sma2AfterDays', sma2, 'sma1AfterDays', sma1);
    const npa = whole('npaAfterDays', MAX_THRESHOLD_DAYS, 'days');
    after('npaAfterDays', npa, 'sma2AfterDays', sma2);
    const d1 = whole('doubtfulAfterMonths', MAX_THRESHOLD_MONTHS, 'months');
    const d2 = whole('doubtful2AfterMonths', MAX_THRESHOLD_MONTHS, 'months');
    after('doubtful2AfterMonths', d2, 'doubtfulAfterMonths', d1);
    const d3 = whole('doubtful3AfterMonths', MAX_THRESHOLD_MONTHS, 'months');
    after('doubtful3AfterMonths', d3, 'doubtful2AfterMonths', d2);
    if (given['lossAfterMonths'] !== null) after('lossAfterMonths', whole('lossAfterMonths', MAX_THRESHOLD_MONTHS, 'months'), 'doubtful3AfterMonths', d3);
  } else {
    const substandard = whole('substandardAfterDays', MAX_THRESHOLD_DAYS, 'days');
    const chargeOff = whole('chargeOffAfterDays', MAX_THRESHOLD_DAYS, 'days');
    after('chargeOffAfterDays', chargeOff, 'substandardAfterDays', substandard);
    const nonAccrual = whole('nonAccrualAfterDays', MAX_THRESHOLD_DAYS, 'days');
    if (nonAccrual > chargeOff) throw new InvalidField(`${field}.nonAccrualAfterDays`, `must be no more than chargeOffAfterDays (${chargeOff}): a loan due for charge-off accrues nothing`);
  }
  flag('borrowerLevel');
}

function severity(regime: Regime, cls: string): number {
  const rank = (CLASSES[regime] as readonly string[]).indexOf(cls);
  if (rank < 0) throw new RangeError(`${cls} is not a class of ${regime}`);
  return rank;
}

/** Whether the class is non-performing: NPA under IRAC, substandard or loss under the US policy. */
export function isNonPerforming(policy: ClassificationPolicy, cls: string): boolean {
  severity(policy.regime, cls);
  return NON_PERFORMING.has(cls as AssetClass);
}

/**
 * Whole months from `from` to `to`: the most months k such that `from` plus k months (calendar.addMonths: the
 * same day of the month, or the month's last day when it is shorter) is on or before `to`. So 2021-06-30 to
 * 2022-06-30 is 12 months and to 2022-06-29 is 11; 2021-01-31 to 2021-02-28 is one month.
 */
export function wholeMonths(from: string, to: string): number {
  const a = parseDate(from);
  const b = parseDate(to);
  let months = (b.year - a.year) * 12 + (b.month - a.month);
  while (months > 0 && addMonths(a, months) > to) months -= 1;
  return Math.max(0, months);
}

/**
 * RBI (restructuring of advances): a restructured standard account is downgraded to NPA on restructuring and may be
 * upgraded only after satisfactory performance in the specified period; here the period is a year from the
 * restructure, after which the account follows its days past due again (docs/restructure.md).
 */
export const RESTRUCTURED_SPECIFIED_MONTHS = 12;

/** The NPA class of a loan that has been non-performing for `months` whole months. */
function rbiAgeClass(parameters: RbiParameters, months: number): AssetClass {
  if (parameters.lossAfterMonths !== null && months >= parameters.lossAfterMonths) return 'LOSS';
  if (months >= parameters.doubtful3AfterMonths) return 'DOUBTFUL_3';
  if (months >= parameters.doubtful2AfterMonths) return 'DOUBTFUL_2';
  if (months >= parameters.doubtfulAfterMonths) return 'DOUBTFUL_1';
  return 'SUBSTANDARD';
}

/**
 * The loan's own class on business date `asOf`, given where it stood and its days past due then.
 *
 * RBI_IRAC: performing loans follow DPD both ways (STANDARD at 0, SMA_0 from 1, SMA_1 and SMA_2 past their
 * thresholds). A loan past `npaAfterDays` becomes NPA on the date it crossed (asOf less the days beyond the
 * threshold, so a loan first classified — or replayed — long past it ages from the right date). Once NPA it stays
 * NPA, only moving down with its age in whole months from npaSince (never back up, even when a later policy ages
 * more slowly, nor out of a LOSS), until its DPD is 0: all arrears paid, it is STANDARD again and npaSince null.
 *
 * US_CHARGE_OFF: the class follows DPD both ways (STANDARD, SUBSTANDARD from `substandardAfterDays`, LOSS from
 * `chargeOffAfterDays`); npaSince is the date it became substandard, null once back to STANDARD. Charging the
 * loan off is an action of its own; the class only says it is due.
 *
 * classSince moves to asOf only when the class changes.
 */
export function classify(policy: ClassificationPolicy, previous: ClassState, now: { daysPastDue: number; restructuredOn?: string | null }, asOf: string): { ownClass: AssetClass; npaSince: string | null; classSince: string } {
  const dpd = now.daysPastDue;
  // RBI: a restructured account is NPA from its restructure until the specified period has passed, however it pays.
  const watched = policy.regime === 'RBI_IRAC' && !!now.restructuredOn && now.restructuredOn <= asOf && wholeMonths(now.restructuredOn, asOf) < RESTRUCTURED_SPECIFIED_MONTHS;
  if (!Number.isInteger(dpd) || dpd < 0) throw new RangeError(`days past due must be a whole number from 0: ${dpd}`);
  parseDate(asOf);
  let ownClass: AssetClass;
  let npaSince: string | null;
  if (policy.regime === 'RBI_IRAC') {
    const p = policy.parameters;
    const previousClass = (CLASSES.RBI_IRAC as readonly string[]).includes(previous.ownClass) ? (previous.ownClass as AssetClass) : 'STANDARD';
    const wasNpa = previous.npaSince !== null || NON_PERFORMING.has(previousClass);
    if (dpd === 0 && !watched) {
      ownClass = 'STANDARD';
      npaSince = null;
    } else if (wasNpa || watched) {
      // A class stored without its date (never written so by end of day) ages from when its class was set; a
      // restructured one from its restructure.
      npaSince = previous.npaSince ?? (watched ? now.restructuredOn! : previous.classSince ?? asOf);
      const byAge = rbiAgeClass(p, wholeMonths(npaSince, asOf));
      ownClass = NON_PERFORMING.has(previousClass) && severity('RBI_IRAC', previousClass) > severity('RBI_IRAC', byAge) ? previousClass : byAge;
    } else if (dpd > p.npaAfterDays) {
      npaSince = addDays(asOf, -(dpd - p.npaAfterDays - 1));
      ownClass = rbiAgeClass(p, wholeMonths(npaSince, asOf));
    } else {
      npaSince = null;
      ownClass = dpd > p.sma2AfterDays ? 'SMA_2' : dpd > p.sma1AfterDays ? 'SMA_1' : 'SMA_0';
    }
  } else {
    const p = policy.parameters;
    if (dpd >= p.substandardAfterDays) {
      ownClass = dpd >= p.chargeOffAfterDays ? 'LOSS' : 'SUBSTANDARD';
      const crossed = addDays(asOf, -(dpd - p.substandardAfterDays));
      npaSince = previous.npaSince !== null && previous.npaSince <= asOf ? previous.npaSince : crossed;
    } else {
      ownClass = 'STANDARD';
      npaSince = null;
    }
  }
  const classSince = ownClass === previous.ownClass && previous.classSince !== null ? previous.classSince : asOf;
  return { ownClass, npaSince, classSince };
}

/** The worst of some classes of the policy's regime; STANDARD for none. */
export function worstClass(policy: ClassificationPolicy, classes: readonly string[]): AssetClass {
  let worst = 0;
  for (const cls of classes) worst = Math.max(worst, severity(policy.regime, cls));
  return CLASSES[policy.regime][worst]!;
}

/**
 * The class a loan carries, given its own and those of every loan of its borrower (its own included). Where the
 * regime is borrower-level, IRAC spreads non-performance only (a borrower's NPA makes all its loans NPA; one
 * loan's SMA does not make the others SMA, as the text speaks of NPAs); the US policy, when a lender sets it
 * borrower-level, spreads the worst class.
 */
export function carriedClass(policy: ClassificationPolicy, ownClass: string, borrowerClasses: readonly string[]): AssetClass {
  const own = worstClass(policy, [ownClass]);
  if (!policy.parameters.borrowerLevel) return own;
  const worst = worstClass(policy, [ownClass, ...borrowerClasses]);
  if (policy.regime === 'RBI_IRAC' && !NON_PERFORMING.has(worst)) return own;
  return worst;
}

/**
 * Whether interest on a loan of this class is not income (non-accrual): IRAC, every NPA class; the US policy,
 * from `nonAccrualAfterDays` past due and always in LOSS. Given no DPD, the US rule is read from the class alone:
 * SUBSTANDARD is non-accrual when nonAccrualAfterDays is no later than substandardAfterDays (the default, 90 and 90).
 */
export function isNonAccrual(policy: ClassificationPolicy, cls: string, daysPastDue?: number): boolean {
  severity(policy.regime, cls);
  if (policy.regime === 'RBI_IRAC') return NON_PERFORMING.has(cls as AssetClass);
  const p = policy.parameters;
  if (cls === 'LOSS') return true;
  if (daysPastDue !== undefined) return daysPastDue >= p.nonAccrualAfterDays;
  return cls === 'SUBSTANDARD' && p.nonAccrualAfterDays <= p.substandardAfterDays;
}

/**
 * The non-accrual rule in the form a set-based statement applies to many loans at once: a loan is non-accrual when
 * the class it carries is one of `classes`, or (US) its DPD is at least `fromDaysPastDue`. The same rule as
 * isNonAccrual given the DPD.
 */
export function nonAccrualRule(policy: ClassificationPolicy): { classes: AssetClass[]; fromDaysPastDue: number | null } {
  if (policy.regime === 'RBI_IRAC') return { classes: CLASSES.RBI_IRAC.filter((cls) => NON_PERFORMING.has(cls)), fromDaysPastDue: null };
  return { classes: ['LOSS'], fromDaysPastDue: policy.parameters.nonAccrualAfterDays };
}

/** Whether the class says the loan is due to be written off: LOSS in both regimes. */
export function chargeOffDue(policy: ClassificationPolicy, cls: string): boolean {
  severity(policy.regime, cls);
  return cls === 'LOSS';
}

/**
 * Interest to hold in suspense: the whole interest receivable of a non-accrual loan (it was recognised as income
 * when its instalment fell due, and a non-performing loan's unpaid interest is not income: RBI's reversal of
 * income, the call report's nonaccrual), nothing otherwise.
 *
 * Penalties and fees are not included: Lendgraph holds only interest in suspense (the `interest_suspense`
 * position and the interestSuspense account). A penalty or fee is charged by a decision of the lender or a
 * product's term when it falls late, not earned with the passing of time; on a non-performing loan it stays in
 * the exposure provisioned at the class's rate (100 % for DOUBTFUL_3 and LOSS). RBI asks also for fees and similar
 * income to be reversed; docs/classification.md records this difference.
 */
export function suspenseFor(policy: ClassificationPolicy, cls: string, interestReceivable: Decimal, daysPastDue?: number): Decimal {
  if (!isNonAccrual(policy, cls, daysPastDue)) return new Decimal(0);
  return interestReceivable.gt(0) ? new Decimal(interestReceivable) : new Decimal(0);
}

/** Days from the oldest unpaid due date to the business date (EOD.md's count); 0 with nothing overdue. */
export function daysPastDueOf(oldestDueDate: string | null, asOf: string): number {
  return oldestDueDate === null ? 0 : Math.max(0, daysBetween(oldestDueDate, asOf));
}
