// Allocation invariants for any valid rule, loan and payment (fast-check). Each is something the greedy
// allocation guarantees by construction, stated so that a change which breaks it fails here:
// - conservation: allocated + advance + excess = payment exactly; the lines sum to `allocated` and, per
//   component, to `totals`;
// - every line is positive and in whole minor units; no component of any instalment is paid beyond what it owed,
//   and what it owes afterwards is exactly what it owed less its lines (so nothing goes negative);
// - overdue first: money reaches a future instalment, the advance or the excess only once every due instalment
//   owes nothing;
// - dueDateFirst: money reaches a due instalment only once every earlier due instalment owes nothing, and a
//   component of it only once the components before it in `order` are paid;
// - componentFirst: money reaches a component of a due instalment only once every due instalment owes nothing of
//   the components before it in `order`, and earlier due instalments owe nothing of that component;
// - capacity: money is kept back (advance or excess) only when nothing it could pay is left; excess appears only
//   when the advance (with holdAsAdvance) has reached everything future instalments owe;
// - reduceEveryInstalment gives each future instalment its exact pro rata share within one minor unit;
// - splitting: for the rules that fill a fixed sequence of (instalment, component) slots in turn (every rule but
//   reduceEveryInstalment, whose rounding depends on the amount, and holdAsAdvance, whose advance is not applied),
//   paying a and then b on the same value date leaves the loan exactly as paying a + b at once, with the same
//   total excess.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayNumber, formatDate, fromDayNumber, parseDate } from '../../../src/domain/calendar.js';
import { Decimal, minorUnits } from '../../../src/domain/money.js';
import {
  allocateRepayment,
  COMPONENTS,
  type Allocation,
  type AllocationRequest,
  type AllocationRule,
  type Component,
  type FutureInstalments,
} from '../../../src/domain/servicing/allocation.js';

const CURRENCIES = ['USD', 'JPY', 'KWD'] as const;
const BASE_DAY = dayNumber(parseDate('2026-01-01'));

const rule = (futures: readonly FutureInstalments[]): fc.Arbitrary<AllocationRule> =>
  fc.record({
    order: fc.shuffledSubarray([...COMPONENTS], { minLength: 4, maxLength: 4 }),
    strategy: fc.constantFrom('dueDateFirst' as const, 'componentFirst' as const),
    future: fc.constantFrom(...futures),
    futureOrder: fc.shuffledSubarray([...COMPONENTS], { minLength: 1 }),
  });

const ALL_FUTURES: FutureInstalments[] = ['payNextInstalments', 'reduceLastInstalments', 'reduceEveryInstalment', 'holdAsAdvance'];

/** Minor units of an amount, often zero so that instalments partly paid already are common. */
const owedMinor = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50_000 }));

const loan = fc
  .record({
    currency: fc.constantFrom(...CURRENCIES),
    gaps: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 8 }),
    owed: fc.array(fc.tuple(owedMinor, owedMinor, owedMinor, owedMinor), { minLength: 8, maxLength: 8 }),
    valueDayOffset: fc.integer({ min: -10, max: 340 }),
  })
  .map(({ currency, gaps, owed, valueDayOffset }) => {
    const scale = new Decimal(10).pow(minorUnits(currency));
    let day = BASE_DAY;
    const instalments = gaps.map((gap, k) => {
      day += gap;
      const amounts = owed[k]!;
      return {
        number: k + 1,
        dueDate: formatDate(fromDayNumber(day)),
        outstanding: Object.fromEntries(COMPONENTS.map((c, j) => [c, new Decimal(amounts[j]!).div(scale)])) as Record<Component, Decimal>,
      };
    });
    return { currency, instalments, valueDate: formatDate(fromDayNumber(BASE_DAY + valueDayOffset)) };
  });

