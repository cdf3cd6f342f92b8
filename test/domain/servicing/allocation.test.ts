// Allocation of a repayment: tables of exact cases, every amount to the minor unit.
//
// The first case is the published example behind Fineract's "RBI (India)" strategy, cited next to it. The rest are
// computed by hand on one small loan, the arithmetic written beside each case:
//
//   #  due date     penalty  fee  interest  principal  total
//   1  2026-01-15      5.00  2.00    10.00     100.00  117.00
//   2  2026-02-15      0.00  2.00     8.00     102.00  112.00
//   3  2026-03-15      0.00  2.00     6.00     104.00  112.00
//   4  2026-04-15      0.00  2.00     4.00     106.00  112.00
//
// Paid on 2026-02-20, #1 is overdue and #2 overdue (229.00 due); #3 and #4 are future (224.00, principal 210.00).
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal, minorUnits } from '../../../src/domain/money.js';
import {
  allocateRepayment,
  DUE_PENALTY_FEE_INTEREST_PRINCIPAL_IN_ADVANCE_PRINCIPAL_PENALTY_FEE_INTEREST,
  DUE_PENALTY_INTEREST_PRINCIPAL_FEE_IN_ADVANCE_PENALTY_INTEREST_PRINCIPAL_FEE,
  INTEREST_PRINCIPAL_PENALTIES_FEES,
  OVERDUE_INTEREST_BEFORE_PRINCIPAL_RBI,
  PENALTIES_FEES_INTEREST_PRINCIPAL,
  PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE,
  PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_INSTALMENT,
  PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_TENOR,
  PRINCIPAL_INTEREST_PENALTIES_FEES,
  proRata,
  type Allocation,
  type AllocationRule,
  type Component,
} from '../../../src/domain/servicing/allocation.js';

/** [number, due date, penalty, fee, interest, principal]. */
type Owing = [number, string, string, string, string, string];
/** [instalment, component, amount]. */
type Line = [number, Component, string];

const LOAN: Owing[] = [
  [1, '2026-01-15', '5.00', '2.00', '10.00', '100.00'],
  [2, '2026-02-15', '0.00', '2.00', '8.00', '102.00'],
  [3, '2026-03-15', '0.00', '2.00', '6.00', '104.00'],
  [4, '2026-04-15', '0.00', '2.00', '4.00', '106.00'],
];

function allocate(rule: AllocationRule, amount: string, valueDate: string, owing: Owing[] = LOAN, currency = 'USD'): Allocation {
  return allocateRepayment({
    currency,
    rule,
    payment: { amount, valueDate },
    instalments: owing.map(([number, dueDate, penalty, fee, interest, principal]) => ({ number, dueDate, outstanding: { penalty, fee, interest, principal } })),
  });
}

function lines(result: Allocation): Line[] {
  const places = minorUnits(result.currency);
  return result.lines.map((l) => [l.instalment, l.component, l.amount.toFixed(places)]);
}

function held(result: Allocation): { allocated: string; advance: string; excess: string } {
  const places = minorUnits(result.currency);
  return { allocated: result.allocated.toFixed(places), advance: result.advance.toFixed(places), excess: result.excess.toFixed(places) };
}

function owingAfter(result: Allocation): Owing[] {
  const places = minorUnits(result.currency);
  return result.instalments.map((i) => [i.number, i.dueDate, ...(['penalty', 'fee', 'interest', 'principal'] as const).map((c) => i.outstanding[c].toFixed(places))] as Owing);
}

function invalidField(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidField);
    return (error as InvalidField).field;
  }
  throw new Error('expected InvalidField');
}

