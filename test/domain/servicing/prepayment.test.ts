// Prepayments with rescheduling: exact cases, arithmetic written out.
//
// Loan A (as in loanAccount.test.ts): USD 1,200 at 12 % a year, 3 monthly instalments from 2026-02-01, fee 5.00 each.
//   #1 2026-02-01  interest 12.00  principal 396.03  left 803.97;  #2 2026-03-01  8.04 / 399.99;  #3 2026-04-01  4.04 / 403.98
// Loan B: USD 6,000 at 12 % a year (1 % a month), 6 monthly instalments from 2026-02-01, no fees.
//   PMT = 6000 × 0.01 / (1 − 1.01⁻⁶) = 60 / 0.0579548 = 1,035.2903 → 1,035.29
//   #1 2026-02-01  interest 60.00                  principal 975.29  left 5,024.71
//   #2 2026-03-01  interest 5,024.71 × 1 % = 50.25  principal 985.04  left 4,039.67
// In both, #1 is paid on its due date before the prepayment.
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal } from '../../../src/domain/money.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../../src/domain/servicing/allocation.js';
import { loanReceivables } from '../../../src/domain/servicing/ledger.js';
import { replayLoan, type LoanAccount, type LoanAccountState, type LoanTransaction } from '../../../src/domain/servicing/loanAccount.js';
import { earnedInterest, remainingSchedule } from '../../../src/domain/servicing/prepayment.js';
import { loanTerms, type LoanTermsInput, type PrepaymentReschedule } from '../../../src/domain/servicing/product.js';
import { expectSameAccount } from '../../support/sameAccount.js';

const loanA = (extra: Partial<LoanTermsInput> = {}): LoanAccount => ({
  id: 'loan-a',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3, fees: { perInstalment: '5' }, ...extra }),
  rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
  principal: '1200',
  disbursementDate: '2026-01-01',
  firstRepaymentDate: '2026-02-01',
});
const loanB = (extra: Partial<LoanTermsInput> = {}): LoanAccount => ({
  id: 'loan-b',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 6, ...extra }),
  rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
  principal: '6000',
  disbursementDate: '2026-01-01',
  firstRepaymentDate: '2026-02-01',
});

const pay = (id: string, valueDate: string, amount: string): LoanTransaction => ({ kind: 'repayment', id, valueDate, amount });
const prepay = (id: string, valueDate: string, amount: string, reschedule: PrepaymentReschedule): LoanTransaction => ({ kind: 'prepayment', id, valueDate, amount, reschedule });
/** [number, due date, principal, interest, fee] still owed. */
const owing = (state: LoanAccountState) =>
  state.instalments.map((i) => [i.number, i.dueDate, i.outstanding.principal.toFixed(2), i.outstanding.interest.toFixed(2), i.outstanding.fee.toFixed(2)]);
const shape = (r: LoanAccountState['prepayments'][number]['before']) => [r.level?.toFixed(2) ?? null, r.instalments, r.maturityDate, r.principal.toFixed(2), r.interest.toFixed(2)];

function reconciles(state: LoanAccountState): void {
  const ledger = loanReceivables(state.journals, state.loanId, state.asOf);
  for (const c of ['principal', 'interest', 'fee', 'penalty'] as const) expect(ledger[c].toFixed(2)).toBe(state.totals.receivable[c].toFixed(2));
  expect(ledger.excess.toFixed(2)).toBe(state.held.advance.plus(state.held.excess).toFixed(2));
  expect(ledger.interestInAdvance.toFixed(2)).toBe(state.interestInAdvance.toFixed(2));
}

function fieldOf(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidField) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected an InvalidField');
}

