// Underpayment tolerance and charges by rule (late fee, penalty interest, fees on dates): exact cases on loan A.
//
// Loan A: USD 1,200 at 12 % a year, 3 monthly instalments from 2026-02-01, fee 5.00 each, Actual/365.
//   #1 2026-02-01  fee 5  interest 12.00  principal 396.03  total 413.03
//   #2 2026-03-01  fee 5  interest  8.04  principal 399.99  total 413.03
//   #3 2026-04-01  fee 5  interest  4.04  principal 403.98  total 413.02
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/domain/money.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../../src/domain/servicing/allocation.js';
import { isLate, lateFeeAmount, lateFeeDate, penaltyInterest } from '../../../src/domain/servicing/chargeRules.js';
import { loanReceivables } from '../../../src/domain/servicing/ledger.js';
import { effectiveTransactions, replayLoan, type LoanAccount, type LoanAccountState, type LoanTransaction } from '../../../src/domain/servicing/loanAccount.js';
import { loanTerms, type LoanTermsInput } from '../../../src/domain/servicing/product.js';
import { expectSameAccount } from '../../support/sameAccount.js';

const loan = (extra: Partial<LoanTermsInput> = {}): LoanAccount => ({
  id: 'loan-1',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3, fees: { perInstalment: '5' }, ...extra }),
  rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
  principal: '1200',
  disbursementDate: '2026-01-01',
  firstRepaymentDate: '2026-02-01',
});
const pay = (id: string, valueDate: string, amount: string): LoanTransaction => ({ kind: 'repayment', id, valueDate, amount });
const explained = (state: LoanAccountState) => state.ruleCharges.map((c) => [c.rule, c.valueDate, c.instalment, c.component, c.amount.toFixed(2)]);

function reconciles(state: LoanAccountState): void {
  const ledger = loanReceivables(state.journals, state.loanId, state.asOf);
  for (const c of ['principal', 'interest', 'fee', 'penalty'] as const) expect(ledger[c].toFixed(2)).toBe(state.totals.receivable[c].toFixed(2));
  expect(ledger.excess.toFixed(2)).toBe(state.held.advance.plus(state.held.excess).toFixed(2));
}

describe('underpayment tolerance', () => {
  // 412.50 on 2026-02-01 leaves 0.53 of #1's principal unpaid.
  const short = [pay('p1', '2026-02-01', '412.50')];

  it('without one, 0.53 unpaid makes the loan overdue', () => {
    const state = replayLoan(loan(), short, '2026-02-15');
    expect(state.status).toBe('overdue');
    expect(state.daysPastDue).toBe(14);
  });

  it('at or below it, the instalment is not late but still owed, and the next money collects it', () => {
    const state = replayLoan(loan({ underpaymentTolerance: '0.53' }), short, '2026-02-15');
    expect(state.status).toBe('active');
    expect(state.daysPastDue).toBe(0);
    expect(state.instalments[0]!.outstanding.principal.toFixed(2)).toBe('0.53');
    expect(state.totals.due.principal.toFixed(2)).toBe('0.53');
    // 413.03 on 2026-03-01 pays the 0.53 first, then 412.50 of #2: again 0.53 short, again within tolerance.
    const later = replayLoan(loan({ underpaymentTolerance: '0.53' }), [...short, pay('p2', '2026-03-01', '413.03')], '2026-03-10');
    expect(later.instalments.map((i) => i.outstanding.principal.toFixed(2))).toEqual(['0.00', '0.53', '403.98']);
    expect([later.status, later.daysPastDue]).toEqual(['active', 0]);
    reconciles(later);
  });

  it('above it, days past due count from the oldest instalment owing more than the tolerance', () => {
    const state = replayLoan(loan({ underpaymentTolerance: '0.50' }), short, '2026-02-15');
    expect([state.status, state.daysPastDue]).toEqual(['overdue', 14]);
  });
});