describe('published example', () => {
  it('RBI (India): all due interest before any principal, 40 against two instalments of 200 + 20 (MIFOS-5636)', () => {
    // Source: Apache Fineract, RBILoanRepaymentScheduleTransactionProcessor (strategy "rbi-india-strategy"), quoting
    // https://mifosforge.jira.com/browse/MIFOS-5636: "Per RBI regulations, all interest must be paid (both current
    // and overdue) before principal is paid. For example on a loan with two installments due (one current and one
    // overdue) of 220 each (200 principal + 20 interest): Partial Payment of 40 — 20 Payment to interest on
    // Installment #1 (200 principal remaining), 20 Payment to interest on Installment #2 (200 principal remaining)".
    // https://github.com/apache/fineract/blob/develop/fineract-loan/src/main/java/org/apache/fineract/portfolio/loanaccount/domain/transactionprocessor/impl/RBILoanRepaymentScheduleTransactionProcessor.java
    const owing: Owing[] = [
      [1, '2026-01-01', '0', '0', '20', '200'],
      [2, '2026-02-01', '0', '0', '20', '200'],
    ];
    const rbi = allocate(OVERDUE_INTEREST_BEFORE_PRINCIPAL_RBI, '40', '2026-02-01', owing);
    expect(lines(rbi)).toEqual([
      [1, 'interest', '20.00'],
      [2, 'interest', '20.00'],
    ]);
    expect(owingAfter(rbi).map((o) => o[5])).toEqual(['200.00', '200.00']);
    // The same payment under the usual instalment-by-instalment order pays #1 in full first.
    expect(lines(allocate(PENALTIES_FEES_INTEREST_PRINCIPAL, '40', '2026-02-01', owing))).toEqual([
      [1, 'interest', '20.00'],
      [1, 'principal', '20.00'],
    ]);
  });
});