describe('prepayment, reduce instalment', () => {
  it('mid-period: earned interest first, then principal; the two instalments left are regenerated lower on the same dates', () => {
    // 400.00 on 2026-02-15. #2 runs 2026-02-01 → 2026-03-01 (28 days) and has earned 14/28 × 8.04 = 4.02.
    // Principal 400.00 − 4.02 = 395.98; 803.97 − 395.98 = 407.99 left.
    // Regenerated from 2026-02-15 over the 2 due dates left:
    //   level PMT(407.99, 1 %, 2) = 407.99 × 1.0201 × 0.01 / 0.0201 = 207.0600 → 207.06
    //   #2 broken period 2026-02-15 → 2026-03-01, 14 days: 407.99 × 12 % × 14 / 365 = 1.8779 → 1.88; principal 205.18; left 202.81
    //   #3 whole period: 202.81 × 1 % = 2.03; principal 202.81 (the rest)
    const state = replayLoan(loanA(), [pay('p1', '2026-02-01', '413.03'), prepay('pp', '2026-02-15', '400', 'reduceInstalment')], '2026-02-20');
    expect(owing(state)).toEqual([
      [1, '2026-02-01', '0.00', '0.00', '0.00'],
      [2, '2026-03-01', '205.18', '1.88', '5.00'],
      [3, '2026-04-01', '202.81', '2.03', '5.00'],
    ]);
    // #2 shows the whole period: 4.02 earned before the prepayment + 1.88 after; principal prepaid 395.98 + 205.18.
    const second = state.instalments[1]!;
    expect([second.charged.interest, second.paid.interest, second.charged.principal, second.paid.principal].map((d) => d.toFixed(2))).toEqual(['5.90', '4.02', '601.16', '395.98']);
    const [explained] = state.prepayments;
    expect(explained).toMatchObject({ prepaymentId: 'pp', reschedule: 'reduceInstalment', rescheduled: true });
    expect([explained!.paidDue, explained!.paidAccruedInterest, explained!.principalReduced, explained!.excess].map((d) => d.toFixed(2))).toEqual(['0.00', '4.02', '395.98', '0.00']);
    expect(shape(explained!.before)).toEqual(['408.03', 2, '2026-04-01', '803.97', '12.08']);
    expect(shape(explained!.after)).toEqual(['207.06', 2, '2026-04-01', '407.99', '3.91']);
    expect(state.currentSchedule.levelAmount?.toFixed(2)).toBe('207.06');
    expect(state.currentSchedule.instalments.map((i) => i.total.toFixed(2))).toEqual(['413.03', '612.06', '209.84']);
    expect(state.schedule.levelAmount?.toFixed(2)).toBe('408.03'); // the booked schedule is kept as booked
    expect(state.allocations.at(-1)!.lines.map((l) => [l.instalment, l.component, l.amount.toFixed(2)])).toEqual([[2, 'interest', '4.02'], [2, 'principal', '395.98']]);
    // The earned interest sits on #2, not due until 2026-03-01: it is held as interest received in advance (2150).
    const lines = (j: (typeof state.journals)[number]) => j.lines.map((l) => [l.account, l.debit.toFixed(2), l.credit.toFixed(2)]);
    expect(lines(state.journals.at(-1)!)).toEqual([['1100', '0.00', '395.98'], ['2150', '0.00', '4.02'], ['1000', '400.00', '0.00']]);
    expect(state.journals.at(-1)!.valueDate).toBe('2026-02-15');
    expect(state.interestInAdvance.toFixed(2)).toBe('4.02');
    reconciles(state);
    // Paying the regenerated instalments closes the loan. On 2026-03-01 #2's whole interest (5.90) is income and the
    // 4.02 held settles part of it: 1.88 interest + 205.18 principal + 5.00 fee = 212.06 is what is collected.
    const closed = replayLoan(loanA(), [pay('p1', '2026-02-01', '413.03'), prepay('pp', '2026-02-15', '400', 'reduceInstalment'), pay('p2', '2026-03-01', '212.06'), pay('p3', '2026-04-01', '209.84')], '2026-04-01');
    expect(closed.journals.filter((j) => j.valueDate === '2026-03-01').slice(0, 2).map(lines)).toEqual([
      [['1110', '5.90', '0.00'], ['4000', '0.00', '5.90'], ['1120', '5.00', '0.00'], ['4100', '0.00', '5.00']],
      [['2150', '4.02', '0.00'], ['1110', '0.00', '4.02']],
    ]);
    expect(closed.status).toBe('closed');
    expect(closed.interestInAdvance.toFixed(2)).toBe('0.00');
    reconciles(closed);
  });

  it('on a due date: that instalment is paid first by the rule, then principal; four instalments left, each lower', () => {
    // 2,500.00 on 2026-03-01: #2 (1,035.29) is due and paid first; #3 has earned nothing yet; 1,464.71 reduces
    // principal: 4,039.67 − 1,464.71 = 2,574.96 over the 4 due dates left, whole periods at 1 %:
    //   level PMT(2574.96, 1 %, 4) = 25.7496 / (1 − 1.01⁻⁴) = 25.7496 / 0.0390197 = 659.9136 → 659.91
    //   #3 interest 25.75  principal 634.16  left 1,940.80
    //   #4 interest 19.41  principal 640.50  left 1,300.30
    //   #5 interest 13.00  principal 646.91  left   653.39
    //   #6 interest  6.53  principal 653.39  (the rest; total 659.92)
    const state = replayLoan(loanB(), [pay('p1', '2026-02-01', '1035.29'), prepay('pp', '2026-03-01', '2500', 'reduceInstalment')], '2026-03-01');
    expect(owing(state).slice(2)).toEqual([
      [3, '2026-04-01', '634.16', '25.75', '0.00'],
      [4, '2026-05-01', '640.50', '19.41', '0.00'],
      [5, '2026-06-01', '646.91', '13.00', '0.00'],
      [6, '2026-07-01', '653.39', '6.53', '0.00'],
    ]);
    expect(owing(state)[1]).toEqual([2, '2026-03-01', '0.00', '0.00', '0.00']);
    expect(state.prepayments[0]!.paidDue.toFixed(2)).toBe('1035.29');
    expect(shape(state.prepayments[0]!.after)).toEqual(['659.91', 4, '2026-07-01', '2574.96', '64.69']);
    reconciles(state);
  });
});

