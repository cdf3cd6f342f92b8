// Refunds of held excess, payoff quotes and payoffs: exact cases on the small loan of loanAccount.test.ts.
//
// The loan: USD 1,200 at 12 % a year, 3 monthly instalments, disbursed 2026-01-01, first due 2026-02-01, a fee of
// 5.00 with every instalment; interest per repayment period (1 % a month), Actual/365 for broken periods.
//   #1 2026-02-01  interest 12.00  principal 396.03  fee 5  total 413.03  left 803.97
//   #2 2026-03-01  interest  8.04  principal 399.99  fee 5  total 413.03  left 403.98
//   #3 2026-04-01  interest  4.04  principal 403.98  fee 5  total 413.02  left   0.00
// Interest earned in a period by a date is the period's interest pro rata to the days elapsed (prepayment.ts).
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal } from '../../../src/domain/money.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL, PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE, type AllocationRule } from '../../../src/domain/servicing/allocation.js';
import { loanReceivables, STANDARD_MAPPING, trialBalance, type Journal } from '../../../src/domain/servicing/ledger.js';
import { payoffQuote, replayLoan, type LoanAccount, type LoanAccountState, type LoanTransaction, type PayoffQuote } from '../../../src/domain/servicing/loanAccount.js';
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

const pay = (id: string, valueDate: string, amount: string): LoanTransaction => ({ kind: 'repayment', id, valueDate, amount });
const refund = (id: string, valueDate: string, amount: string): LoanTransaction => ({ kind: 'refund', id, valueDate, amount, channel: 'bank-transfer', externalRef: `ref-${id}` });
const payoff = (id: string, valueDate: string, amount: string): LoanTransaction => ({ kind: 'payoff', id, valueDate, amount, channel: 'bank-transfer' });
const journalLines = (journal: Journal) => journal.lines.map((l) => [l.account, l.debit.toFixed(2), l.credit.toFixed(2)]);
const quoted = (q: PayoffQuote) => [q.principal, q.interest, q.fees, q.penalties, q.held, q.total].map((d) => d.toFixed(2));

function fieldOf(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidField) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected an InvalidField');
}

/** The sub-ledger equals the replayed receivables and held money; every journal balances. */
function reconciles(state: LoanAccountState): void {
  const ledger = loanReceivables(state.journals, state.loanId, state.asOf);
  for (const c of ['principal', 'interest', 'fee', 'penalty'] as const) expect(ledger[c].toFixed(2)).toBe(state.totals.receivable[c].toFixed(2));
  expect(ledger.excess.toFixed(2)).toBe(state.held.advance.plus(state.held.excess).toFixed(2));
  expect(ledger.interestInAdvance.toFixed(2)).toBe(state.interestInAdvance.toFixed(2));
  for (const journal of state.journals) {
    expect(journal.lines.reduce((s, l) => s.plus(l.debit), new Decimal(0)).equals(journal.lines.reduce((s, l) => s.plus(l.credit), new Decimal(0)))).toBe(true);
  }
}

const RECEIVABLE_ACCOUNTS = [STANDARD_MAPPING.principalReceivable, STANDARD_MAPPING.interestReceivable, STANDARD_MAPPING.feeReceivable, STANDARD_MAPPING.penaltyReceivable];

describe('refunds of held excess', () => {
  // 1,300.00 on 2026-02-01 pays all three instalments (1,239.08) and leaves 60.92 as excess.
  const overpaid = pay('p1', '2026-02-01', '1300');

  it('pays the excess back: Dr excess, Cr cash, and nothing is held afterwards', () => {
    const state = replayLoan(loan(), [overpaid, refund('r1', '2026-02-05', '60.92')], '2026-02-10');
    expect(state.refunds).toEqual([{ refundId: 'r1', valueDate: '2026-02-05', amount: new Decimal('60.92'), refundable: new Decimal('60.92') }]);
    expect(journalLines(state.journals.at(-1)!)).toEqual([['2100', '60.92', '0.00'], ['1000', '0.00', '60.92']]);
    expect(state.held.excess.isZero()).toBe(true);
    expect(state.status).toBe('closed');
    reconciles(state);
  });

  it('refuses more than the excess held on its value date, saying how much is refundable', () => {
    expect(fieldOf(() => replayLoan(loan(), [overpaid, refund('r1', '2026-02-05', '61')], '2026-02-10'))).toEqual({
      field: 'transactions.r1.amount',
      message: 'only 60.92 USD of excess is held on 2026-02-05 to refund; the refund asks for 61.00',
    });
    // Valued before the money arrived, there is nothing to refund.
    expect(fieldOf(() => replayLoan(loan(), [overpaid, refund('r1', '2026-01-20', '10')], '2026-02-10')).field).toBe('transactions.r1.amount');
  });

  it('an advance held for instalments not yet due is not excess and cannot be refunded', () => {
    const early = pay('p1', '2026-01-20', '500');
    expect(fieldOf(() => replayLoan(loan(PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE), [early, refund('r1', '2026-01-25', '1')], '2026-01-31')).message).toMatch(/^only 0\.00 USD/);
  });

  it('a reversal that would undo money already refunded fails on the refund', () => {
    const transactions = [overpaid, refund('r1', '2026-02-05', '60.92'), { kind: 'reversal' as const, id: 'x1', reverses: 'p1', valueDate: '2026-02-10' }];
    // Before the reversal is entered the books stand; from its date the payment is gone and so is the excess refunded.
    expect(replayLoan(loan(), transactions, '2026-02-09').status).toBe('closed');
    expect(fieldOf(() => replayLoan(loan(), transactions, '2026-02-10'))).toEqual({
      field: 'transactions.r1.amount',
      message: 'only 0.00 USD of excess is held on 2026-02-05 to refund; the refund asks for 60.92',
    });
  });
});