describe('due instalments', () => {
  it('due-date first, penalties, fees, interest, principal: a partial payment of 120.00', () => {
    // #1: 5 + 2 + 10 + 100 = 117.00; 3.00 left: #2 fee 2.00, then #2 interest 1.00.
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL, '120.00', '2026-02-20');
    expect(lines(result)).toEqual([
      [1, 'penalty', '5.00'],
      [1, 'fee', '2.00'],
      [1, 'interest', '10.00'],
      [1, 'principal', '100.00'],
      [2, 'fee', '2.00'],
      [2, 'interest', '1.00'],
    ]);
    expect(held(result)).toEqual({ allocated: '120.00', advance: '0.00', excess: '0.00' });
    expect(owingAfter(result)[1]).toEqual([2, '2026-02-15', '0.00', '0.00', '7.00', '102.00']);
  });

  it('component first, penalties, fees, interest, principal: a partial payment of 120.00', () => {
    // Penalty 5.00; fees 2.00 + 2.00; interest 10.00 + 8.00 (27.00 so far); principal of #1 gets 120 − 27 = 93.00.
    const rule: AllocationRule = { ...PENALTIES_FEES_INTEREST_PRINCIPAL, strategy: 'componentFirst' };
    const result = allocate(rule, '120.00', '2026-02-20');
    expect(lines(result)).toEqual([
      [1, 'penalty', '5.00'],
      [1, 'fee', '2.00'],
      [2, 'fee', '2.00'],
      [1, 'interest', '10.00'],
      [2, 'interest', '8.00'],
      [1, 'principal', '93.00'],
    ]);
    expect(result.totals.principal.toFixed(2)).toBe('93.00');
    expect(owingAfter(result).slice(0, 2)).toEqual([
      [1, '2026-01-15', '0.00', '0.00', '0.00', '7.00'],
      [2, '2026-02-15', '0.00', '0.00', '0.00', '102.00'],
    ]);
  });

  it('due-date first, interest, principal, penalties, fees: a partial payment of 120.00', () => {
    // #1: interest 10 + principal 100 + penalty 5 + fee 2 = 117.00; 3.00 left to #2's interest.
    const result = allocate(INTEREST_PRINCIPAL_PENALTIES_FEES, '120.00', '2026-02-20');
    expect(lines(result)).toEqual([
      [1, 'interest', '10.00'],
      [1, 'principal', '100.00'],
      [1, 'penalty', '5.00'],
      [1, 'fee', '2.00'],
      [2, 'interest', '3.00'],
    ]);
  });

  it('component first, interest, principal, penalties, fees: penalties wait for all due principal', () => {
    // Interest 10 + 8 = 18; principal 100 + 102 = 202 (220 so far); 5.00 left: penalty of #1. Fees stay owed.
    const rule: AllocationRule = { ...INTEREST_PRINCIPAL_PENALTIES_FEES, strategy: 'componentFirst' };
    const result = allocate(rule, '225.00', '2026-02-20');
    expect(lines(result)).toEqual([
      [1, 'interest', '10.00'],
      [2, 'interest', '8.00'],
      [1, 'principal', '100.00'],
      [2, 'principal', '102.00'],
      [1, 'penalty', '5.00'],
    ]);
    expect(owingAfter(result).slice(0, 2).map((o) => o[3])).toEqual(['2.00', '2.00']);
  });

  it('principal, interest, penalties, fees', () => {
    // #1: principal 100, interest 10, penalty 5, fee 2 = 117; #2 principal 3.00.
    expect(lines(allocate(PRINCIPAL_INTEREST_PENALTIES_FEES, '120.00', '2026-02-20'))).toEqual([
      [1, 'principal', '100.00'],
      [1, 'interest', '10.00'],
      [1, 'penalty', '5.00'],
      [1, 'fee', '2.00'],
      [2, 'principal', '3.00'],
    ]);
  });

  it('a payment exactly equal to everything due leaves future instalments untouched and nothing held', () => {
    // 117.00 + 112.00 = 229.00.
    for (const rule of [PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_TENOR, PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE, PENALTIES_FEES_INTEREST_PRINCIPAL]) {
      const result = allocate(rule, '229.00', '2026-02-20');
      expect(held(result)).toEqual({ allocated: '229.00', advance: '0.00', excess: '0.00' });
      expect(result.lines.every((l) => l.instalment <= 2)).toBe(true);
      expect(owingAfter(result)).toEqual([
        [1, '2026-01-15', '0.00', '0.00', '0.00', '0.00'],
        [2, '2026-02-15', '0.00', '0.00', '0.00', '0.00'],
        LOAN[2],
        LOAN[3],
      ]);
      expect(result.held).toEqual({});
    }
  });

  it('an instalment due on the value date counts as due', () => {
    // Paid on #2's due date 2026-02-15: #1 (117.00) then #2's fee 2.00 and interest 1.00.
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL, '120.00', '2026-02-15');
    expect(lines(result).at(-1)).toEqual([2, 'interest', '1.00']);
    expect(result.lines.at(-1)!.reason).toBe('due today (2026-02-15); oldest due instalment first, interest after penalty and fee per rule order (penalty, fee, interest, principal)');
  });

  it('lines explain themselves', () => {
    const dueDateFirst = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL, '120.00', '2026-02-20');
    expect(dueDateFirst.lines[0]!.reason).toBe('overdue since 2026-01-15; oldest due instalment first, penalty first per rule order (penalty, fee, interest, principal)');
    expect(dueDateFirst.lines[3]!.reason).toBe('overdue since 2026-01-15; oldest due instalment first, principal after penalty, fee and interest per rule order (penalty, fee, interest, principal)');
    // 25.00: penalty 5.00, fees 2.00 + 2.00, interest 10.00 of #1, then 6.00 of #2's interest.
    const rbi = allocate(OVERDUE_INTEREST_BEFORE_PRINCIPAL_RBI, '25.00', '2026-02-20');
    expect(lines(rbi).at(-1)).toEqual([2, 'interest', '6.00']);
    expect(rbi.lines.at(-1)!.reason).toBe('overdue since 2026-02-15; interest of every due instalment, oldest first, after all due penalty and fee, per rule order (penalty, fee, interest, principal)');
    expect(rbi.lines[0]!.reason).toBe('overdue since 2026-01-15; penalty of every due instalment, oldest first, before anything else, per rule order (penalty, fee, interest, principal)');
  });

  it('instalments may be listed in any order; they are settled by due date and returned as listed', () => {
    const shuffled = [LOAN[3]!, LOAN[1]!, LOAN[0]!, LOAN[2]!];
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL, '120.00', '2026-02-20', shuffled);
    expect(lines(result)).toEqual(lines(allocate(PENALTIES_FEES_INTEREST_PRINCIPAL, '120.00', '2026-02-20')));
    expect(result.instalments.map((i) => i.number)).toEqual([4, 2, 1, 3]);
  });
});

