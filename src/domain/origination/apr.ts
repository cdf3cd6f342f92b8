// The annual percentage rate: the internal rate of return of the borrower's real cash flows. What the borrower
// actually receives (the principal less any fee deducted at disbursement) is set against everything they pay
// (every instalment with its interest and fees, and any fee due on a date of its own); the APR is the rate at
// which the two have the same present value. Two published methods, chosen per product or jurisdiction:
//
// - `eu` — Directive 2008/48/EC (Consumer Credit Directive), Annex I, as amended by Commission Directive
//   2011/90/EU: an annual effective rate X solving Σ C_k (1+X)^-t_k = Σ D_l (1+X)^-s_l, times in years. Intervals
//   are counted back from each payment in equal periods (12 equal months a year by default, or 52 weeks, or whole
//   years), and the days left over are divided by the days of the year ending on the last of them (365 or 366)
//   (Annex I, part I, remark (c); the counting rules of part II added by 2011/90/EU). The same equation and
//   the calendar basis are in Directive 98/7/EC, Annex III, whose worked examples the tests reproduce.
// - `us` — Regulation Z (12 CFR 1026), Appendix J, the actuarial method: a nominal rate, the unit-period rate i
//   times the unit periods in a year, where each flow is discounted over its whole unit periods t and the
//   fraction f left over as simple interest, 1 / ((1 + f·i)(1 + i)^t) (paragraph (b)(8)); for monthly unit
//   periods whole months are counted back from the flow and the days left over are divided by 30 ((b)(5)).
//   The unit period is the payment interval, never more than a year ((b)(4)(i)); a single advance repaid by a
//   single payment takes its term as the unit period, at most a year ((b)(4)(iii), (b)(5)(vi) and (vii)); a unit
//   period of days that is a whole number of weeks counts 52 a year ((b)(5)(iv)); and with a yearly unit period the
//   part left over is its months over 12 when it is whole months, otherwise its days over 365 ((b)(5)(v)).
//
// Solving: Newton's method from 10 % a year, in the domain's Decimal, stopping when a step moves the rate by less than
// 1e-12 (1e-10 percentage points, far below the 0.01 point the published examples are rounded to). When Newton
// leaves the sensible range or does not settle within 50 steps, bisection over a bracket that is widened until
// the sign changes finds the same root; the present value falls as the rate rises, so the root is unique.
import { InvalidField } from '../../errors.js';
import { addDays, addMonths, daysBetween, parseDate } from '../calendar.js';
import { Decimal } from '../money.js';
import type { Schedule } from '../servicing/schedule.js';

export interface CashFlow {
  date: string;
  amount: Decimal | string;
}

export interface LoanCashFlows {
  /** What the borrower receives, when: net of fees deducted at disbursement. */
  drawdowns: CashFlow[];
  /** Everything the borrower pays, when: instalments (principal, interest, fees) and fees due on their own dates. */
  repayments: CashFlow[];
}

export type AprMethod =
  /** Directive 2008/48/EC Annex I: annual effective rate. `period` is the equal period counted back before days. */
  | { kind: 'eu'; period?: 'month' | 'week' | 'year' }
  /**
   * Regulation Z Appendix J, actuarial method: a nominal rate over a unit period. `unitPeriod` is the payment
   * interval; the unit period itself follows (b)(4) (at most a year; a single payment's term).
   */
  | { kind: 'us'; unitPeriod: UsPeriod };

export interface UsPeriod {
  every: number;
  unit: 'months' | 'weeks' | 'days';
}

export interface Apr {
  method: AprMethod['kind'];
  /** The APR in percent, to 8 decimals (solved to within 1e-10 percentage points). */
  percent: Decimal;
  /** As disclosed: to 2 decimals for `us` (Appendix J's examples), 1 for `eu` (Annex I remark (d)), half-up. */
  disclosed: string;
}

const ONE = new Decimal(1);
const TOLERANCE = new Decimal('1e-12');
const NEWTON_STEPS = 50;

