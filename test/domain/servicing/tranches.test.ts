// Multi-tranche disbursement: exact cases, arithmetic written out.
//
// Loan T: USD, approved 10,000, 12 % a year (1 % a month, per repayment period), 6 monthly instalments, disbursed
// 2026-01-01 with a first tranche of 4,000, first due 2026-02-01.
//   PMT = 4000 × 0.01 / (1 − 1.01⁻⁶) = 690.1935 → 690.19
//   #1 2026-02-01  interest 40.00                     principal 650.19  left 3,349.81
//   #2 2026-03-01  interest 3,349.81 × 1 % = 33.50     principal 656.69  left 2,693.12
// Second tranche 3,000 on 2026-03-01 (after #2 falls due): #3–#6 are regenerated for 2,693.12 + 3,000 = 5,693.12
// over the 4 remaining due dates: PMT = 5693.12 × 0.01 / (1 − 1.01⁻⁴) = 1,459.039 → 1,459.04
//   #3 2026-04-01  interest 56.93  principal 1,402.11  left 4,291.01
//   #4 2026-05-01  interest 42.91  principal 1,416.13  left 2,874.88
//   #5 2026-06-01  interest 28.75  principal 1,430.29  left 1,444.59
//   #6 2026-07-01  interest 14.45  principal 1,444.59  left 0
// Mid-period: the tranche of 3,000 on 2026-01-16 instead (15 of #1's 31 days gone). #1 keeps what 4,000 earned by
// then, 40.00 × 15 / 31 = 19.35; 7,000 is regenerated from 2026-01-16 over the 6 due dates:
//   PMT = 7000 × 0.01 / (1 − 1.01⁻⁶) = 1,207.8386 → 1,207.84; #1's broken 16 days on 7,000: 7000 × 12 % × 16 / 365 = 36.82
//   #1 interest 19.35 + 36.82 = 56.17, principal 1,207.84 − 36.82 = 1,171.02; #2 interest 5,828.98 × 1 % = 58.29.
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal } from '../../../src/domain/money.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../../src/domain/servicing/allocation.js';
import { journalsToPost } from '../../../src/domain/servicing/journalsToPost.js';
import { loanReceivables, trialBalance } from '../../../src/domain/servicing/ledger.js';
import { payoffQuote, replayLoan, type LoanAccount, type LoanAccountState, type LoanTransaction } from '../../../src/domain/servicing/loanAccount.js';
import { loanTerms } from '../../../src/domain/servicing/product.js';
import { loanStatement } from '../../../src/domain/servicing/statement.js';
import { assertTrancheFits, tranchePlanOf, tranchesOf } from '../../../src/domain/servicing/tranches.js';

const loanT = (extra: Partial<LoanAccount> = {}): LoanAccount => ({
  id: 'loan-t',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 6 }),
  rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
  principal: '4000',
  approvedPrincipal: '10000',
  disbursementDate: '2026-01-01',
  firstRepaymentDate: '2026-02-01',
  ...extra,
});

const pay = (id: string, valueDate: string, amount: string): LoanTransaction => ({ kind: 'repayment', id, valueDate, amount });
const tranche = (id: string, valueDate: string, amount: string): LoanTransaction => ({ kind: 'tranche', id, valueDate, amount });
const d = (value: string) => new Decimal(value);

/** [number, from, due, principal, interest, total, principal left] of the schedule as it stands. */
const current = (state: LoanAccountState) =>
  state.currentSchedule.instalments.map((i) => [i.number, i.fromDate, i.dueDate, i.principal.toFixed(2), i.interest.toFixed(2), i.total.toFixed(2), i.outstandingPrincipal.toFixed(2)]);