describe('prepayment, reduce tenor', () => {
  it('keeps the instalment of 1,035.29 and drops the last instalment', () => {
    // The same 2,500.00 on 2026-03-01; 2,574.96 left, instalment kept at 1,035.29:
    //   #3 interest 25.75  principal 1,035.29 − 25.75 = 1,009.54  left 1,565.42
    //   #4 interest 15.65  principal 1,019.64                    left   545.78
    //   #5 interest  5.46  principal   545.78 (the rest; total 551.24)   — #6 is gone: maturity 2026-07-01 → 2026-06-01
    const state = replayLoan(loanB(), [pay('p1', '2026-02-01', '1035.29'), prepay('pp', '2026-03-01', '2500', 'reduceTenor')], '2026-03-01');
    expect(owing(state).slice(2)).toEqual([
      [3, '2026-04-01', '1009.54', '25.75', '0.00'],
      [4, '2026-05-01', '1019.64', '15.65', '0.00'],
      [5, '2026-06-01', '545.78', '5.46', '0.00'],
    ]);
    expect(shape(state.prepayments[0]!.before)).toEqual(['1035.29', 4, '2026-07-01', '4039.67', '101.50']);
    expect(shape(state.prepayments[0]!.after)).toEqual(['1035.29', 3, '2026-06-01', '2574.96', '46.86']);
    // The current schedule: #3 also carries the 1,464.71 prepaid on it (1,035.29 + 1,464.71), so principal still sums
    // to the 6,000.00 lent.
    expect(state.currentSchedule.instalments.map((i) => i.total.toFixed(2)).slice(2)).toEqual(['2500.00', '1035.29', '551.24']);
    expect(state.currentSchedule.totals.principal.toFixed(2)).toBe('6000.00');
    reconciles(state);
  });

  it('mid-period on loan A: the first period left is broken and the tenor falls from 2 to 1', () => {
    // 600.00 on 2026-02-15: 4.02 earned interest, 595.98 principal; 803.97 − 595.98 = 207.99 left.
    // #2 (2026-02-15 → 2026-03-01, 14 days): 207.99 × 12 % × 14 / 365 = 0.9573 → 0.96; the instalment of 408.03
    // covers all 207.99, so #3 goes.
    const state = replayLoan(loanA(), [pay('p1', '2026-02-01', '413.03'), prepay('pp', '2026-02-15', '600', 'reduceTenor')], '2026-02-15');
    expect(owing(state)).toEqual([[1, '2026-02-01', '0.00', '0.00', '0.00'], [2, '2026-03-01', '207.99', '0.96', '5.00']]);
    // #3's fee is no longer asked for: the tenor is shorter.
    expect(state.totals.outstanding.fee.toFixed(2)).toBe('5.00');
    reconciles(state);
  });
});