describe('money left after everything due', () => {
  it('reduce the last instalments: 300.00 takes 71.00 off the principal of #4', () => {
    // 300.00 − 229.00 due = 71.00, all to #4's principal (106.00 → 35.00).
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_TENOR, '300.00', '2026-02-20');
    expect(lines(result).slice(-1)).toEqual([[4, 'principal', '71.00']]);
    expect(result.lines.at(-1)!.reason).toBe('not due until 2026-04-15; everything due is paid, so the prepayment reduces the last instalments first and shortens the tenor (principal)');
    expect(held(result)).toEqual({ allocated: '300.00', advance: '0.00', excess: '0.00' });
  });

  it('reduce the last instalments: 400.00 clears #4 and then reduces #3', () => {
    // 400.00 − 229.00 = 171.00: #4 principal 106.00, then #3 principal 65.00 (104.00 → 39.00).
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_TENOR, '400.00', '2026-02-20');
    expect(lines(result).slice(-2)).toEqual([
      [4, 'principal', '106.00'],
      [3, 'principal', '65.00'],
    ]);
    expect(owingAfter(result).slice(2)).toEqual([
      [3, '2026-03-15', '0.00', '2.00', '6.00', '39.00'],
      [4, '2026-04-15', '0.00', '2.00', '4.00', '0.00'],
    ]);
  });

  it('reduce the last instalments: beyond all principal the rest is excess (future interest and fees are not yet earned)', () => {
    // 500.00 − 229.00 = 271.00; future principal 106.00 + 104.00 = 210.00; excess 61.00.
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_TENOR, '500.00', '2026-02-20');
    expect(held(result)).toEqual({ allocated: '439.00', advance: '0.00', excess: '61.00' });
    expect(result.held.excess).toBe('more than everything due and the principal of future instalments; held as excess, refundable');
  });

  it('reduce every instalment: 71.00 spread pro rata to principal, the leftover cent by largest remainder', () => {
    // 7100 cents × 10400 / 21000 = 3516.19… → 3516 (remainder 4000/21000);
    // 7100 cents × 10600 / 21000 = 3583.80… → 3583 (remainder 17000/21000); 7100 − 7099 = 1 cent left → #4.
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_INSTALMENT, '300.00', '2026-02-20');
    expect(lines(result).slice(-2)).toEqual([
      [3, 'principal', '35.16'],
      [4, 'principal', '35.84'],
    ]);
    expect(result.lines.at(-1)!.reason).toBe('not due until 2026-04-15; everything due is paid, so the prepayment is spread over every future instalment pro rata to its principal and keeps the tenor');
    expect(held(result).excess).toBe('0.00');
  });

  it('hold as advance: nothing reaches future instalments; beyond what they owe it is excess', () => {
    // 300.00 − 229.00 = 71.00 advance. 700.00 − 229.00 = 471.00: advance capped at 224.00 owed ahead, excess 247.00.
    const some = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE, '300.00', '2026-02-20');
    expect(held(some)).toEqual({ allocated: '229.00', advance: '71.00', excess: '0.00' });
    expect(some.lines.every((l) => l.instalment <= 2)).toBe(true);
    expect(some.held.advance).toBe('instalments from 2026-03-15 are not yet due; held as an advance for their due dates, per rule');
    const more = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE, '700.00', '2026-02-20');
    expect(held(more)).toEqual({ allocated: '229.00', advance: '224.00', excess: '247.00' });
    expect(more.held.excess).toBe('more than everything the loan owes; held as excess, refundable');
  });

  it('pay the next instalments (Fineract standard): overpayment beyond payoff is excess', () => {
    // Everything owed: 117 + 112 + 112 + 112 = 453.00; 460.00 leaves 7.00 excess.
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL, '460.00', '2026-02-20');
    expect(held(result)).toEqual({ allocated: '453.00', advance: '0.00', excess: '7.00' });
    expect(owingAfter(result).every((o) => o.slice(2).every((a) => a === '0.00'))).toBe(true);
    // After the seven due lines (#1: 4, #2 owes no penalty: 3), #3 and #4 are paid in advance in the same order.
    expect(lines(result).slice(7)).toEqual([
      [3, 'fee', '2.00'],
      [3, 'interest', '6.00'],
      [3, 'principal', '104.00'],
      [4, 'fee', '2.00'],
      [4, 'interest', '4.00'],
      [4, 'principal', '106.00'],
    ]);
  });

  it('Fineract "due penalty, fee, interest, principal; in advance principal, penalty, fee, interest"', () => {
    // Paid 250.00 on 2026-02-15: due 229.00; 21.00 in advance goes to #3's principal first.
    // The standard order would take #3's fee 2.00 and interest 6.00 first, leaving 13.00 for its principal.
    const inAdvance = allocate(DUE_PENALTY_FEE_INTEREST_PRINCIPAL_IN_ADVANCE_PRINCIPAL_PENALTY_FEE_INTEREST, '250.00', '2026-02-15');
    expect(lines(inAdvance).slice(-1)).toEqual([[3, 'principal', '21.00']]);
    expect(lines(allocate(PENALTIES_FEES_INTEREST_PRINCIPAL, '250.00', '2026-02-15')).slice(-3)).toEqual([
      [3, 'fee', '2.00'],
      [3, 'interest', '6.00'],
      [3, 'principal', '13.00'],
    ]);
  });

  it('Fineract "due penalty, interest, principal, fee; in advance penalty, interest, principal, fee"', () => {
    // #1: penalty 5, interest 10, principal 100, fee 2 = 117.00; #2: interest 8.00, principal 2.00 of 127.00.
    expect(lines(allocate(DUE_PENALTY_INTEREST_PRINCIPAL_FEE_IN_ADVANCE_PENALTY_INTEREST_PRINCIPAL_FEE, '127.00', '2026-02-20'))).toEqual([
      [1, 'penalty', '5.00'],
      [1, 'interest', '10.00'],
      [1, 'principal', '100.00'],
      [1, 'fee', '2.00'],
      [2, 'interest', '8.00'],
      [2, 'principal', '2.00'],
    ]);
  });
});