function reconciles(state: LoanAccountState): void {
  const ledger = loanReceivables(state.journals, state.loanId, state.asOf);
  for (const c of ['principal', 'interest', 'fee', 'penalty'] as const) expect(ledger[c].toFixed(2)).toBe(state.totals.receivable[c].toFixed(2));
  expect(ledger.excess.toFixed(2)).toBe(state.held.advance.plus(state.held.excess).toFixed(2));
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

const HISTORY = [pay('p1', '2026-02-01', '690.19'), tranche('t2', '2026-03-01', '3000')];

describe('the tranche plan at booking', () => {
  it('takes an approved amount and tranches in date order, the first on the disbursement date', () => {
    const plan = tranchePlanOf({
      approvedPrincipal: d('10000'),
      tranches: [{ expectedDate: '2026-01-01', amount: d('4000') }, { expectedDate: '2026-03-01', amount: d('3000') }, { expectedDate: '2026-05-01', amount: d('3000') }],
    }, 'USD', '2026-01-01');
    expect(plan.approvedPrincipal.toFixed(2)).toBe('10000.00');
    expect(plan.tranches.map((t) => [t.expectedDate, t.amount.toFixed(2)])).toEqual([['2026-01-01', '4000.00'], ['2026-03-01', '3000.00'], ['2026-05-01', '3000.00']]);
  });

  it('without tranches, the whole approved amount is paid at booking', () => {
    const plan = tranchePlanOf({ approvedPrincipal: d('5000') }, 'USD', '2026-01-01');
    expect(plan.tranches.map((t) => [t.expectedDate, t.amount.toFixed(2)])).toEqual([['2026-01-01', '5000.00']]);
  });

  it('refuses a plan beyond the approved amount, out of date order, or not starting at booking, naming the field', () => {
    const plan = (tranches: { expectedDate: string; amount: string }[], approved = '10000') => fieldOf(() => tranchePlanOf({
      approvedPrincipal: d(approved), tranches: tranches.map((t) => ({ expectedDate: t.expectedDate, amount: d(t.amount) })),
    }, 'USD', '2026-01-01'));
    expect(plan([{ expectedDate: '2026-01-01', amount: '4000' }, { expectedDate: '2026-03-01', amount: '3000' }, { expectedDate: '2026-05-01', amount: '3000.01' }]))
      .toEqual({ field: 'tranches.2.amount', message: 'the tranches add up to 10000.01 USD, more than the approved 10000.00' });
    expect(plan([{ expectedDate: '2026-01-01', amount: '4000' }, { expectedDate: '2026-03-01', amount: '3000' }, { expectedDate: '2026-02-01', amount: '3000' }]).field).toBe('tranches.2.expectedDate');
    expect(plan([{ expectedDate: '2026-01-02', amount: '4000' }]).field).toBe('tranches.0.expectedDate');
    expect(plan([{ expectedDate: '2026-01-01', amount: '0' }]).field).toBe('tranches.0.amount');
    expect(plan([{ expectedDate: '2026-01-01', amount: '4000.001' }]).field).toBe('tranches.0.amount');
    expect(plan([{ expectedDate: '2026-01-01', amount: '4000' }], '-1').field).toBe('approvedPrincipal');
  });
});

describe('a new tranche against what is paid out', () => {
  const paid = [{ transactionId: null, valueDate: '2026-01-01', amount: d('4000') }, { transactionId: 't2', valueDate: '2026-03-01', amount: d('3000') }];
  const loan = { approvedPrincipal: d('10000'), currency: 'USD' };

  it('fits on or after the latest tranche, up to the undisbursed remainder', () => {
    expect(() => assertTrancheFits(loan, paid, { valueDate: '2026-03-01', amount: d('3000') })).not.toThrow();
  });

  it('is refused before the previous tranche (valueDate) or beyond the approved amount (amount)', () => {
    expect(fieldOf(() => assertTrancheFits(loan, paid, { valueDate: '2026-02-28', amount: d('100') })))
      .toEqual({ field: 'valueDate', message: 'a tranche is paid out on or after the previous one, paid on 2026-03-01' });
    expect(fieldOf(() => assertTrancheFits(loan, paid, { valueDate: '2026-04-01', amount: d('3000.01') })))
      .toEqual({ field: 'amount', message: 'only 3000.00 USD of the approved 10000.00 is left to pay out; the tranche asks for 3000.01' });
  });
});

describe('a tranche in the replay', () => {
  it('regenerates the instalments still to come for the principal outstanding, keeping the due dates', () => {
    const state = replayLoan(loanT(), HISTORY, '2026-03-01');
    expect(current(state)).toEqual([
      [1, '2026-01-01', '2026-02-01', '650.19', '40.00', '690.19', '6349.81'],
      [2, '2026-02-01', '2026-03-01', '656.69', '33.50', '690.19', '5693.12'],
      [3, '2026-03-01', '2026-04-01', '1402.11', '56.93', '1459.04', '4291.01'],
      [4, '2026-04-01', '2026-05-01', '1416.13', '42.91', '1459.04', '2874.88'],
      [5, '2026-05-01', '2026-06-01', '1430.29', '28.75', '1459.04', '1444.59'],
      [6, '2026-06-01', '2026-07-01', '1444.59', '14.45', '1459.04', '0.00'],
    ]);
    expect(state.currentSchedule.principal.toFixed(2)).toBe('7000.00');
    expect(state.currentSchedule.totals.principal.toFixed(2)).toBe('7000.00');
    // The booked schedule is the first tranche's.
    expect(state.schedule.principal.toFixed(2)).toBe('4000.00');
    const [explained] = state.tranches;
    expect(explained).toMatchObject({ trancheId: 't2', valueDate: '2026-03-01' });
    expect([explained!.before.level?.toFixed(2), explained!.before.principal.toFixed(2), explained!.after.level?.toFixed(2), explained!.after.principal.toFixed(2)])
      .toEqual(['690.19', '2693.12', '1459.04', '5693.12']);
    // #2 fell due that day and is still owed: principal owed is 4,000 − 650.19 + 3,000.
    expect(state.totals.receivable.principal.toFixed(2)).toBe('6349.81');
    reconciles(state);
  });

  it('posts a disbursement journal for the tranche: principal receivable debit, cash credit', () => {
    const state = replayLoan(loanT(), HISTORY, '2026-03-01');
    const onTheDay = state.journals.filter((j) => j.valueDate === '2026-03-01').map((j) => j.lines.map((l) => `${l.account} ${l.debit.toFixed(2)} ${l.credit.toFixed(2)}`));
    expect(onTheDay).toEqual([['1110 33.50 0.00', '4000 0.00 33.50'], ['1100 3000.00 0.00', '1000 0.00 3000.00']]);
    const cash = trialBalance(state.journals, '2026-03-01').find((r) => r.account === '1000')!;
    expect(cash.balance.toFixed(2)).toBe('-6309.81'); // 4,000 + 3,000 paid out, 690.19 received
  });

  it('earns interest only on what was paid out: mid-period, the current instalment keeps what the first tranche earned', () => {
    const state = replayLoan(loanT(), [tranche('t2', '2026-01-16', '3000')], '2026-01-16');
    expect(current(state).slice(0, 2)).toEqual([
      [1, '2026-01-01', '2026-02-01', '1171.02', '56.17', '1227.19', '5828.98'],
      [2, '2026-02-01', '2026-03-01', '1149.55', '58.29', '1207.84', '4679.43'],
    ]);
    expect(state.currentSchedule.totals.principal.toFixed(2)).toBe('7000.00');
    reconciles(state);
  });

  it('is in the payoff quote: all principal paid out, interest due and earned to date', () => {
    const quote = payoffQuote(loanT(), HISTORY, '2026-03-15');
    // #2's 656.69 + 5,693.12; interest #2's 33.50 + 56.93 × 14 / 31 = 25.71.
    expect([quote.principal.toFixed(2), quote.interest.toFixed(2), quote.total.toFixed(2)]).toEqual(['6349.81', '59.21', '6409.02']);
    const closed = replayLoan(loanT(), [...HISTORY, { kind: 'payoff', id: 'off', valueDate: '2026-03-15', amount: '6409.02' }], '2026-03-15');
    expect(closed.status).toBe('closed');
    reconciles(closed);
  });

  it('is refused beyond the approved amount, on or after the last due date, or on a loan not approved for more', () => {
    expect(fieldOf(() => replayLoan(loanT(), [...HISTORY, tranche('t3', '2026-04-01', '3000.01')], '2026-04-01')))
      .toEqual({ field: 'transactions.t3.amount', message: 'only 3000.00 USD of the approved 10000.00 is left to pay out; the tranche asks for 3000.01' });
    expect(fieldOf(() => replayLoan(loanT(), [tranche('t3', '2026-07-01', '100')], '2026-07-01')).field).toBe('transactions.t3.valueDate');
    expect(fieldOf(() => replayLoan(loanT({ approvedPrincipal: undefined }), [tranche('t3', '2026-02-01', '100')], '2026-02-01')).field).toBe('transactions.t3.amount');
    expect(fieldOf(() => replayLoan(loanT({ approvedPrincipal: '3999.99' }), [], '2026-02-01')).field).toBe('approvedPrincipal');
  });

  it('reversed, leaves the loan as if it had never been paid out, and its amount can be paid out again', () => {
    const reversed = replayLoan(loanT(), [...HISTORY, { kind: 'reversal', id: 'r', reverses: 't2', valueDate: '2026-03-02' }], '2026-03-02');
    const never = replayLoan(loanT(), [HISTORY[0]!], '2026-03-02');
    expect(reversed).toEqual(never);
    const again = replayLoan(loanT(), [...HISTORY, { kind: 'reversal', id: 'r', reverses: 't2', valueDate: '2026-03-02' }, tranche('t4', '2026-03-02', '6000')], '2026-03-02');
    expect(again.totals.receivable.principal.toFixed(2)).toBe('9349.81');
    reconciles(again);
  });

  it('is read against the plan: planned and paid, approved, disbursed and undisbursed', () => {
    const plan = tranchePlanOf({
      approvedPrincipal: d('10000'),
      tranches: [{ expectedDate: '2026-01-01', amount: d('4000') }, { expectedDate: '2026-02-15', amount: d('3000') }, { expectedDate: '2026-05-01', amount: d('3000') }],
    }, 'USD', '2026-01-01');
    const view = tranchesOf(plan, [{ transactionId: 't2', valueDate: '2026-03-01', amount: d('3000') }, { transactionId: null, valueDate: '2026-01-01', amount: d('4000') }]);
    expect([view.approvedPrincipal.toFixed(2), view.disbursed.toFixed(2), view.undisbursed.toFixed(2)]).toEqual(['10000.00', '7000.00', '3000.00']);
    expect(view.tranches.map((t) => [t.number, t.status, t.expectedDate, t.expectedAmount?.toFixed(2), t.paidDate, t.paidAmount?.toFixed(2) ?? null, t.transactionId])).toEqual([
      [1, 'paid', '2026-01-01', '4000.00', '2026-01-01', '4000.00', null],
      [2, 'paid', '2026-02-15', '3000.00', '2026-03-01', '3000.00', 't2'],
      [3, 'planned', '2026-05-01', '3000.00', null, null, null],
    ]);
  });
});

describe('a tranche on the books', () => {
  it('is posted as a disbursement journal named after the tranche', () => {
    const booked = journalsToPost({ disbursementDate: '2026-01-01', replayedTo: '2026-03-01', posted: [] }, replayLoan(loanT(), [HISTORY[0]!], '2026-03-01').journals, [], '2026-03-01');
    const posted = booked.flatMap((j) => j.lines.map((l) => ({ valueDate: j.valueDate, account: l.account, net: l.debit.minus(l.credit) })));
    const toPost = journalsToPost({ disbursementDate: '2026-01-01', replayedTo: '2026-03-01', posted }, replayLoan(loanT(), HISTORY, '2026-03-01').journals, [{ id: 't2', kind: 'tranche', valueDate: '2026-03-01' }], '2026-03-01');
    expect(toPost.map((j) => [j.kind, j.valueDate, j.narrative, j.transactionId, j.lines.map((l) => `${l.account} ${l.debit.toFixed(2)} ${l.credit.toFixed(2)}`)])).toEqual([
      ['disbursement', '2026-03-01', 'Tranche disbursed', 't2', ['1000 0.00 3000.00', '1100 3000.00 0.00']],
    ]);
  });

  it('has its own statement line, and the statement still reconciles to the replay', () => {
    const statement = loanStatement({ loan: loanT(), transactions: HISTORY, from: '2026-02-15', to: '2026-03-31' });
    const line = statement.lines.find((l) => l.kind === 'tranche')!;
    expect([line.date, line.transactionId, line.amount.toFixed(2), line.movement.principal.toFixed(2), line.description])
      .toEqual(['2026-03-01', 't2', '3000.00', '3000.00', 'Tranche paid out; 4 instalments regenerated, now 1459.04 each']);
    expect(statement.opening.principal.toFixed(2)).toBe('3349.81');
    expect(statement.closing.principal.toFixed(2)).toBe('6349.81');
  });
});