describe('payoff quotes', () => {
  it('mid-period: principal owed plus the interest the current period has earned; later interest and fees are not owed', () => {
    // After #1 is paid: principal 803.97. #2 runs 2026-02-01 → 2026-03-01 (28 days); by 2026-02-15 it has earned
    // 14/28 of 8.04 = 4.02. Fees of #2 and #3 are not yet due. 803.97 + 4.02 = 807.99.
    const quote = payoffQuote(loan(), [pay('p1', '2026-02-01', '413.03')], '2026-02-15');
    expect(quote.date).toBe('2026-02-15');
    expect(quoted(quote)).toEqual(['803.97', '4.02', '0.00', '0.00', '0.00', '807.99']);
  });

  it('with instalments overdue: their interest and fees in full, plus the current period pro rata', () => {
    // Nothing paid by 2026-03-10: #1 and #2 are due (interest 12.00 + 8.04, fees 10.00). #3 runs 2026-03-01 →
    // 2026-04-01 (31 days); 9 days earn 4.04 × 9 / 31 = 1.1729 → 1.17. Interest 21.21; 1,200 + 21.21 + 10 = 1,231.21.
    expect(quoted(payoffQuote(loan(), [], '2026-03-10'))).toEqual(['1200.00', '21.21', '10.00', '0.00', '0.00', '1231.21']);
  });

  it('on a due date that period is earned in full and the next has earned nothing', () => {
    // 2026-02-01: #1 falls due (12.00 + 5.00 + 396.03); #2 has earned 0 days. 1,200 + 12 + 5 = 1,217.00.
    expect(quoted(payoffQuote(loan(), [], '2026-02-01'))).toEqual(['1200.00', '12.00', '5.00', '0.00', '0.00', '1217.00']);
  });

  it('credits held money, and after maturity is simply what is owed', () => {
    // 500 held as an advance on 2026-01-20; on 2026-01-25 the first period (31 days) has earned 24 days of 12.00
    // = 9.29. 1,200 + 9.29 − 500 = 709.29.
    const held = payoffQuote(loan(PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE), [pay('p1', '2026-01-20', '500')], '2026-01-25');
    expect(quoted(held)).toEqual(['1200.00', '9.29', '0.00', '0.00', '500.00', '709.29']);
    expect(quoted(payoffQuote(loan(), [], '2026-05-01'))).toEqual(['1200.00', '24.08', '15.00', '0.00', '0.00', '1239.08']);
  });

  it('interest deferred by a grace on interest is earned as it accrues, and owed on payoff', () => {
    // With one period of grace on interest #1 asks for no interest and #2 for 8.04 + the deferred 12.00 (schedule.ts).
    // #1 paid (396.03 + 5.00); by 2026-02-15: 803.97 + 12.00 deferred + 4.02 earned in #2's period = 819.99.
    const grace: LoanAccount = { ...loan(), terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3, fees: { perInstalment: '5' }, grace: { interestPeriods: 1 } }) };
    expect(quoted(payoffQuote(grace, [pay('p1', '2026-02-01', '401.03')], '2026-02-15'))).toEqual(['803.97', '16.02', '0.00', '0.00', '0.00', '819.99']);
  });

  it('interest paid ahead beyond what has been earned is credited back', () => {
    // 413.03 on 2026-02-01 pays #1; a further 413.03 on 2026-02-05 pays #2 ahead (fee 5.00, interest 8.04,
    // principal 399.99). By 2026-02-15 #2 has earned only 4.02: the other 4.02 of interest and the 5.00 fee were
    // never earned and come back as held money. Owed: principal 403.98, interest 4.02 (earned, already paid).
    // 403.98 − 9.02 held = 394.96.
    const quote = payoffQuote(loan(), [pay('p1', '2026-02-01', '413.03'), pay('p2', '2026-02-05', '413.03')], '2026-02-15');
    expect(quoted(quote)).toEqual(['403.98', '0.00', '0.00', '0.00', '9.02', '394.96']);
  });
});