describe('a payment before anything is due', () => {
  it('reduce the last instalments: 50.00 on 2026-01-10 goes to #4 principal', () => {
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_TENOR, '50.00', '2026-01-10');
    expect(lines(result)).toEqual([[4, 'principal', '50.00']]);
  });

  it('in advance principal first: 150.00 pays #1 then 33.00 of #2 principal', () => {
    // #1: principal 100, penalty 5, fee 2, interest 10 = 117.00; 33.00 to #2 principal.
    const result = allocate(DUE_PENALTY_FEE_INTEREST_PRINCIPAL_IN_ADVANCE_PRINCIPAL_PENALTY_FEE_INTEREST, '150.00', '2026-01-10');
    expect(lines(result)).toEqual([
      [1, 'principal', '100.00'],
      [1, 'penalty', '5.00'],
      [1, 'fee', '2.00'],
      [1, 'interest', '10.00'],
      [2, 'principal', '33.00'],
    ]);
    expect(result.lines[0]!.reason).toBe('not due until 2026-01-15; everything due is paid, so the next instalment is paid in advance, principal first (in-advance order principal, penalty, fee, interest)');
  });

  it('hold as advance: all of it is held', () => {
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE, '50.00', '2026-01-10');
    expect(result.lines).toEqual([]);
    expect(held(result)).toEqual({ allocated: '0.00', advance: '50.00', excess: '0.00' });
  });

  it('a loan with nothing owed: everything is excess', () => {
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL, '10.00', '2026-01-10', []);
    expect(held(result)).toEqual({ allocated: '0.00', advance: '0.00', excess: '10.00' });
  });
});

