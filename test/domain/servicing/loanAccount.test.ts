// Loan account replay: exact cases on one small loan, arithmetic written out.
//
// The loan: USD 1,200 at 12 % a year, 3 monthly instalments, disbursed 2026-01-01, first due 2026-02-01, a fee of
// 5.00 with every instalment. Periodic rate 1 %; level instalment PMT = 1200 × 0.01 / (1 − 1.01⁻³) = 408.0265 →
// 408.03.
//   #1 2026-02-01  interest 1200.00 × 1 % = 12.00   principal 408.03 − 12.00 = 396.03  fee 5  total 413.03  left 803.97
//   #2 2026-03-01  interest  803.97 × 1 % =  8.04   principal 408.03 −  8.04 = 399.99  fee 5  total 413.03  left 403.98
//   #3 2026-04-01  interest  403.98 × 1 % =  4.04   principal (the rest)     = 403.98  fee 5  total 413.02  left   0.00
// Over its life the loan asks for 1,200.00 + 24.08 interest + 15.00 fees = 1,239.08.
// The rule is "penalties, fees, interest, principal", due-date first, prepayments paying the next instalments.
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal } from '../../../src/domain/money.js';
import {
  PENALTIES_FEES_INTEREST_PRINCIPAL,
  PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE,
  type AllocationRule,
} from '../../../src/domain/servicing/allocation.js';
import { loanReceivables, trialBalance, type Journal } from '../../../src/domain/servicing/ledger.js';
import {
  daysPastDue,
  payoffQuote,
  replayLoan,
  type Amounts,
  type LoanAccount,
  type LoanAccountState,
  type LoanTransaction,
} from '../../../src/domain/servicing/loanAccount.js';
import { loanTerms } from '../../../src/domain/servicing/product.js';
import { expectSameAccount } from '../../support/sameAccount.js';

const loan = (rule: AllocationRule = PENALTIES_FEES_INTEREST_PRINCIPAL): LoanAccount => ({
  id: 'loan-1',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3, fees: { perInstalment: '5' } }),
  rule,
  principal: '1200',
  disbursementDate: '2026-01-01',
  firstRepaymentDate: '2026-02-01',
});

const pay = (id: string, valueDate: string, amount: string): LoanTransaction => ({ kind: 'repayment', id, valueDate, amount, channel: 'bank-transfer', externalRef: `ref-${id}` });

/** [penalty, fee, interest, principal] as text. */
const amounts = (a: Amounts) => [a.penalty.toFixed(2), a.fee.toFixed(2), a.interest.toFixed(2), a.principal.toFixed(2)];
const owing = (state: LoanAccountState) => state.instalments.map((i) => amounts(i.outstanding));
const lines = (state: LoanAccountState, repaymentId: string) =>
  state.allocations.find((a) => a.repaymentId === repaymentId)!.lines.map((l) => [l.instalment, l.component, l.amount.toFixed(2)]);
const journalLines = (journal: Journal) => journal.lines.map((l) => [l.account, l.debit.toFixed(2), l.credit.toFixed(2)]);

/** What every case also holds: the sub-ledger from the journals is the replayed receivable and held money. */
function reconciles(state: LoanAccountState): void {
  const ledger = loanReceivables(state.journals, state.loanId, state.asOf);
  expect(amounts(ledger)).toEqual(amounts(state.totals.receivable));
  expect(ledger.excess.toFixed(2)).toBe(state.held.advance.plus(state.held.excess).toFixed(2));
  expect(ledger.interestInAdvance.toFixed(2)).toBe(state.interestInAdvance.toFixed(2));
  // Interest received in advance is exactly the interest paid on instalments not yet due.
  const paidAhead = state.instalments.filter((i) => i.dueDate > state.asOf).reduce((s, i) => s.plus(i.paid.interest), new Decimal(0));
  expect(state.interestInAdvance.toFixed(2)).toBe(paidAhead.toFixed(2));
  for (const journal of state.journals) {
    const debits = journal.lines.reduce((s, l) => s.plus(l.debit), new Decimal(0));
    const credits = journal.lines.reduce((s, l) => s.plus(l.credit), new Decimal(0));
    expect(debits.toFixed(2)).toBe(credits.toFixed(2));
  }
}