describe('charges by rule', () => {
  const charging = loan({
    lateFee: { kind: 'fixed', amount: '25', graceDays: 5 },
    penaltyRatePercent: '24',
    feesOnDates: [{ date: '2026-03-15', amount: '20', name: 'Annual maintenance fee' }],
  });

  it('unpaid: penalty interest from the due date, a late fee once the grace days are over', () => {
    // #1 unpaid from 2026-02-01. The late fee falls on 2026-02-07 (5 grace days, then the day after).
    // Penalty interest is recognised on each date something happens and on the as-of date:
    //   2026-02-01 → 02-07, 6 days: 396.03 × 24 % × 6 / 365 = 1.5624 → 1.56
    //   2026-02-07 → 02-10, 3 days: 396.03 × 24 % × 3 / 365 = 0.7812 → 0.78
    const state = replayLoan(charging, [], '2026-02-10');
    expect(explained(state)).toEqual([
      ['penaltyInterest', '2026-02-07', 1, 'penalty', '1.56'],
      ['lateFee', '2026-02-07', 1, 'penalty', '25.00'],
      ['penaltyInterest', '2026-02-10', 1, 'penalty', '0.78'],
    ]);
    expect(state.ruleCharges[0]!.reason).toBe('instalment 1 was due 2026-02-01: 24 % a year on overdue principal 396.03 from 2026-02-01 to 2026-02-07 (6 days, Actual/365 (Fixed))');
    expect(state.ruleCharges[1]!.reason).toBe('instalment 1 due 2026-02-01 still owed 414.59 USD (more than the tolerance of 0) 5 grace days after its due date: a fixed late fee of 25');
    expect(state.instalments[0]!.outstanding.penalty.toFixed(2)).toBe('27.34');
    expect(state.totals.receivable.penalty.toFixed(2)).toBe('27.34');
    reconciles(state);
  });

  it('paid within the grace days: penalty interest for the days late, no late fee (the rest is within tolerance)', () => {
    // 413.03 on 2026-02-06: 5 days of penalty interest first, 396.03 × 24 % × 5 / 365 = 1.3020 → 1.30, which the
    // rule pays first, so 1.30 of principal stays unpaid — within a tolerance of 2.00, so no late fee and no
    // further penalty interest. Then #2 goes unpaid: 6 days of penalty (1.58), late fee on 2026-03-07, 8 more
    // days to 2026-03-15 (399.99 × 24 % × 8 / 365 = 2.1040 → 2.10), the maintenance fee on 2026-03-15 (on #3,
    // the next instalment due), 5 days to 2026-03-20 (1.3150 → 1.32).
    const state = replayLoan({ ...charging, terms: { ...charging.terms, underpaymentTolerance: new Decimal('2') } }, [pay('p1', '2026-02-06', '413.03')], '2026-03-20');
    expect(explained(state)).toEqual([
      ['penaltyInterest', '2026-02-06', 1, 'penalty', '1.30'],
      ['penaltyInterest', '2026-03-07', 2, 'penalty', '1.58'],
      ['lateFee', '2026-03-07', 2, 'penalty', '25.00'],
      ['penaltyInterest', '2026-03-15', 2, 'penalty', '2.10'],
      ['feeOnDate', '2026-03-15', 3, 'fee', '20.00'],
      ['penaltyInterest', '2026-03-20', 2, 'penalty', '1.32'],
    ]);
    expect(state.ruleCharges[4]!.reason).toBe("Annual maintenance fee, due 2026-03-15 by the loan's terms; collected with instalment 3");
    expect(state.instalments.map((i) => i.outstanding.principal.toFixed(2))).toEqual(['1.30', '399.99', '403.98']);
    expect([state.status, state.daysPastDue]).toEqual(['overdue', 19]);
    reconciles(state);
  });

  it('a backdated payment replays the rule charges away', () => {
    const arrivedLate = [pay('p1', '2026-02-01', '413.03')];
    const state = replayLoan(charging, arrivedLate, '2026-02-10');
    expect(state.ruleCharges).toEqual([]);
    expect(state.status).toBe('active');
    // A reversal entered on 2026-02-20 brings them back, from the due date on.
    const reversed = replayLoan(charging, [...arrivedLate, { kind: 'reversal', id: 'x', reverses: 'p1', valueDate: '2026-02-20' }], '2026-02-20');
    expectSameAccount(reversed, replayLoan(charging, effectiveTransactions([], '2026-02-20'), '2026-02-20'));
    expect(explained(reversed).map((c) => c[0])).toEqual(['penaltyInterest', 'lateFee', 'penaltyInterest']);
  });

  it('a late fee by percentage of what is still owed', () => {
    // 2 % of 413.03 = 8.2606 → 8.26, the day after the due date (no grace days).
    const state = replayLoan(loan({ lateFee: { kind: 'percentOfOverdue', percent: '2' } }), [], '2026-02-02');
    expect(explained(state)).toEqual([['lateFee', '2026-02-02', 1, 'penalty', '8.26']]);
  });

  it('no fee on a date once the loan is paid off', () => {
    const state = replayLoan(charging, [pay('p1', '2026-02-01', '413.03'), { kind: 'payoff', id: 'po', valueDate: '2026-02-15', amount: '807.99' }], '2026-04-30');
    expect(state.ruleCharges).toEqual([]);
    expect(state.status).toBe('closed');
  });
});