describe('rounding to the currency', () => {
  it('yen (0 minor units): reduce every instalment, the leftover yen to the largest remainder', () => {
    // 1000 × 10000 / 30000 = 333.33 → 333 (rem 10000); 1000 × 10001 / 30000 = 333.37 → 333 (rem 11000);
    // 1000 × 9999 / 30000 = 333.30 → 333 (rem 9000). 1 yen left → #2.
    const owing: Owing[] = [
      [1, '2026-03-01', '0', '0', '500', '10000'],
      [2, '2026-04-01', '0', '0', '400', '10001'],
      [3, '2026-05-01', '0', '0', '300', '9999'],
    ];
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_INSTALMENT, '1000', '2026-02-01', owing, 'JPY');
    expect(lines(result)).toEqual([
      [1, 'principal', '333'],
      [2, 'principal', '334'],
      [3, 'principal', '333'],
    ]);
  });

  it('yen: equal remainders go to the earliest instalment', () => {
    // 100 / 3 = 33.33 each, remainders equal: the earliest takes the leftover yen.
    const owing: Owing[] = [
      [1, '2026-03-01', '0', '0', '0', '100'],
      [2, '2026-04-01', '0', '0', '0', '100'],
      [3, '2026-05-01', '0', '0', '0', '100'],
    ];
    const result = allocate(PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_INSTALMENT, '100', '2026-02-01', owing, 'JPY');
    expect(lines(result).map((l) => l[2])).toEqual(['34', '33', '33']);
  });

  it('yen: a fractional yen is refused', () => {
    expect(invalidField(() => allocate(PENALTIES_FEES_INTEREST_PRINCIPAL, '10.5', '2026-02-01', [], 'JPY'))).toBe('payment.amount');
  });

  it('Kuwaiti dinar (3 minor units): component first, then reduce every instalment to the fils', () => {
    // Due #1 owes interest 1.250 and principal 5.000; 1.350 pays the interest and 0.100 of principal.
    // With #1 paid, 10.000 covers the future principal 1.000 + 2.000 and leaves 7.000 excess; 0.010 is spread.
    const owing: Owing[] = [
      [1, '2026-01-31', '0', '0', '1.250', '5.000'],
      [2, '2026-02-28', '0', '0', '0', '1.000'],
      [3, '2026-03-31', '0', '0', '0', '2.000'],
    ];
    const rule: AllocationRule = { ...PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_INSTALMENT, strategy: 'componentFirst' };
    const first = allocate(rule, '1.350', '2026-02-01', owing, 'KWD');
    expect(lines(first)).toEqual([
      [1, 'interest', '1.250'],
      [1, 'principal', '0.100'],
    ]);
    const paidOff: Owing[] = [[1, '2026-01-31', '0', '0', '0', '0'], owing[1]!, owing[2]!];
    const second = allocate(rule, '10.000', '2026-02-01', paidOff, 'KWD');
    expect(lines(second)).toEqual([
      [2, 'principal', '1.000'],
      [3, 'principal', '2.000'],
    ]);
    expect(held(second).excess).toBe('7.000');
    const partial = allocate(rule, '0.010', '2026-02-01', paidOff, 'KWD');
    // 10 × 1000/3000 = 3.33 → 3 (rem 1000); 10 × 2000/3000 = 6.67 → 6 (rem 2000) → 7.
    expect(lines(partial)).toEqual([
      [2, 'principal', '0.003'],
      [3, 'principal', '0.007'],
    ]);
  });

  it('pro rata shares never exceed what is owed and sum to the money', () => {
    expect(proRata(7100n, [10400n, 10600n])).toEqual([3516n, 3584n]);
    expect(proRata(5n, [0n, 3n, 0n, 2n])).toEqual([0n, 3n, 0n, 2n]);
    expect(proRata(9n, [0n, 3n, 0n, 2n])).toEqual([0n, 3n, 0n, 2n]);
    expect(proRata(1n, [0n, 0n])).toEqual([0n, 0n]);
  });
});