describe('payoff', () => {
  const paid = pay('p1', '2026-02-01', '413.03');

  it('paying the quote closes the loan; every receivable is zero in the state and in the trial balance', () => {
    const state = replayLoan(loan(), [paid, payoff('po', '2026-02-15', '807.99')], '2026-02-15');
    expect(state.status).toBe('closed');
    for (const c of ['principal', 'interest', 'fee', 'penalty'] as const) {
      expect(state.totals.receivable[c].isZero()).toBe(true);
      expect(state.totals.outstanding[c].isZero()).toBe(true);
    }
    // The schedule collapsed: #2 due on the payoff date with the interest earned; #3 is gone.
    expect(state.instalments.map((i) => [i.number, i.dueDate, i.charged.principal.toFixed(2), i.charged.interest.toFixed(2), i.charged.fee.toFixed(2)])).toEqual([
      [1, '2026-02-01', '396.03', '12.00', '5.00'],
      [2, '2026-02-15', '803.97', '4.02', '0.00'],
    ]);
    expect(state.payoffs).toEqual([{
      payoffId: 'po', valueDate: '2026-02-15', amount: new Decimal('807.99'),
      quote: payoffQuote(loan(), [paid], '2026-02-15'),
      // 8.04 + 4.04 − 4.02 of interest, and the fees of #2 and #3.
      cancelled: { interest: new Decimal('8.06'), fee: new Decimal('10') },
      excess: new Decimal(0),
    }]);
    expect(state.journals.slice(-2).map(journalLines)).toEqual([
      [['1110', '4.02', '0.00'], ['4000', '0.00', '4.02']],
      [['1110', '0.00', '4.02'], ['1100', '0.00', '803.97'], ['1000', '807.99', '0.00']],
    ]);
    const balances = trialBalance(state.journals, '2026-02-15').filter((row) => RECEIVABLE_ACCOUNTS.includes(row.account));
    expect(balances.every((row) => row.balance.isZero())).toBe(true);
    reconciles(state);
    // Nothing falls due later: still closed, no new journals.
    expect(replayLoan(loan(), [paid, payoff('po', '2026-02-15', '807.99')], '2026-06-30').journals).toEqual(state.journals);
  });

  it('over-paid, the rest is held as excess; refunding it leaves nothing', () => {
    const over = replayLoan(loan(), [paid, payoff('po', '2026-02-15', '850')], '2026-02-15');
    expect(over.status).toBe('closed');
    expect(over.held.excess.toFixed(2)).toBe('42.01'); // 850.00 − 807.99
    expect(over.payoffs[0]!.excess.toFixed(2)).toBe('42.01');
    reconciles(over);
    const refunded = replayLoan(loan(), [paid, payoff('po', '2026-02-15', '850'), refund('r1', '2026-02-20', '42.01')], '2026-02-20');
    expect(refunded.held.excess.isZero() && refunded.held.advance.isZero()).toBe(true);
    const cash = trialBalance(refunded.journals, '2026-02-20').find((row) => row.account === STANDARD_MAPPING.cash)!;
    // Out 1,200.00, in 413.03 + 850.00, back 42.01: 21.02 more than lent, the 12.00 + 4.02 interest and 5.00 fee earned.
    expect(cash.balance.toFixed(2)).toBe('21.02');
    reconciles(refunded);
  });

  it('below the quote is refused, naming the payoff amount', () => {
    expect(fieldOf(() => replayLoan(loan(), [paid, payoff('po', '2026-02-15', '807.98')], '2026-02-15'))).toEqual({
      field: 'transactions.po.amount',
      message: 'the payoff amount must be at least 807.99 USD on 2026-02-15 (the payoff quote); it is 807.98',
    });
  });

  it('draws on held money first, so an advance counts towards it', () => {
    const rule = PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE;
    const state = replayLoan(loan(rule), [pay('p1', '2026-01-20', '500'), payoff('po', '2026-01-25', '709.29')], '2026-01-25');
    expect(state.status).toBe('closed');
    expect(state.held.advance.plus(state.held.excess).isZero()).toBe(true);
    reconciles(state);
  });

  it('a backdated repayment lowers the quote so that a payoff entered before it stands; reversing the payoff reopens the loan', () => {
    const transactions = [payoff('po', '2026-02-15', '807.99'), paid];
    // Without #1 paid the quote on 2026-02-15 is 1,200 + 12 + 4.02 + 5 = 1,221.02: the payoff alone would be short.
    expect(fieldOf(() => replayLoan(loan(), [payoff('po', '2026-02-15', '807.99')], '2026-02-15')).field).toBe('transactions.po.amount');
    expectSameAccount(replayLoan(loan(), transactions, '2026-02-15'), replayLoan(loan(), [paid, payoff('po', '2026-02-15', '807.99')], '2026-02-15'));
    const reopened = replayLoan(loan(), [...transactions, { kind: 'reversal', id: 'x', reverses: 'po', valueDate: '2026-03-05' }], '2026-03-05');
    expect(reopened.status).toBe('overdue');
    expect(reopened.payoffs).toEqual([]);
    expect(reopened.instalments).toHaveLength(3);
  });
});