describe('charges by rule end at the amount ceiling', () => {
  // 9 × 10^14 at 10 % over 3 months repays about 9.15 × 10^14, below 10^15, so it may be booked; unpaid, penalty
  // interest at 1,000 % a year (and a late fee of all that is overdue) would take what it owes past 10^15 within
  // weeks and past what an amount column holds (NUMERIC(20, 4), below 10^16) within a year.
  const large: LoanAccount = {
    ...loan({ fees: { perInstalment: '0' }, penaltyRatePercent: '1000', lateFee: { kind: 'percentOfOverdue', percent: '100', graceDays: 0 } }),
    principal: '900000000000000',
  };
  const owedInAll = (state: LoanAccountState) => state.instalments.reduce((total, i) => total.plus(i.outstanding.penalty).plus(i.outstanding.fee).plus(i.outstanding.interest).plus(i.outstanding.principal), new Decimal(0));

  it('penalty interest and late fees are cut to what keeps the loan owing less than 10^15, saying so', () => {
    const state = replayLoan(large, [], '2028-04-01');
    expect(owedInAll(state).toFixed(2)).toBe('999999999999999.99');
    const cut = state.ruleCharges.filter((c) => c.reason.endsWith('so that what the loan owes stays below 10^15'));
    expect(cut).toHaveLength(1);
    // Nothing is charged after it.
    expect(state.ruleCharges.at(-1)).toBe(cut[0]);
    expect(state.totals.receivable.penalty.lt('1e15')).toBe(true);
    reconciles(state);
  });

  it('and stay there as time passes', () => {
    const later = replayLoan(large, [], '2028-05-01');
    expect(owedInAll(later).toFixed(2)).toBe('999999999999999.99');
    expect(later.totals.receivable).toEqual(replayLoan(large, [], '2028-04-01').totals.receivable);
  });
});

describe('the rule calculators', () => {
  const terms = loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3, underpaymentTolerance: '1', penaltyRatePercent: '36', daysInYear: 360 });
  it('tolerance, late fee day, amounts', () => {
    expect([isLate(terms, new Decimal('1')), isLate(terms, new Decimal('1.01'))]).toEqual([false, true]);
    expect(lateFeeDate({ kind: 'fixed', amount: new Decimal(10), graceDays: 3 }, '2026-02-27')).toBe('2026-03-03');
    expect(lateFeeAmount(terms, { kind: 'percentOfOverdue', percent: new Decimal('1.5'), graceDays: 0 }, new Decimal('333.33')).amount.toFixed(2)).toBe('5.00'); // 4.99995
    // Actual/360: 1,000 × 36 % × 10 / 360 = 10.00.
    expect(penaltyInterest(terms, new Decimal('1000'), '2026-01-01', '2026-01-11').amount.toFixed(2)).toBe('10.00');
  });
});