/** Whole calendar months from `start` to `date`, and the date they reach counting back from `date`. */
function monthsBack(start: string, date: string): { months: number; anchor: string } {
  const a = parseDate(start);
  const b = parseDate(date);
  const estimate = (b.year - a.year) * 12 + (b.month - a.month);
  // A date a whole number of calendar months after the start is exactly that many months, month ends included:
  // 31 January to 28 February is one month, as month-end schedules fall (Appendix J (b)(3)(iv) says the same).
  if (estimate > 0 && addMonths(start, estimate) === date) return { months: estimate, anchor: start };
  let months = Math.max(estimate, 0);
  while (months > 0 && addMonths(date, -months) < start) months -= 1;
  return { months, anchor: addMonths(date, -months) };
}

/** Days of the year that ends on `date`: from the same day a year before (365, or 366 across a 29 February). */
function yearEndingOn(date: string): number {
  return daysBetween(addMonths(date, -12), date);
}

/** A flow's time from the first drawdown: whole equal periods and what is left over. */
interface Timed {
  /** Drawdowns positive, repayments negative. */
  amount: Decimal;
  whole: number;
  /** EU: the years left over after the whole periods; US: the fraction of a unit period. */
  rest: Decimal;
}

/** EU: whole equal periods counted back from the flow, then the days left over as a fraction of their year. */
function euTime(start: string, date: string, period: 'month' | 'week' | 'year'): { whole: number; rest: Decimal } {
  let whole: number;
  let anchor: string;
  if (period === 'week') {
    whole = Math.floor(daysBetween(start, date) / 7);
    anchor = addDays(date, -whole * 7);
  } else {
    const back = monthsBack(start, date);
    whole = period === 'year' ? Math.floor(back.months / 12) : back.months;
    anchor = period === 'year' ? (back.months % 12 === 0 ? back.anchor : addMonths(date, -whole * 12)) : back.anchor;
  }
  const days = daysBetween(start, anchor);
  return { whole, rest: days === 0 ? new Decimal(0) : new Decimal(days).div(yearEndingOn(anchor)) };
}

const YEAR: UsPeriod = { every: 12, unit: 'months' };

/**
 * The unit period Appendix J (b)(4) gives a transaction whose payments come every `interval`: the interval, at most a
 * year, days that make whole weeks counted as weeks; for one advance repaid by one payment, the term itself (whole
 * months when it is whole months, otherwise its days), at most a year.
 */
export function usUnitPeriod(start: string, advances: number, payments: string[], interval: UsPeriod): UsPeriod {
  if (advances === 1 && payments.length === 1 && payments[0]! > start) {
    const end = payments[0]!;
    const { months, anchor } = monthsBack(start, end);
    if (months >= 12) return YEAR;
    if (months > 0 && anchor === start) return { every: months, unit: 'months' };
    return { every: daysBetween(start, end), unit: 'days' };
  }
  const days = interval.unit === 'days' ? interval.every : interval.unit === 'weeks' ? 7 * interval.every : null;
  if (days !== null) {
    if (days > 365) return YEAR;
    return days % 7 === 0 ? { every: days / 7, unit: 'weeks' } : interval;
  }
  return interval.every > 12 ? YEAR : interval;
}

/** US: whole unit periods t and the fraction f from the start of the term to `date` (Appendix J (b)(5)). */
function usTime(start: string, date: string, unit: UsPeriod): { whole: number; rest: Decimal } {
  if (unit.unit === 'months' && unit.every === 12) {
    // (b)(5)(v): whole years counted back from the flow; what is left is its months over 12 when it is whole
    // months, otherwise its days over 365.
    const { months, anchor } = monthsBack(start, date);
    const whole = Math.floor(months / 12);
    if (anchor === start) return { whole, rest: new Decimal(months - whole * 12).div(12) };
    return { whole, rest: new Decimal(daysBetween(start, addMonths(date, -12 * whole))).div(365) };
  }
  if (unit.unit === 'months') {
    const { months, anchor } = monthsBack(start, date);
    const whole = Math.floor(months / unit.every);
    const monthsOver = months - whole * unit.every;
    // Odd days count in thirtieths of a month; a unit period of several months is that many months long.
    return { whole, rest: new Decimal(monthsOver).plus(new Decimal(daysBetween(start, anchor)).div(30)).div(unit.every) };
  }
  const length = unit.unit === 'weeks' ? 7 * unit.every : unit.every;
  const days = daysBetween(start, date);
  const whole = Math.floor(days / length);
  return { whole, rest: new Decimal(days - whole * length).div(length) };
}