const SCHEDULED = [['0.00', '5.00', '12.00', '396.03'], ['0.00', '5.00', '8.04', '399.99'], ['0.00', '5.00', '4.04', '403.98']];

describe('replaying a loan account', () => {
  it('before anything falls due: the disbursement only, all principal receivable, active', () => {
    const state = replayLoan(loan(), [], '2026-01-15');
    expect(state.status).toBe('active');
    expect(state.daysPastDue).toBe(0);
    expect(owing(state)).toEqual(SCHEDULED);
    // Interest and fees are not receivable until they fall due.
    expect(amounts(state.totals.receivable)).toEqual(['0.00', '0.00', '0.00', '1200.00']);
    expect(amounts(state.totals.outstanding)).toEqual(['0.00', '15.00', '24.08', '1200.00']);
    expect(state.journals.map(journalLines)).toEqual([[['1100', '1200.00', '0.00'], ['1000', '0.00', '1200.00']]]);
    reconciles(state);
  });

  it('a payment on the due date settles the instalment due today, fee, interest, principal', () => {
    const state = replayLoan(loan(), [pay('p1', '2026-02-01', '413.03')], '2026-02-10');
    expect(lines(state, 'p1')).toEqual([[1, 'fee', '5.00'], [1, 'interest', '12.00'], [1, 'principal', '396.03']]);
    expect(state.allocations[0]!.lines[0]!.reason).toMatch(/due today \(2026-02-01\)/);
    expect(owing(state)).toEqual([['0.00', '0.00', '0.00', '0.00'], SCHEDULED[1], SCHEDULED[2]]);
    expect(state.status).toBe('active');
    // 1200.00 − 396.03 = 803.97 principal left; nothing else receivable until 2026-03-01.
    expect(amounts(state.totals.receivable)).toEqual(['0.00', '0.00', '0.00', '803.97']);
    expect(state.journals.slice(1).map(journalLines)).toEqual([
      [['1110', '12.00', '0.00'], ['4000', '0.00', '12.00'], ['1120', '5.00', '0.00'], ['4100', '0.00', '5.00']],
      [['1120', '0.00', '5.00'], ['1110', '0.00', '12.00'], ['1100', '0.00', '396.03'], ['1000', '413.03', '0.00']],
    ]);
    reconciles(state);
  });

  it('unpaid after its due date the loan is overdue, days past due counted from the due date; a late payment cures it', () => {
    const late = replayLoan(loan(), [], '2026-02-11');
    expect(late.status).toBe('overdue');
    expect(late.daysPastDue).toBe(10); // 2026-02-01 → 2026-02-11
    expect(amounts(late.totals.due)).toEqual(['0.00', '5.00', '12.00', '396.03']);
    const cured = replayLoan(loan(), [pay('p1', '2026-02-15', '413.03')], '2026-02-16');
    expect(cured.status).toBe('active');
    expect(cured.daysPastDue).toBe(0);
    expect(cured.allocations[0]!.lines[0]!.reason).toMatch(/overdue since 2026-02-01/);
    reconciles(late);
    reconciles(cured);
  });

  it('a partial payment pays fee and interest first and leaves principal overdue', () => {
    // 100.00 = 5.00 fee + 12.00 interest + 83.00 principal; 396.03 − 83.00 = 313.03 principal still owed.
    const state = replayLoan(loan(), [pay('p1', '2026-02-01', '100')], '2026-02-05');
    expect(lines(state, 'p1')).toEqual([[1, 'fee', '5.00'], [1, 'interest', '12.00'], [1, 'principal', '83.00']]);
    expect(owing(state)[0]).toEqual(['0.00', '0.00', '0.00', '313.03']);
    expect(state.status).toBe('overdue');
    expect(state.daysPastDue).toBe(4);
    expect(amounts(state.totals.receivable)).toEqual(['0.00', '0.00', '0.00', '1117.00']); // 1200 − 83
    reconciles(state);
  });

  it('a backdated payment is applied before one that arrived earlier, which then pays the next instalment', () => {
    const march = pay('march', '2026-03-01', '413.03');
    const february = pay('feb', '2026-02-01', '413.03');
    // Before the backdated payment arrives, the March payment settles the overdue February instalment.
    const before = replayLoan(loan(), [march], '2026-03-05');
    expect(lines(before, 'march')).toEqual([[1, 'fee', '5.00'], [1, 'interest', '12.00'], [1, 'principal', '396.03']]);
    expect(before.status).toBe('overdue');
    // Appended later, valued 2026-02-01: replay applies it first; March's money moves to instalment 2.
    const after = replayLoan(loan(), [march, february], '2026-03-05');
    expect(lines(after, 'feb')).toEqual([[1, 'fee', '5.00'], [1, 'interest', '12.00'], [1, 'principal', '396.03']]);
    expect(lines(after, 'march')).toEqual([[2, 'fee', '5.00'], [2, 'interest', '8.04'], [2, 'principal', '399.99']]);
    expect(after.allocations.map((a) => a.repaymentId)).toEqual(['feb', 'march']);
    expect(after.status).toBe('active');
    // Exactly as if they had arrived in value-date order.
    expectSameAccount(after, replayLoan(loan(), [february, march], '2026-03-05'));
    reconciles(after);
  });

  it('a reversal removes the payment from its entry date on; before it the payment still counts', () => {
    const transactions: LoanTransaction[] = [pay('p1', '2026-02-01', '413.03'), { kind: 'reversal', id: 'r1', reverses: 'p1', valueDate: '2026-02-20' }];
    const beforeReversal = replayLoan(loan(), transactions, '2026-02-19');
    expect(beforeReversal.status).toBe('active');
    const afterReversal = replayLoan(loan(), transactions, '2026-02-20');
    expect(afterReversal.status).toBe('overdue');
    expect(afterReversal.daysPastDue).toBe(19);
    expect(afterReversal.allocations).toEqual([]);
    expectSameAccount(afterReversal, replayLoan(loan(), [], '2026-02-20'));
    reconciles(afterReversal);
  });

  it('a payment beyond everything owed closes the loan and holds the excess; interest not yet due is held until it falls due', () => {
    // 413.03 + 413.03 + 413.02 = 1,239.08 pays every instalment; 1,300.00 − 1,239.08 = 60.92 is the borrower's.
    const state = replayLoan(loan(), [pay('p1', '2026-02-01', '1300')], '2026-02-01');
    expect(state.status).toBe('closed');
    expect(owing(state).flat().every((a) => a === '0.00')).toBe(true);
    expect(state.held.excess.toFixed(2)).toBe('60.92');
    expect(state.allocations[0]!.reasons.excess).toMatch(/more than everything the loan owes/);
    // Instalments 2 and 3 are not yet due: their fees are recognised on the payment date, their interest is not.
    expect(state.journals.slice(2, 4).map(journalLines)).toEqual([
      [['1120', '5.00', '0.00'], ['4100', '0.00', '5.00']],
      [['1120', '5.00', '0.00'], ['4100', '0.00', '5.00']],
    ]);
    // Instalment 1's 12.00 of interest pays its receivable; 8.04 + 4.04 = 12.08 is interest received in advance.
    expect(journalLines(state.journals[4]!)).toEqual([
      ['1120', '0.00', '15.00'], ['1110', '0.00', '12.00'], ['1100', '0.00', '1200.00'], ['2150', '0.00', '12.08'], ['2100', '0.00', '60.92'], ['1000', '1300.00', '0.00'],
    ]);
    expect(state.journals).toHaveLength(5);
    expect(state.interestInAdvance.toFixed(2)).toBe('12.08');
    reconciles(state);
    // On each later due date the instalment's interest is recognised and the advance settles it: nothing to collect.
    const later = replayLoan(loan(), [pay('p1', '2026-02-01', '1300')], '2026-06-30');
    expect(later.status).toBe('closed');
    expect(later.journals.slice(0, 5)).toEqual(state.journals);
    expect(later.journals.slice(5).map((j) => [j.valueDate, journalLines(j)])).toEqual([
      ['2026-03-01', [['1110', '8.04', '0.00'], ['4000', '0.00', '8.04']]],
      ['2026-03-01', [['2150', '8.04', '0.00'], ['1110', '0.00', '8.04']]],
      ['2026-04-01', [['1110', '4.04', '0.00'], ['4000', '0.00', '4.04']]],
      ['2026-04-01', [['2150', '4.04', '0.00'], ['1110', '0.00', '4.04']]],
    ]);
    expect(later.interestInAdvance.toFixed(2)).toBe('0.00');
    expect(amounts(later.totals.receivable)).toEqual(['0.00', '0.00', '0.00', '0.00']);
    reconciles(later);
  });

  it('a charge goes on the next instalment due, a waiver forgives part of it, the rest is collected when due', () => {
    const transactions: LoanTransaction[] = [
      pay('p1', '2026-02-01', '413.03'),
      // Charged on 2026-02-10: the next instalment due is #2 (2026-03-01).
      { kind: 'charge', id: 'c1', valueDate: '2026-02-10', component: 'penalty', amount: '10' },
      { kind: 'waiver', id: 'w1', valueDate: '2026-02-20', component: 'penalty', amount: '4' },
      // 413.03 + the 6.00 penalty left = 419.03.
      pay('p2', '2026-03-01', '419.03'),
    ];
    const midway = replayLoan(loan(), transactions, '2026-02-25');
    expect(owing(midway)[1]).toEqual(['6.00', '5.00', '8.04', '399.99']);
    expect(midway.status).toBe('active'); // the penalty sits on an instalment not yet due
    expect(amounts(midway.totals.receivable)).toEqual(['6.00', '0.00', '0.00', '803.97']);
    expect(midway.waivers).toEqual([{ waiverId: 'w1', valueDate: '2026-02-20', component: 'penalty', lines: [{ instalment: 2, amount: new Decimal(4) }], notWaived: new Decimal(0) }]);
    expect(midway.journals.slice(3).map(journalLines)).toEqual([
      [['1130', '10.00', '0.00'], ['4200', '0.00', '10.00']],
      [['4200', '4.00', '0.00'], ['1130', '0.00', '4.00']],
    ]);
    reconciles(midway);

    const state = replayLoan(loan(), transactions, '2026-03-01');
    expect(lines(state, 'p2')).toEqual([[2, 'penalty', '6.00'], [2, 'fee', '5.00'], [2, 'interest', '8.04'], [2, 'principal', '399.99']]);
    expect(amounts(state.totals.receivable)).toEqual(['0.00', '0.00', '0.00', '403.98']);
    expect(state.status).toBe('active');
    reconciles(state);
  });

  it('a waiver no longer owed after a backdated payment waives only what is left, and says so', () => {
    const transactions: LoanTransaction[] = [
      { kind: 'charge', id: 'c1', valueDate: '2026-04-05', component: 'penalty', amount: '10' },
      { kind: 'waiver', id: 'w1', valueDate: '2026-04-20', component: 'penalty', amount: '10' },
      // Arrives after the waiver, valued before it: pays everything, the penalty included (413.03 × 2 + 413.02 + 10 + 3).
      pay('p1', '2026-04-10', '1252.08'),
    ];
    const state = replayLoan(loan(), transactions, '2026-04-30');
    expect(state.waivers[0]!.notWaived.toFixed(2)).toBe('10.00');
    expect(state.waivers[0]!.lines).toEqual([]);
    expect(state.held.excess.toFixed(2)).toBe('3.00');
    expect(state.status).toBe('closed');
    reconciles(state);
  });

  it('held as an advance, money paid early is drawn on when the next instalment falls due', () => {
    const rule = PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE;
    const early = replayLoan(loan(rule), [pay('p1', '2026-01-20', '500')], '2026-01-31');
    expect(early.held.advance.toFixed(2)).toBe('500.00');
    expect(amounts(early.totals.receivable)).toEqual(['0.00', '0.00', '0.00', '1200.00']);
    reconciles(early);
    // On 2026-02-01 instalment 1 (413.03) is paid from the advance; 86.97 stays held for instalment 2.
    const due = replayLoan(loan(rule), [pay('p1', '2026-01-20', '500')], '2026-02-01');
    expect(due.allocations[1]).toMatchObject({ repaymentId: null, valueDate: '2026-02-01' });
    expect(lines(due, 'p1')).toEqual([]);
    expect(owing(due)[0]).toEqual(['0.00', '0.00', '0.00', '0.00']);
    expect(due.held.advance.toFixed(2)).toBe('86.97');
    expect(journalLines(due.journals.at(-1)!)).toEqual([
      ['2100', '413.03', '0.00'], ['1120', '0.00', '5.00'], ['1110', '0.00', '12.00'], ['1100', '0.00', '396.03'],
    ]);
    reconciles(due);
  });

  it('a reversal after closing reopens the loan', () => {
    const transactions: LoanTransaction[] = [
      pay('p1', '2026-02-01', '413.03'), pay('p2', '2026-03-01', '413.03'), pay('p3', '2026-04-01', '413.02'),
      { kind: 'reversal', id: 'r3', reverses: 'p3', valueDate: '2026-04-10' },
    ];
    expect(replayLoan(loan(), transactions, '2026-04-05').status).toBe('closed');
    const reopened = replayLoan(loan(), transactions, '2026-04-10');
    expect(reopened.status).toBe('overdue');
    expect(reopened.daysPastDue).toBe(9);
  });

  it('refuses what a service should never have accepted', () => {
    expect(() => replayLoan(loan(), [pay('p1', '2026-02-01', '10'), pay('p1', '2026-02-02', '10')], '2026-03-01')).toThrow(InvalidField);
    expect(() => replayLoan(loan(), [{ kind: 'reversal', id: 'r1', reverses: 'nothing', valueDate: '2026-02-01' }], '2026-03-01')).toThrow(InvalidField);
    expect(() => replayLoan(loan(), [pay('p1', '2025-12-31', '10')], '2026-03-01')).toThrow(InvalidField);
    expect(() => replayLoan(loan(), [pay('p1', '2026-02-01', '0')], '2026-03-01')).toThrow(InvalidField);
    expect(() => replayLoan(loan(), [pay('p1', '2026-02-01', '1.001')], '2026-03-01')).toThrow(InvalidField);
    expect(() => replayLoan(loan(), [], '2025-12-31')).toThrow(InvalidField);
  });
});

