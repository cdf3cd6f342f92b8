// What the posting engine posts after a replay, and where the loan's stored status moves: exact cases, no database.
//
// The loan (as in loanAccount.test.ts): USD 1,200 at 12 % a year, 3 monthly instalments, disbursed 2026-01-01,
// first due 2026-02-01, a fee of 5.00 with every instalment.
//   #1 2026-02-01  interest 12.00  principal 396.03  fee 5  total 413.03
//   #2 2026-03-01  interest  8.04  principal 399.99  fee 5  total 413.03
// Standard chart: 1000 cash, 1100 principal receivable, 1110 interest receivable, 1120 fee receivable,
// 4000 interest income, 4100 fee income.
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/domain/money.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../../src/domain/servicing/allocation.js';
import {
  journalsToPost, statusAfterReplay, type JournalToPost, type NewTransaction, type PostedNet,
} from '../../../src/domain/servicing/journalsToPost.js';
import { replayLoan, type LoanAccount, type LoanTransaction } from '../../../src/domain/servicing/loanAccount.js';
import { IllegalLoanTransition, type LoanStatus } from '../../../src/domain/servicing/loanStatus.js';
import { loanTerms } from '../../../src/domain/servicing/product.js';

const loan: LoanAccount = {
  id: 'loan-1',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3, fees: { perInstalment: '5' } }),
  rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
  principal: '1200',
  disbursementDate: '2026-01-01',
  firstRepaymentDate: '2026-02-01',
};

const repayment = (id: string, valueDate: string, amount: string): LoanTransaction & NewTransaction =>
  ({ kind: 'repayment', id, valueDate, amount, externalRef: `ref-${id}`, externalReference: `ref-${id}` });
const reversalOf = (id: string, valueDate: string, reverses: string): LoanTransaction & NewTransaction => ({ kind: 'reversal', id, valueDate, reverses });

/** What the ledger holds once these journals are posted, line by line (as the stored journal lines sum up). */
const postedOf = (...batches: JournalToPost[][]): PostedNet[] =>
  batches.flat().flatMap((j) => j.lines.map((l) => ({ valueDate: j.valueDate, account: l.account, net: l.debit.minus(l.credit) })));

/** [kind, date, narrative, transaction, lines as "account debit credit"]. */
const shown = (journals: JournalToPost[]) =>
  journals.map((j) => [j.kind, j.valueDate, j.narrative, j.transactionId, j.lines.map((l) => `${l.account} ${l.debit.toFixed(2)} ${l.credit.toFixed(2)}`)]);

const book = (businessDate: string) => journalsToPost(
  { disbursementDate: '2026-01-01', replayedTo: businessDate, posted: [] }, replayLoan(loan, [], businessDate).journals, [], businessDate,
);