function unitPeriodsPerYear(unit: UsPeriod): Decimal {
  if (unit.unit === 'months') return new Decimal(12).div(unit.every);
  if (unit.unit === 'weeks') return new Decimal(52).div(unit.every);
  return new Decimal(365).div(unit.every);
}

/** factor^0 … factor^most by successive products: a long schedule needs each power, and one product apiece. */
function powers(factor: Decimal, most: number): Decimal[] {
  const table = [ONE];
  for (let k = 1; k <= most; k += 1) table.push(table[k - 1]!.times(factor));
  return table;
}

function checkedFlows(flows: LoanCashFlows): { start: string; signed: { date: string; amount: Decimal }[] } {
  const read = (list: CashFlow[], name: 'drawdowns' | 'repayments', sign: 1 | -1) =>
    list.map((flow, k) => {
      try {
        parseDate(flow.date);
      } catch {
        throw new InvalidField(`${name}[${k}].date`, 'a cash flow falls on a date (YYYY-MM-DD)');
      }
      let amount: Decimal;
      try {
        amount = new Decimal(flow.amount);
      } catch {
        throw new InvalidField(`${name}[${k}].amount`, 'a cash flow amount is a decimal number');
      }
      if (!amount.isFinite() || !amount.gt(0)) throw new InvalidField(`${name}[${k}].amount`, 'a cash flow amount is more than zero');
      return { date: flow.date, amount: sign === 1 ? amount : amount.neg() };
    });
  if (!Array.isArray(flows.drawdowns) || flows.drawdowns.length === 0) throw new InvalidField('drawdowns', 'an APR needs at least one drawdown');
  if (!Array.isArray(flows.repayments) || flows.repayments.length === 0) throw new InvalidField('repayments', 'an APR needs at least one repayment');
  const drawdowns = read(flows.drawdowns, 'drawdowns', 1);
  const repayments = read(flows.repayments, 'repayments', -1);
  const start = drawdowns.map((d) => d.date).reduce((a, b) => (b < a ? b : a));
  repayments.forEach((r, k) => {
    if (r.date < start) throw new InvalidField(`repayments[${k}].date`, 'a repayment cannot fall before the first drawdown');
  });
  return { start, signed: [...drawdowns, ...repayments] };
}

/** Net present value at `rate` (drawdowns less repayments) and its derivative by the rate. */
type Valuation = (rate: Decimal) => { value: Decimal; slope: Decimal };

function euValuation(flows: Timed[], periodYears: Decimal): Valuation {
  const most = Math.max(...flows.map((flow) => flow.whole));
  const years = flows.map((flow) => periodYears.times(flow.whole).plus(flow.rest));
  return (rate) => {
    const growth = rate.plus(1);
    const log = growth.ln();
    const discount = powers(periodYears.times(log).neg().exp(), most);
    let value = new Decimal(0);
    let slope = new Decimal(0);
    flows.forEach((flow, k) => {
      const factor = flow.rest.isZero() ? discount[flow.whole]! : discount[flow.whole]!.times(flow.rest.times(log).neg().exp());
      const discounted = flow.amount.times(factor);
      value = value.plus(discounted);
      // d/dX [A (1 + X)^−t] = −t · A (1 + X)^−t / (1 + X)
      slope = slope.minus(discounted.times(years[k]!).div(growth));
    });
    return { value, slope };
  };
}

function usValuation(flows: Timed[]): Valuation {
  const most = Math.max(...flows.map((flow) => flow.whole));
  return (rate) => {
    const growth = rate.plus(1);
    const discount = powers(ONE.div(growth), most);
    let value = new Decimal(0);
    let slope = new Decimal(0);
    for (const flow of flows) {
      const simple = flow.rest.isZero() ? ONE : flow.rest.times(rate).plus(1);
      const discounted = simple === ONE ? flow.amount.times(discount[flow.whole]!) : flow.amount.times(discount[flow.whole]!).div(simple);
      value = value.plus(discounted);
      // d/di [A / ((1 + f·i)(1 + i)^t)] = −A·(f / (1 + f·i) + t / (1 + i)) / ((1 + f·i)(1 + i)^t)
      slope = slope.minus(discounted.times(flow.rest.div(simple).plus(new Decimal(flow.whole).div(growth))));
    }
    return { value, slope };
  };
}