describe('bad input names the field', () => {
  const rule = PENALTIES_FEES_INTEREST_PRINCIPAL;
  it.each<[string, () => unknown, string]>([
    ['negative payment', () => allocate(rule, '-1.00', '2026-02-20'), 'payment.amount'],
    ['zero payment', () => allocate(rule, '0', '2026-02-20'), 'payment.amount'],
    ['payment below the minor unit', () => allocate(rule, '1.001', '2026-02-20'), 'payment.amount'],
    ['not an amount', () => allocate(rule, 'ten', '2026-02-20'), 'payment.amount'],
    ['value date', () => allocate(rule, '1.00', '2026-02-30'), 'payment.valueDate'],
    ['unknown component', () => allocate({ ...rule, order: ['penalty', 'fee', 'interest', 'tax' as Component] }, '1.00', '2026-02-20'), 'rule.order'],
    ['duplicate component', () => allocate({ ...rule, order: ['penalty', 'fee', 'interest', 'interest'] }, '1.00', '2026-02-20'), 'rule.order'],
    ['missing component', () => allocate({ ...rule, order: ['penalty', 'fee', 'interest'] }, '1.00', '2026-02-20'), 'rule.order'],
    ['duplicate future component', () => allocate({ ...rule, futureOrder: ['principal', 'principal'] }, '1.00', '2026-02-20'), 'rule.futureOrder'],
    ['empty future order', () => allocate({ ...rule, futureOrder: [] }, '1.00', '2026-02-20'), 'rule.futureOrder'],
    ['strategy', () => allocate({ ...rule, strategy: 'oldestFirst' as never }, '1.00', '2026-02-20'), 'rule.strategy'],
    ['future', () => allocate({ ...rule, future: 'refund' as never }, '1.00', '2026-02-20'), 'rule.future'],
    ['currency', () => allocate(rule, '1.00', '2026-02-20', LOAN, 'XYZ'), 'currency'],
    ['negative outstanding', () => allocate(rule, '1.00', '2026-02-20', [[1, '2026-01-15', '0', '0', '-1.00', '0']]), 'instalments[0].outstanding.interest'],
    ['duplicate instalment', () => allocate(rule, '1.00', '2026-02-20', [LOAN[0]!, LOAN[0]!]), 'instalments[1].number'],
    ['due date', () => allocate(rule, '1.00', '2026-02-20', [[1, '15/01/2026', '0', '0', '0', '0']]), 'instalments[0].dueDate'],
  ])('%s', (_name, run, field) => {
    expect(invalidField(run)).toBe(field);
  });
});