describe('prepayment on a loan due at month-end, interest per day', () => {
  it('keeps the loan\'s due dates and reckons each period over them', () => {
    // USD 4,000 at 12 %, 4 monthly instalments, disbursed 2026-01-31: due Feb 28, Mar 31, Apr 30, May 31 (dueDates.ts).
    // #1 (28 days) earns 4000 × 12 % × 28 / 365 = 36.82. 1,000.00 on 2026-02-10: earned 36.82 × 10 / 28 = 13.15;
    // principal 986.85; 3,013.15 left. Level PMT(3013.15, 1 %, 4) = 30.1315 / 0.0390197 = 772.21.
    //   #1 2026-02-10 → 02-28, 18 days: 3013.15 × 12 % × 18 / 365 = 17.83; principal 754.38; left 2,258.77
    //   #2 2026-02-28 → 03-31, 31 days: 2258.77 × 12 % × 31 / 365 = 23.02; principal 749.19; left 1,509.58
    //   #3 2026-03-31 → 04-30, 30 days: 1509.58 × 12 % × 30 / 365 = 14.89; principal 757.32; left   752.26
    //   #4 2026-04-30 → 05-31, 31 days:  752.26 × 12 % × 31 / 365 =  7.67; principal 752.26
    // (Anchored on Feb 28, as generateSchedule alone would be, #2 would run to Mar 28 and earn 20.79.)
    const monthEnd: LoanAccount = {
      id: 'loan-m',
      terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 4, interestCalculation: 'per-day' }),
      rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
      principal: '4000',
      disbursementDate: '2026-01-31',
    };
    const state = replayLoan(monthEnd, [prepay('pp', '2026-02-10', '1000', 'reduceInstalment')], '2026-02-10');
    expect(state.prepayments[0]!.paidAccruedInterest.toFixed(2)).toBe('13.15');
    expect(owing(state)).toEqual([
      [1, '2026-02-28', '754.38', '17.83', '0.00'],
      [2, '2026-03-31', '749.19', '23.02', '0.00'],
      [3, '2026-04-30', '757.32', '14.89', '0.00'],
      [4, '2026-05-31', '752.26', '7.67', '0.00'],
    ]);
    expect(state.currentSchedule.levelAmount?.toFixed(2)).toBe('772.21');
    reconciles(state);
  });
});