describe('the journals a replay adds to the ledger', () => {
  it('nothing posted yet: the disbursement, and every instalment fallen due since as an accrual', () => {
    expect(shown(book('2026-02-15'))).toEqual([
      ['disbursement', '2026-01-01', 'Disbursement', null, ['1000 0.00 1200.00', '1100 1200.00 0.00']],
      // Booked after the first due date: still an accrual, not a correction (there was nothing to correct).
      ['accrual', '2026-02-01', 'Instalments falling due', null, ['1110 12.00 0.00', '1120 5.00 0.00', '4000 0.00 12.00', '4100 0.00 5.00']],
    ]);
  });

  it('already fully posted: nothing', () => {
    const posted = postedOf(book('2026-02-15'));
    const replayed = replayLoan(loan, [], '2026-02-15').journals;
    expect(journalsToPost({ disbursementDate: '2026-01-01', replayedTo: '2026-02-15', posted }, replayed, [], '2026-02-15')).toEqual([]);
  });

  it('a repayment posts its own journal, named after it, netted against the accrual already posted that day', () => {
    const posted = postedOf(book('2026-02-01'));
    const pay = repayment('p1', '2026-02-01', '413.03');
    const replayed = replayLoan(loan, [pay], '2026-02-01').journals;
    expect(shown(journalsToPost({ disbursementDate: '2026-01-01', replayedTo: '2026-02-01', posted }, replayed, [pay], '2026-02-01'))).toEqual([
      ['posting', '2026-02-01', 'Repayment ref-p1', 'p1', ['1000 413.03 0.00', '1100 0.00 396.03', '1110 0.00 12.00', '1120 0.00 5.00']],
    ]);
  });

  it('a reversal posts a correction on the reversed payment\'s date, caused by (and carrying) the reversal', () => {
    const pay = repayment('p1', '2026-02-01', '413.03');
    const booked = book('2026-02-01');
    const paid = journalsToPost(
      { disbursementDate: '2026-01-01', replayedTo: '2026-02-01', posted: postedOf(booked) }, replayLoan(loan, [pay], '2026-02-01').journals, [pay], '2026-02-01',
    );
    const undo = reversalOf('r1', '2026-02-10', 'p1');
    const replayed = replayLoan(loan, [pay, undo], '2026-02-10').journals;
    const corrections = journalsToPost({ disbursementDate: '2026-01-01', replayedTo: '2026-02-10', posted: postedOf(booked, paid) }, replayed, [undo], '2026-02-10');
    expect(shown(corrections)).toEqual([
      ['correction', '2026-02-01', 'Replayed after reversal valued 2026-02-10', 'r1', ['1000 0.00 413.03', '1100 396.03 0.00', '1110 12.00 0.00', '1120 5.00 0.00']],
    ]);
  });

  it('a backdated repayment posts on its own date even though that date was already replayed', () => {
    const posted = postedOf(book('2026-02-10'));
    const pay = repayment('p1', '2026-02-01', '413.03');
    const replayed = replayLoan(loan, [pay], '2026-02-10').journals;
    expect(shown(journalsToPost({ disbursementDate: '2026-01-01', replayedTo: '2026-02-10', posted }, replayed, [pay], '2026-02-10'))).toEqual([
      ['posting', '2026-02-01', 'Repayment ref-p1', 'p1', ['1000 413.03 0.00', '1100 0.00 396.03', '1110 0.00 12.00', '1120 0.00 5.00']],
    ]);
  });

  it('an instalment falling due after the last replay posts an accrual, with no transaction', () => {
    const posted = postedOf(book('2026-02-15'));
    const replayed = replayLoan(loan, [], '2026-03-15').journals;
    expect(shown(journalsToPost({ disbursementDate: '2026-01-01', replayedTo: '2026-02-15', posted }, replayed, [], '2026-03-15'))).toEqual([
      ['accrual', '2026-03-01', 'Instalments falling due', null, ['1110 8.04 0.00', '1120 5.00 0.00', '4000 0.00 8.04', '4100 0.00 5.00']],
    ]);
  });

  it('a difference on a past date with no new transaction is a correction dated by the business date', () => {
    // The ledger holds 1.00 of fee on 2026-02-01 that the replay does not: taken back where it was posted.
    const posted = [...postedOf(book('2026-02-15')), { valueDate: '2026-02-01', account: '1120', net: new Decimal('1') }, { valueDate: '2026-02-01', account: '4100', net: new Decimal('-1') }];
    const replayed = replayLoan(loan, [], '2026-02-15').journals;
    expect(shown(journalsToPost({ disbursementDate: '2026-01-01', replayedTo: '2026-02-15', posted }, replayed, [], '2026-02-15'))).toEqual([
      ['correction', '2026-02-01', 'Replayed after repayment valued 2026-02-15', null, ['1120 0.00 1.00', '4100 1.00 0.00']],
    ]);
  });

  it('every journal it returns balances', () => {
    for (const journal of book('2026-04-15')) {
      const debits = journal.lines.reduce((s, l) => s.plus(l.debit), new Decimal(0));
      const credits = journal.lines.reduce((s, l) => s.plus(l.credit), new Decimal(0));
      expect(debits.toFixed(2)).toBe(credits.toFixed(2));
    }
  });
});

describe('the stored status after a replay', () => {
  // [stored status, what the replay says, where the loan moves ('refused' = IllegalLoanTransition)]
  const WALK: [LoanStatus, 'active' | 'overdue' | 'closed' | 'written_off', LoanStatus | 'refused'][] = [
    ['approved', 'active', 'active'],
    ['approved', 'overdue', 'overdue'],
    ['approved', 'closed', 'closed'],
    ['active', 'active', 'active'],
    ['active', 'overdue', 'overdue'],
    ['active', 'closed', 'closed'],
    ['overdue', 'active', 'active'],
    ['overdue', 'overdue', 'overdue'],
    ['overdue', 'closed', 'closed'],
    // A payment reversed after closing reopens the loan, overdue if anything is past due.
    ['closed', 'active', 'active'],
    ['closed', 'overdue', 'overdue'],
    ['closed', 'closed', 'closed'],
    // Written off in full, by hand or by rule, from wherever the money left it (a closed loan reopened first).
    ['active', 'written_off', 'written_off'],
    ['overdue', 'written_off', 'written_off'],
    ['closed', 'written_off', 'written_off'],
    ['written_off', 'written_off', 'written_off'],
    // The write-off reversed: the loan is reinstated, as its money says.
    ['written_off', 'active', 'active'],
    ['written_off', 'overdue', 'overdue'],
    ['written_off', 'closed', 'closed'],
    // A loan is never booked written off: the booking's replay has nothing to write off yet.
    ['approved', 'written_off', 'written_off'],
  ];

  it.each(WALK)('%s, replayed %s → %s', (from, replayed, expected) => {
    if (expected === 'refused') expect(() => statusAfterReplay(from, replayed)).toThrow(IllegalLoanTransition);
    else expect(statusAfterReplay(from, replayed)).toBe(expected);
  });

  it('active → overdue → closed, and back to active when the closing payment is reversed', () => {
    const overdue = statusAfterReplay('active', 'overdue');
    const closed = statusAfterReplay(overdue, 'closed');
    expect([overdue, closed, statusAfterReplay(closed, 'active')]).toEqual(['overdue', 'closed', 'active']);
  });
});