describe('amounts the payment never reaches', () => {
  const rule = PENALTIES_FEES_INTEREST_PRINCIPAL;
  // The replay hands Decimal amounts, converted to minor units only when the payment reaches them: every one is
  // still checked first, and the instalments not reached are answered as they were given.
  const instalments = (later: Decimal) => [
    { number: 1, dueDate: '2026-01-15', outstanding: { interest: new Decimal('12.50'), principal: new Decimal('100') } },
    { number: 2, dueDate: '2026-02-15', outstanding: { interest: new Decimal('11.75'), principal: new Decimal('100') } },
    { number: 3, dueDate: '2026-03-15', outstanding: { interest: new Decimal('10'), principal: later } },
  ];
  const pay = (later: Decimal, currency = 'USD') => allocateRepayment({ currency, rule, payment: { amount: new Decimal('5.00'), valueDate: '2026-01-20' }, instalments: instalments(later) });

  it('refuses an amount of an instalment the payment does not reach, naming it', () => {
    expect(invalidField(() => pay(new Decimal('-1')))).toBe('instalments[2].outstanding.principal');
    expect(invalidField(() => pay(new Decimal('99.999')))).toBe('instalments[2].outstanding.principal');
    expect(invalidField(() => pay(new Decimal(Number.NaN)))).toBe('instalments[2].outstanding.principal');
    expect(invalidField(() => pay(new Decimal('0.5'), 'JPY'))).toBe('instalments[0].outstanding.interest');
  });

  it('answers what every instalment still owes, reached or not', () => {
    const allocation = pay(new Decimal('100.00'));
    expect(allocation.lines.map((l) => [l.instalment, l.component, l.amount.toFixed(2)])).toEqual([[1, 'interest', '5.00']]);
    expect(allocation.instalments.map((i) => [i.number, i.outstanding.interest.toFixed(2), i.outstanding.principal.toFixed(2), i.outstanding.fee.toFixed(2)])).toEqual([
      [1, '7.50', '100.00', '0.00'], [2, '11.75', '100.00', '0.00'], [3, '10.00', '100.00', '0.00'],
    ]);
  });
});

describe('the same amounts allocated again', () => {
  const rule = PENALTIES_FEES_INTEREST_PRINCIPAL;
  // The replay hands the same Decimal objects to one allocation after another: what was found of an amount for one
  // currency must not stand for another, and what was refused stays refused.
  it('checks an amount found whole in cents again in a currency without minor units', () => {
    const owed = new Decimal('10.50');
    const owing = (currency: string) => allocateRepayment({
      currency, rule, payment: { amount: '20', valueDate: '2026-02-20' },
      instalments: [{ number: 1, dueDate: '2026-01-15', outstanding: { principal: owed } }],
    });
    expect(owing('USD').lines.map((l) => l.amount.toFixed(2))).toEqual(['10.50']);
    expect(owing('USD').lines.map((l) => l.amount.toFixed(2))).toEqual(['10.50']);
    expect(invalidField(() => owing('JPY'))).toBe('instalments[0].outstanding.principal');
    expect(owing('USD').excess.toFixed(2)).toBe('9.50');
  });

  it('reads an amount in minor units however it is written: fewer places than the currency, none, or beyond 10^21', () => {
    const cases: [string, string, string, string][] = [
      // currency, what is owed, the payment, what the line pays (at the currency's places)
      ['USD', '10.5', '20', '10.50'],
      ['USD', '7', '7.25', '7.00'],
      ['KWD', '3.25', '3.3', '3.250'],
      ['JPY', '1200', '1500', '1200'],
      ['USD', '1234567890123456789012.34', '1234567890123456789012.34', '1234567890123456789012.34'],
      ['JPY', '5000000000000000000000000', '5000000000000000000000001', '5000000000000000000000000'],
    ];
    for (const [currency, owed, paid, line] of cases) {
      const places = line.includes('.') ? line.split('.')[1]!.length : 0;
      for (let k = 0; k < 2; k += 1) {
        const allocation = allocateRepayment({
          currency, rule, payment: { amount: new Decimal(paid), valueDate: '2026-02-20' },
          instalments: [{ number: 1, dueDate: '2026-01-15', outstanding: { principal: new Decimal(owed) } }],
        });
        expect(allocation.lines.map((l) => l.amount.toFixed(places)), `${currency} ${owed}`).toEqual([line]);
        expect(allocation.excess.eq(new Decimal(paid).minus(owed)), `${currency} ${owed}`).toBe(true);
      }
    }
  });

  it('refuses an impossible due date every time it is given', () => {
    for (let k = 0; k < 2; k += 1) {
      expect(invalidField(() => allocate(rule, '1.00', '2026-02-20', [[1, '2026-02-30', '0', '0', '1.00', '0']]))).toBe('instalments[0].dueDate');
    }
  });
});