describe('prepayment edge cases', () => {
  it('is refused when the product does not allow that choice, or a bullet asks to reduce its tenor', () => {
    const onlyInstalment = loanA({ prepayment: { allowed: ['reduceInstalment'] } });
    expect(fieldOf(() => replayLoan(onlyInstalment, [prepay('pp', '2026-02-15', '100', 'reduceTenor')], '2026-02-15'))).toEqual({
      field: 'transactions.pp.reschedule',
      message: "the loan's terms do not allow a prepayment to reduce the tenor; allowed: reduceInstalment",
    });
    const bullet = loanB({ amortization: { kind: 'bullet' } });
    expect(fieldOf(() => replayLoan(bullet, [prepay('pp', '2026-02-15', '100', 'reduceTenor')], '2026-02-15')).field).toBe('transactions.pp.reschedule');
    expect(replayLoan(bullet, [prepay('pp', '2026-02-15', '1000', 'reduceInstalment')], '2026-02-15').prepayments[0]!.rescheduled).toBe(true);
  });

  it('money that only reaches what is due and earned reschedules nothing', () => {
    // Nothing paid by 2026-02-15: #1 (413.03) is overdue; 415.00 pays it and 1.97 of the 4.02 earned on #2.
    const state = replayLoan(loanA(), [prepay('pp', '2026-02-15', '415', 'reduceInstalment')], '2026-02-15');
    expect(state.prepayments[0]).toMatchObject({ rescheduled: false });
    expect(state.prepayments[0]!.paidAccruedInterest.toFixed(2)).toBe('1.97');
    expect(owing(state)[1]).toEqual([2, '2026-03-01', '399.99', '6.07', '5.00']);
    reconciles(state);
  });

  it('a prepayment of everything closes the loan like a payoff and holds the rest', () => {
    // 803.97 + 4.02 = 807.99 closes it (the payoff quote); 900.00 leaves 92.01 excess.
    const state = replayLoan(loanA(), [pay('p1', '2026-02-01', '413.03'), prepay('pp', '2026-02-15', '900', 'reduceTenor')], '2026-02-15');
    expect(state.status).toBe('closed');
    expect(state.held.excess.toFixed(2)).toBe('92.01');
    expect(state.totals.receivable.interest.isZero() && state.totals.receivable.principal.isZero()).toBe(true);
    reconciles(state);
  });

  it('a backdated prepayment replays exactly as if it had arrived in order', () => {
    const p2 = pay('p2', '2026-03-01', '300');
    const pp = prepay('pp', '2026-02-15', '400', 'reduceInstalment');
    const p1 = pay('p1', '2026-02-01', '413.03');
    expectSameAccount(replayLoan(loanA(), [p1, p2, pp], '2026-03-10'), replayLoan(loanA(), [p1, pp, p2], '2026-03-10'));
  });
});

describe('the calculators behind it', () => {
  const terms = loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3 });
  it.each<[string, string, string]>([
    ['2026-02-01', '0.00', 'nothing on the first day'],
    ['2026-02-15', '4.02', '14 of 28 days'],
    ['2026-02-28', '7.75', '27 of 28 days: 8.04 × 27 / 28 = 7.7529'],
    ['2026-03-01', '8.04', 'all of it on the due date'],
  ])('interest earned by %s is %s (%s)', (date, expected) => {
    expect(earnedInterest(terms, { from: '2026-02-01', interest: new Decimal('8.04'), earnedBefore: new Decimal(0) }, '2026-03-01', date).amount.toFixed(2)).toBe(expected);
  });

  it('keeps the loan\'s due dates when the month-end rule shortened the next one', () => {
    // Due on the 31st: Feb 28 then Mar 31, not Mar 28.
    const remaining = remainingSchedule(terms, { principal: new Decimal('500'), valueDate: '2026-02-10', dueDates: ['2026-02-28', '2026-03-31'], principalFreeLeft: 0, reschedule: 'reduceInstalment', level: null });
    expect(remaining.instalments.map((i) => i.dueDate)).toEqual(['2026-02-28', '2026-03-31']);
    expect(remaining.instalments.reduce((s, i) => s.plus(i.principal), new Decimal(0)).toFixed(2)).toBe('500.00');
  });
});