/** The rate above −100 % at which `valuation` is zero. */
function solveRate(valuation: Valuation, guess: Decimal): Decimal {
  const floor = new Decimal('-0.999999');
  let rate = guess;
  for (let step = 0; step < NEWTON_STEPS; step += 1) {
    const { value, slope } = valuation(rate);
    if (slope.isZero() || !slope.isFinite()) break;
    const next = rate.minus(value.div(slope));
    if (!next.isFinite() || next.lte(floor) || next.gt(1e6)) break;
    if (next.minus(rate).abs().lt(TOLERANCE)) return next;
    rate = next;
  }
  return bisect(valuation, floor);
}

function bisect(valuation: Valuation, floor: Decimal): Decimal {
  // The value rises with the rate (repayments, later than the first drawdown, are discounted more): negative at
  // the floor, positive once the rate is high enough.
  let low = floor;
  let high = ONE;
  while (valuation(high).value.isNegative()) {
    low = high;
    high = high.times(4);
    if (high.gt(1e9)) throw new InvalidField('repayments', 'the cash flows have no APR below 100,000,000,000 %');
  }
  if (!valuation(low).value.isNegative()) throw new InvalidField('repayments', 'the repayments are too small for any APR above −100 %');
  while (high.minus(low).gt(TOLERANCE)) {
    const middle = low.plus(high).div(2);
    if (valuation(middle).value.isNegative()) low = middle;
    else high = middle;
  }
  return low.plus(high).div(2);
}

/** An APR rounded half-up to `places` decimals, as disclosed. */
export function roundApr(percent: Decimal, places: number): string {
  return percent.toDecimalPlaces(places, Decimal.ROUND_HALF_UP).toFixed(places);
}

/** The APR of the borrower's cash flows by `method`. */
export function annualPercentageRate(flows: LoanCashFlows, method: AprMethod): Apr {
  const { start, signed } = checkedFlows(flows);
  if (method.kind === 'eu') {
    const period = method.period ?? 'month';
    const timed = signed.map((flow) => ({ amount: flow.amount, ...euTime(start, flow.date, period) }));
    const periodYears = period === 'month' ? ONE.div(12) : period === 'week' ? ONE.div(52) : ONE;
    const percent = solveRate(euValuation(timed, periodYears), new Decimal('0.1')).times(100).toDecimalPlaces(8, Decimal.ROUND_HALF_UP);
    return { method: 'eu', percent, disclosed: roundApr(percent, 1) };
  }
  const interval = method.unitPeriod;
  if (!Number.isInteger(interval.every) || interval.every < 1 || !['months', 'weeks', 'days'].includes(interval.unit)) {
    throw new InvalidField('unitPeriod', 'a unit period is a whole number of months, weeks or days');
  }
  const unit = usUnitPeriod(start, flows.drawdowns.length, flows.repayments.map((flow) => flow.date), interval);
  const timed = signed.map((flow) => ({ amount: flow.amount, ...usTime(start, flow.date, unit) }));
  const perYear = unitPeriodsPerYear(unit);
  const percent = solveRate(usValuation(timed), new Decimal('0.1').div(perYear)).times(perYear).times(100).toDecimalPlaces(8, Decimal.ROUND_HALF_UP);
  return { method: 'us', percent, disclosed: roundApr(percent, 2) };
}

/**
 * The borrower's cash flows of a schedule: the net disbursement on the disbursement date, every instalment's total
 * (principal, interest and instalment fee) on its due date, and any fees due on dates of their own.
 */
export function scheduleCashFlows(schedule: Schedule, disbursementDate: string, feesOnDates: readonly { date: string; amount: Decimal }[] = []): LoanCashFlows {
  return {
    drawdowns: [{ date: disbursementDate, amount: schedule.netDisbursement }],
    repayments: [
      ...schedule.instalments.filter((i) => i.total.gt(0)).map((i) => ({ date: i.dueDate, amount: i.total })),
      ...feesOnDates.filter((fee) => fee.amount.gt(0)).map((fee) => ({ date: fee.date, amount: fee.amount })),
    ],
  };
}