const scenario = (futures: readonly FutureInstalments[]) =>
  fc.record({ loan, rule: rule(futures), paymentMinor: fc.integer({ min: 1, max: 600_000 }) }).map(({ loan: l, rule: r, paymentMinor }) => {
    const scale = new Decimal(10).pow(minorUnits(l.currency));
    const request: AllocationRequest = {
      currency: l.currency,
      instalments: l.instalments,
      payment: { amount: new Decimal(paymentMinor).div(scale), valueDate: l.valueDate },
      rule: r,
    };
    return request;
  });

const minor = (amount: Decimal, currency: string) => amount.times(new Decimal(10).pow(minorUnits(currency)));
const zero = (outstanding: Record<Component, Decimal>, components: readonly Component[] = COMPONENTS) => components.every((c) => outstanding[c].isZero());

function dueOrder(result: Allocation): Allocation['instalments'] {
  return [...result.instalments].sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.number - b.number));
}

describe('allocation invariants', () => {
  it('conserves money to the minor unit and never pays a component beyond what it owed', () => {
    fc.assert(
      fc.property(scenario(ALL_FUTURES), (request) => {
        const result = allocateRepayment(request);
        const payment = new Decimal(request.payment.amount);
        expect(result.allocated.plus(result.advance).plus(result.excess).eq(payment)).toBe(true);
        const sum = result.lines.reduce((a, l) => a.plus(l.amount), new Decimal(0));
        expect(sum.eq(result.allocated)).toBe(true);
        for (const c of COMPONENTS) {
          expect(result.lines.filter((l) => l.component === c).reduce((a, l) => a.plus(l.amount), new Decimal(0)).eq(result.totals[c])).toBe(true);
        }
        for (const amount of [result.allocated, result.advance, result.excess, ...result.lines.map((l) => l.amount)]) {
          expect(amount.isNegative()).toBe(false);
          expect(minor(amount, request.currency).isInteger()).toBe(true);
        }
        expect(result.lines.every((l) => l.amount.gt(0))).toBe(true);
        request.instalments.forEach((before, k) => {
          const after = result.instalments[k]!;
          expect(after.number).toBe(before.number);
          for (const c of COMPONENTS) {
            const paid = result.lines.filter((l) => l.instalment === before.number && l.component === c).reduce((a, l) => a.plus(l.amount), new Decimal(0));
            const owed = new Decimal(before.outstanding[c]!);
            expect(paid.lte(owed)).toBe(true);
            expect(after.outstanding[c].eq(owed.minus(paid))).toBe(true);
            expect(after.outstanding[c].isNegative()).toBe(false);
          }
        });
      }),
      { numRuns: 400 },
    );
  });

  it('settles everything due before a future instalment, the advance or the excess sees any money', () => {
    fc.assert(
      fc.property(scenario(ALL_FUTURES), (request) => {
        const result = allocateRepayment(request);
        const valueDate = request.payment.valueDate;
        const due = result.instalments.filter((i) => i.dueDate <= valueDate);
        const futureNumbers = new Set(result.instalments.filter((i) => i.dueDate > valueDate).map((i) => i.number));
        const beyondDue = result.lines.some((l) => futureNumbers.has(l.instalment)) || result.advance.gt(0) || result.excess.gt(0);
        if (beyondDue) expect(due.every((i) => zero(i.outstanding))).toBe(true);
        // Lines to due instalments all come before lines to future ones.
        const firstFuture = result.lines.findIndex((l) => futureNumbers.has(l.instalment));
        if (firstFuture >= 0) expect(result.lines.slice(firstFuture).every((l) => futureNumbers.has(l.instalment))).toBe(true);
        if (request.rule.future === 'holdAsAdvance') expect(result.lines.some((l) => futureNumbers.has(l.instalment))).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('follows the strategy among due instalments', () => {
    fc.assert(
      fc.property(scenario(ALL_FUTURES), (request) => {
        const result = allocateRepayment(request);
        const { order, strategy } = request.rule;
        const due = dueOrder(result).filter((i) => i.dueDate <= request.payment.valueDate);
        due.forEach((instalment, position) => {
          for (const component of order) {
            const paid = result.lines.some((l) => l.instalment === instalment.number && l.component === component);
            if (!paid) continue;
            const earlierComponents = order.slice(0, order.indexOf(component));
            if (strategy === 'dueDateFirst') {
              expect(due.slice(0, position).every((i) => zero(i.outstanding))).toBe(true);
              expect(zero(instalment.outstanding, earlierComponents)).toBe(true);
            } else {
              expect(due.every((i) => zero(i.outstanding, earlierComponents))).toBe(true);
              expect(due.slice(0, position).every((i) => i.outstanding[component].isZero())).toBe(true);
            }
          }
        });
      }),
      { numRuns: 400 },
    );
  });

  it('keeps money back only when nothing it could pay is left', () => {
    fc.assert(
      fc.property(scenario(ALL_FUTURES), (request) => {
        const result = allocateRepayment(request);
        const { futureOrder, future } = request.rule;
        const futureAfter = result.instalments.filter((i) => i.dueDate > request.payment.valueDate);
        if (future !== 'holdAsAdvance') {
          expect(result.advance.isZero()).toBe(true);
          if (result.excess.gt(0)) expect(futureAfter.every((i) => zero(i.outstanding, futureOrder))).toBe(true);
        } else {
          const owedAhead = futureAfter.reduce((a, i) => futureOrder.reduce((b, c) => b.plus(i.outstanding[c]), a), new Decimal(0));
          expect(result.advance.lte(owedAhead)).toBe(true);
          if (result.excess.gt(0)) expect(result.advance.eq(owedAhead)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('reduceEveryInstalment: each future instalment gets its pro rata share within one minor unit', () => {
    fc.assert(
      fc.property(scenario(['reduceEveryInstalment']), (request) => {
        const result = allocateRepayment(request);
        const unit = new Decimal(10).pow(-minorUnits(request.currency));
        const valueDate = request.payment.valueDate;
        const future = request.instalments.filter((i) => i.dueDate > valueDate);
        let left = new Decimal(request.payment.amount);
        for (const l of result.lines) if (l.dueDate <= valueDate) left = left.minus(l.amount);
        // Component by component in futureOrder, each from what the earlier components left.
        for (const component of request.rule.futureOrder) {
          const owed = future.map((i) => new Decimal(i.outstanding[component]!));
          const total = owed.reduce((a, b) => a.plus(b), new Decimal(0));
          const spread = Decimal.min(left, total);
          for (const [k, instalment] of future.entries()) {
            const got = result.lines.filter((l) => l.instalment === instalment.number && l.component === component).reduce((a, l) => a.plus(l.amount), new Decimal(0));
            const exact = total.isZero() ? new Decimal(0) : spread.times(owed[k]!).div(total);
            expect(got.minus(exact).abs().lt(unit)).toBe(true);
          }
          left = left.minus(spread);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('paying a then b on the same date equals paying a + b, for the rules that fill slots in turn', () => {
    fc.assert(
      fc.property(scenario(['payNextInstalments', 'reduceLastInstalments']), fc.integer({ min: 1, max: 300_000 }), (request, secondMinor) => {
        const scale = new Decimal(10).pow(minorUnits(request.currency));
        const second = new Decimal(secondMinor).div(scale);
        const first = allocateRepayment(request);
        const then = allocateRepayment({ ...request, instalments: first.instalments, payment: { ...request.payment, amount: second } });
        const once = allocateRepayment({ ...request, payment: { ...request.payment, amount: new Decimal(request.payment.amount).plus(second) } });
        expect(then.instalments.map((i) => COMPONENTS.map((c) => i.outstanding[c].toString()))).toEqual(once.instalments.map((i) => COMPONENTS.map((c) => i.outstanding[c].toString())));
        expect(first.excess.plus(then.excess).eq(once.excess)).toBe(true);
        for (const c of COMPONENTS) expect(first.totals[c].plus(then.totals[c]).eq(once.totals[c])).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
