// Collections' rules, as values (docs/collections.md): when end of day opens and closes a case, which collectors
// a case goes to and in what turn, and whether a promise to pay was kept. The end-of-day step and the commands
// around it read and write the rows; these decide.
import { InvalidField } from '../../errors.js';
import { addDays } from '../calendar.js';
import { Decimal } from '../money.js';

/** A rule's collectors for one bucket (null: for a case in any bucket the rule names no group for). */
export interface CollectorGroup {
  bucket: string | null;
  staffMemberIds: string[];
}

/** The rule of a lender that never set one: a case from the first day past due, given to nobody. */
export const DEFAULT_OPEN_AT_DAYS = 1;

/** The furthest a promise may be made ahead of the business date. */
export const MAX_PROMISE_DAYS = 90;

/** The most collectors one group may name, and the longest note an activity may carry. */
export const MAX_GROUP_COLLECTORS = 100;
export const MAX_NOTE_LENGTH = 2000;

export type CaseMove = { open: true } | { close: 'cured' | 'loanClosed' | 'writtenOff' } | null;

/** The loan statuses a case can be open on; a loan in any other (closed, written off…) closes its case. */
const WORKED = new Set(['active', 'overdue']);

/**
 * What end of day does to a loan's case. A case opens when the loan is active or overdue and its days past due
 * reach the rule's threshold; it closes only when the loan is cured (nothing past due) or no longer active, so a
 * loan partly caught up below the threshold stays worked until it is whole.
 */
export function caseMove(loan: { status: string; daysPastDue: number }, openAtDays: number, hasOpenCase: boolean): CaseMove {
  const worked = WORKED.has(loan.status);
  if (hasOpenCase) {
    if (!worked) return { close: loan.status === 'written_off' ? 'writtenOff' : 'loanClosed' };
    return loan.daysPastDue === 0 ? { close: 'cured' } : null;
  }
  return worked && loan.daysPastDue >= openAtDays ? { open: true } : null;
}

/** The collectors a case in `bucket` goes to: the group named for that bucket, else the any-bucket group, else none. */
export function collectorsFor(groups: readonly CollectorGroup[], bucket: string | null): { pool: string | null; collectors: string[] } {
  const own = bucket === null ? undefined : groups.find((group) => group.bucket === bucket);
  const chosen = own ?? groups.find((group) => group.bucket === null);
  if (!chosen || chosen.staffMemberIds.length === 0) return { pool: null, collectors: [] };
  return { pool: chosen.bucket ?? '*', collectors: chosen.staffMemberIds };
}

/**
 * Hands `count` cases to `collectors` in turn, starting with the one at `next`; returns who gets each, in order,
 * and where the next turn starts. Turns go round the list whatever each collector's load: a supervisor evens
 * loads out by reassigning.
 */
export function assignInTurn(count: number, collectors: readonly string[], next: number): { assignees: string[]; next: number } {
  if (collectors.length === 0) return { assignees: [], next: 0 };
  const start = next % collectors.length;
  const assignees = Array.from({ length: count }, (_, k) => collectors[(start + k) % collectors.length]!);
  return { assignees, next: (start + count) % collectors.length };
}

/** Whether a case already with `current` should be handed on when its loan rolls into a bucket whose collectors are `collectors`. */
export function handsOn(current: string | null, collectors: readonly string[]): boolean {
  return collectors.length > 0 && (current === null || !collectors.includes(current));
}

export type PromiseOutcome = 'kept' | 'broken' | 'pending';

/**
 * A promise to pay `amount` by `promisedDate`, judged by the end of day that brings the books to `businessDate`
 * from `paid`: what arrived on the loan with a value date from the day it was made to the promised date, less
 * what was reversed. Partial payments add up; the promise is kept once they reach the amount less the loan's
 * underpayment tolerance (on any day up to the promised date), broken when the promised date has ended short of it.
 */
export function judgePromise(promise: { amount: Decimal; promisedDate: string }, paid: Decimal, tolerance: Decimal, businessDate: string): PromiseOutcome {
  if (paid.gte(promise.amount.minus(tolerance))) return 'kept';
  return businessDate > promise.promisedDate ? 'broken' : 'pending';
}

/** Refuses a promise that cannot be judged fairly: nothing to pay, or a date past or too far ahead. */
export function assertValidPromise(input: { amount: Decimal; promisedDate: string }, businessDate: string, minorUnits: number): void {
  if (!input.amount.gt(0)) throw new InvalidField('amount', 'a promise is for more than zero');
  if (input.amount.decimalPlaces() > minorUnits) throw new InvalidField('amount', `at most ${minorUnits} decimal places in the loan's currency`);
  if (input.promisedDate < businessDate) throw new InvalidField('promisedDate', `the business date is ${businessDate}: a promise is for today or later`);
  const latest = addDays(businessDate, MAX_PROMISE_DAYS);
  if (input.promisedDate > latest) throw new InvalidField('promisedDate', `at most ${MAX_PROMISE_DAYS} days ahead (${latest})`);
}

/** Refuses a rule that would open cases nobody meant, or hand them to no one or twice. Fields are named as the input names them. */
export function assertValidRule(rule: { openAtDays: number; collectors: readonly CollectorGroup[] }, bucketNames: readonly string[]): void {
  if (!Number.isInteger(rule.openAtDays) || rule.openAtDays < 1 || rule.openAtDays > 3650) {
    throw new InvalidField('openAtDays', 'a whole number of days past due from 1 to 3650');
  }
  const buckets = new Set<string | null>();
  rule.collectors.forEach((group, k) => {
    const at = `collectors.${k}`;
    if (group.bucket !== null && !bucketNames.includes(group.bucket)) {
      throw new InvalidField(`${at}.bucket`, `${group.bucket} is not a delinquency bucket of the product (${bucketNames.join(', ')})`);
    }
    if (buckets.has(group.bucket)) throw new InvalidField(`${at}.bucket`, group.bucket === null ? 'the group for any bucket is given twice' : `${group.bucket} is given twice`);
    buckets.add(group.bucket);
    if (group.staffMemberIds.length === 0) throw new InvalidField(`${at}.staffMemberIds`, 'name at least one collector');
    if (group.staffMemberIds.length > MAX_GROUP_COLLECTORS) throw new InvalidField(`${at}.staffMemberIds`, `at most ${MAX_GROUP_COLLECTORS} collectors`);
    const seen = new Set<string>();
    group.staffMemberIds.forEach((id, n) => {
      if (seen.has(id)) throw new InvalidField(`${at}.staffMemberIds.${n}`, 'names a collector twice');
      seen.add(id);
    });
  });
}

export interface BucketFlow {
  fromMonthEnd: string;
  toMonthEnd: string;
  fromBucket: string;
  /** Null: the loan left the book (repaid, closed or written off) by the later month's close. */
  toBucket: string | null;
  loans: number;
}

/**
 * Roll rates: of the loans in a bucket at one month's close, the share in each bucket (or gone) at the next
 * month's close, in percent to 2 places (half even); the shares of one bucket add up to 100 within rounding.
 */
export function rollRates(flows: readonly BucketFlow[]): (BucketFlow & { ratePercent: string })[] {
  const totals = new Map<string, number>();
  for (const flow of flows) {
    const key = `${flow.fromMonthEnd}|${flow.fromBucket}`;
    totals.set(key, (totals.get(key) ?? 0) + flow.loans);
  }
  return flows.map((flow) => ({ ...flow, ratePercent: new Decimal(flow.loans).times(100).div(totals.get(`${flow.fromMonthEnd}|${flow.fromBucket}`)!).toDecimalPlaces(2).toFixed(2) }));
}