describe('days past due', () => {
  const due = (dueDate: string, principal: string) => ({ dueDate, outstanding: { penalty: new Decimal(0), fee: new Decimal(0), interest: new Decimal(0), principal: new Decimal(principal) } });
  it.each<[string, ReturnType<typeof due>[], string, number]>([
    ['nothing due yet', [due('2026-02-01', '10')], '2026-01-31', 0],
    ['due today is not past due', [due('2026-02-01', '10')], '2026-02-01', 0],
    ['one day late', [due('2026-02-01', '10')], '2026-02-02', 1],
    ['the oldest unpaid counts, paid ones do not', [due('2026-01-01', '0'), due('2026-02-01', '10'), due('2026-03-01', '10')], '2026-03-15', 42],
  ])('%s', (_name, instalments, asOf, expected) => {
    expect(daysPastDue(instalments, asOf)).toBe(expected);
  });
});

// Interest received in advance (docs/decisions.md, "Interest received in advance"), on a 12-month loan: USD 12,000
// at 12 % a year, disbursed 2026-01-01, monthly from 2026-02-01, no fees. Level PMT = 12000 × 0.01 /
// (1 − 1.01⁻¹²) = 1,066.1854 → 1,066.19.
//   #1 2026-02-01  interest 12,000.00 × 1 % = 120.00   principal 946.19   left 11,053.81
//   #2 2026-03-01  interest 11,053.81 × 1 % = 110.54   principal 955.65   left 10,098.16
// The borrower pays #1 on its due date and, the same day, #2 a month early.
describe('interest paid before its instalment falls due', () => {
  const yearLoan: LoanAccount = {
    id: 'loan-12',
    terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 12 }),
    rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
    principal: '12000',
    disbursementDate: '2026-01-01',
    firstRepaymentDate: '2026-02-01',
  };
  const early: LoanTransaction[] = [pay('p1', '2026-02-01', '1066.19'), pay('p2', '2026-02-01', '1066.19')];
  const balance = (state: LoanAccountState, account: string, asOf = state.asOf) =>
    (trialBalance(state.journals, asOf).find((r) => r.account === account)?.balance ?? new Decimal(0)).toFixed(2);
  const dated = (state: LoanAccountState, date: string) => state.journals.filter((j) => j.valueDate === date).map(journalLines);

  it('is held on the interest-received-in-advance liability (2150), not booked as income, until the instalment falls due', () => {
    const state = replayLoan(yearLoan, early, '2026-02-01');
    expect(dated(state, '2026-02-01')).toEqual([
      [['1110', '120.00', '0.00'], ['4000', '0.00', '120.00']],
      [['1110', '0.00', '120.00'], ['1100', '0.00', '946.19'], ['1000', '1066.19', '0.00']],
      // #2 is not due: its principal comes off the receivable, its interest is owed back to the borrower until 2026-03-01.
      [['1100', '0.00', '955.65'], ['2150', '0.00', '110.54'], ['1000', '1066.19', '0.00']],
    ]);
    expect(state.interestInAdvance.toFixed(2)).toBe('110.54');
    expect(balance(state, '2150')).toBe('-110.54');
    expect(balance(state, '4000')).toBe('-120.00'); // only #1's interest is income in February
    expect(amounts(state.totals.receivable)).toEqual(['0.00', '0.00', '0.00', '10098.16']);
    expect(amounts(state.instalments[1]!.paid)).toEqual(['0.00', '0.00', '110.54', '955.65']);
    reconciles(state);
    // Still held the day before the due date.
    expect(replayLoan(yearLoan, early, '2026-02-28').interestInAdvance.toFixed(2)).toBe('110.54');
  });

  it('on the due date the whole interest is income and the advance settles its receivable', () => {
    const state = replayLoan(yearLoan, early, '2026-03-01');
    expect(dated(state, '2026-03-01')).toEqual([
      [['1110', '110.54', '0.00'], ['4000', '0.00', '110.54']],
      [['2150', '110.54', '0.00'], ['1110', '0.00', '110.54']],
    ]);
    expect(state.interestInAdvance.toFixed(2)).toBe('0.00');
    expect(balance(state, '2150')).toBe('0.00');
    expect(balance(state, '4000')).toBe('-230.54');
    expect(amounts(state.totals.receivable)).toEqual(['0.00', '0.00', '0.00', '10098.16']);
    expect(state.status).toBe('active');
    expect(state.daysPastDue).toBe(0);
    reconciles(state);
    // The books as of February are unchanged by March's recognition.
    expect(balance(state, '2150', '2026-02-28')).toBe('-110.54');
  });

  it('a backdated reversal of the early payment takes the liability back where it was booked', () => {
    const bounced: LoanTransaction[] = [...early, { kind: 'reversal', id: 'r2', reverses: 'p2', valueDate: '2026-02-20' }];
    const before = replayLoan(yearLoan, bounced, '2026-02-19');
    const after = replayLoan(yearLoan, bounced, '2026-02-20');
    // Before its reversal the payment counts, as the books showed then.
    expect(before.interestInAdvance.toFixed(2)).toBe('110.54');
    expect(after.interestInAdvance.toFixed(2)).toBe('0.00');
    expect(balance(after, '2150')).toBe('0.00');
    expect(amounts(after.instalments[1]!.outstanding)).toEqual(['0.00', '0.00', '110.54', '955.65']);
    // What the posting service posts for the reversal: the replayed books less what was posted, per date and account.
    const net = (state: LoanAccountState) => {
      const sums = new Map<string, Decimal>();
      for (const j of state.journals) for (const l of j.lines) sums.set(`${j.valueDate} ${l.account}`, (sums.get(`${j.valueDate} ${l.account}`) ?? new Decimal(0)).plus(l.debit).minus(l.credit));
      return sums;
    };
    const [then, now] = [net(before), net(after)];
    const correction = [...new Set([...then.keys(), ...now.keys()])].sort()
      .map((k) => [k, (now.get(k) ?? new Decimal(0)).minus(then.get(k) ?? new Decimal(0)).toFixed(2)])
      .filter(([, v]) => v !== '0.00');
    expect(correction).toEqual([['2026-02-01 1000', '-1066.19'], ['2026-02-01 1100', '955.65'], ['2026-02-01 2150', '110.54']]);
    reconciles(after);
    // On the due date #2 is owed in full, as if the early payment had never arrived.
    const due = replayLoan(yearLoan, bounced, '2026-03-01');
    expectSameAccount(due, replayLoan(yearLoan, [early[0]!], '2026-03-01'));
    expect(amounts(due.totals.receivable)).toEqual(['0.00', '0.00', '110.54', '11053.81']);
  });

  it('a payoff makes the current instalment fall due: interest earned to date is income, the rest goes back to the borrower', () => {
    // On 2026-02-15 #2 has earned 14 of 28 days: 110.54 × 14 / 28 = 55.27. Of the 110.54 held, 55.27 is earned
    // and 55.27 is released to the borrower's excess, which pays principal. Quote: 10,098.16 − 55.27 = 10,042.89.
    const quote = payoffQuote(yearLoan, early, '2026-02-15');
    expect([quote.principal, quote.interest, quote.held, quote.total].map((d) => d.toFixed(2))).toEqual(['10098.16', '0.00', '55.27', '10042.89']);
    const state = replayLoan(yearLoan, [...early, { kind: 'payoff', id: 'po', valueDate: '2026-02-15', amount: '10042.89' }], '2026-02-15');
    expect(dated(state, '2026-02-15')).toEqual([
      [['2150', '55.27', '0.00'], ['2100', '0.00', '55.27']],
      [['1110', '55.27', '0.00'], ['4000', '0.00', '55.27']],
      [['2150', '55.27', '0.00'], ['1110', '0.00', '55.27']],
      [['2100', '55.27', '0.00'], ['1100', '0.00', '55.27']],
      [['1100', '0.00', '10042.89'], ['1000', '10042.89', '0.00']],
    ]);
    expect(state.status).toBe('closed');
    expect(balance(state, '2150')).toBe('0.00');
    expect(balance(state, '4000')).toBe('-175.27'); // 120.00 + 55.27 earned
    reconciles(state);
  });

  it('a prepayment keeps interest paid ahead on the regenerated instalments, held until each falls due', () => {
    // 2,000.00 on 2026-02-15, reduce tenor: #2's earned 55.27 is already paid (by the 110.54 held), so all of it is
    // principal: 10,098.16 − 2,000.00 = 8,098.16. The new #2 asks for 55.27 + 8,098.16 × 12 % × 14 / 365 = 37.27,
    // 92.54 in all; the 110.54 paid fills it and leaves 18.00 paid ahead on #3.
    const state = replayLoan(yearLoan, [...early, { kind: 'prepayment', id: 'pp', valueDate: '2026-02-15', amount: '2000', reschedule: 'reduceTenor' }], '2026-03-01');
    expect(dated(state, '2026-02-15')).toEqual([[['1100', '0.00', '2000.00'], ['1000', '2000.00', '0.00']]]);
    expect(dated(state, '2026-03-01')).toEqual([
      [['1110', '92.54', '0.00'], ['4000', '0.00', '92.54']],
      [['2150', '92.54', '0.00'], ['1110', '0.00', '92.54']],
    ]);
    expect(state.instalments[2]!.paid.interest.toFixed(2)).toBe('18.00');
    expect(state.interestInAdvance.toFixed(2)).toBe('18.00');
    expect(balance(state, '2150')).toBe('-18.00');
    reconciles(state);
  });
});
