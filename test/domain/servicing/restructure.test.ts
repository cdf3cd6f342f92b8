// Restructures, exact cases on the small loan of loanAccount.test.ts: USD 1,200 at 12 % a year, 3 monthly
// instalments from 2026-02-01, a fee of 5.00 with every instalment; nothing paid.
//   #1 2026-02-01  fee 5  interest 12.00  principal 396.03
//   #2 2026-03-01  fee 5  interest  8.04  principal 399.99
//   #3 2026-04-01  fee 5  interest  4.04  principal 403.98
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../../src/domain/servicing/allocation.js';
import { replayLoan, type LoanAccount, type LoanTransaction } from '../../../src/domain/servicing/loanAccount.js';
import { loanTerms } from '../../../src/domain/servicing/product.js';

const loan: LoanAccount = {
  id: 'loan-r',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3, fees: { perInstalment: '5' } }),
  rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
  principal: '1200',
  disbursementDate: '2026-01-01',
  firstRepaymentDate: '2026-02-01',
};
const restructure = (extra: Partial<Extract<LoanTransaction, { kind: 'restructure' }>> = {}): LoanTransaction => ({ kind: 'restructure', id: 'r1', valueDate: '2026-02-10', capitaliseArrears: true, ...extra });
const plan = (state: ReturnType<typeof replayLoan>) => state.instalments.map((i) => [i.number, i.dueDate, i.charged.principal.toFixed(2), i.charged.interest.toFixed(2), i.charged.fee.toFixed(2)]);

describe('a restructure', () => {
  it('capitalising the arrears re-ages the loan: #1\'s 413.03 becomes principal of the instalments still to come, and nothing is past due', () => {
    const state = replayLoan(loan, [restructure()], '2026-02-10');
    const [r] = state.restructures;
    expect([r!.capitalised.principal, r!.capitalised.interest, r!.capitalised.fee, r!.capitalised.penalty].map((d) => d.toFixed(2))).toEqual(['396.03', '12.00', '5.00', '0.00']);
    expect(state.daysPastDue).toBe(0);
    expect(state.status).toBe('active');
    expect(state.restructuredOn).toBe('2026-02-10');
    // #1 keeps nothing; 1,217.00 of principal over #2 and #3 as before (2 instalments), at 12 %.
    expect(state.instalments[0]!.charged.principal.plus(state.instalments[0]!.charged.interest).plus(state.instalments[0]!.charged.fee).toFixed(2)).toBe('0.00');
    expect(state.totals.outstanding.principal.toFixed(2)).toBe('1217.00');
    expect(state.instalments.slice(1).map((i) => i.dueDate)).toEqual(['2026-03-01', '2026-04-01']);
    // The interest and fee capitalised move from their receivables to principal's.
    const journal = state.journals.find((j) => j.valueDate === '2026-02-10' && j.lines.some((l) => l.account === '1100' && l.debit.gt(0)))!;
    expect(journal.lines.map((l) => [l.account, l.debit.toFixed(2), l.credit.toFixed(2)]).sort()).toEqual([['1100', '17.00', '0.00'], ['1110', '0.00', '12.00'], ['1120', '0.00', '5.00']]);
  });

  it('leaving the arrears due changes only what is still to come: #1 stays past due', () => {
    const state = replayLoan(loan, [restructure({ capitaliseArrears: false, annualRatePercent: '0', instalments: 4 })], '2026-02-10');
    expect(state.daysPastDue).toBe(9);
    expect(plan(state)[0]).toEqual([1, '2026-02-01', '396.03', '12.00', '5.00']);
    // 803.97 over four instalments at 0 %: only the interest #2's period earned before the 10th (9 of 28 days of 8.04).
    expect(plan(state).slice(1)).toEqual([
      [2, '2026-03-01', '200.99', '2.58', '5.00'], [3, '2026-04-01', '200.99', '0.00', '5.00'], [4, '2026-05-01', '200.99', '0.00', '5.00'], [5, '2026-06-01', '201.00', '0.00', '5.00'],
    ]);
  });

  it('a payment holiday moves every due date by its periods; its interest accrues onto the first instalment after it, or is waived', () => {
    const accrued = replayLoan(loan, [restructure({ valueDate: '2026-01-20', capitaliseArrears: false, holidayPeriods: 2, holidayInterest: 'accrue' })], '2026-05-31');
    const waived = replayLoan(loan, [restructure({ valueDate: '2026-01-20', capitaliseArrears: false, holidayPeriods: 2, holidayInterest: 'waive' })], '2026-05-31');
    for (const state of [accrued, waived]) expect(state.instalments.map((i) => i.dueDate)).toEqual(['2026-04-01', '2026-05-01', '2026-06-01']);
    // Nothing fell due in the holiday: on 31 March the loan is not past due.
    expect(replayLoan(loan, [restructure({ valueDate: '2026-01-20', capitaliseArrears: false, holidayPeriods: 2 })], '2026-03-31').daysPastDue).toBe(0);
    // Waived: the first instalment earns 19 days before the holiday (19/31 of 12.00 = 7.35) and one period after it (12.00).
    expect(waived.instalments[0]!.charged.interest.toFixed(2)).toBe('19.35');
    expect(accrued.instalments[0]!.charged.interest.gt(waived.instalments[0]!.charged.interest.plus(15))).toBe(true);
  });

  it('an interest-only loan restructured amortizes from its first new instalment, and a prepayment after keeps it so', () => {
    const interestOnly: LoanAccount = { ...loan, terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 6, amortization: { kind: 'interest-only', periods: 3, then: 'equal-instalments' } }) };
    const transactions: LoanTransaction[] = [
      restructure({ valueDate: '2026-01-20', capitaliseArrears: false }),
      { kind: 'prepayment', id: 'p1', valueDate: '2026-03-10', amount: '300', reschedule: 'reduceInstalment' },
    ];
    const state = replayLoan(interestOnly, transactions, '2026-03-10');
    // Every instalment after the restructure repays principal, before and after the prepayment regenerated them.
    expect(state.instalments.every((i) => i.charged.principal.gt(0))).toBe(true);
    expect(replayLoan(interestOnly, transactions.slice(0, 1), '2026-01-20').instalments.every((i) => i.charged.principal.gt(0))).toBe(true);
  });

  it('refuses what it cannot do, naming the field', () => {
    const refused = (t: LoanTransaction, asOf = '2026-02-10') => {
      try {
        replayLoan(loan, [t], asOf);
        return null;
      } catch (error) {
        return error instanceof InvalidField ? error.field : error;
      }
    };
    expect(refused(restructure({ instalments: 0 }))).toBe('transactions.r1.instalments');
    // #1 is behind the date: 1,199 can follow it, not 1,200.
    expect(refused(restructure({ instalments: 1200 }))).toBe('transactions.r1.instalments');
    expect(refused(restructure({ instalments: 1199 }))).toBeNull();
    expect(refused(restructure({ holidayPeriods: 25 }))).toBe('transactions.r1.holidayPeriods');
    expect(refused(restructure({ annualRatePercent: '-1' }))).toBe('transactions.r1.annualRatePercent');
    // After maturity with only arrears left, there is nothing to schedule unless they are capitalised.
    expect(refused(restructure({ valueDate: '2026-04-10', capitaliseArrears: false }), '2026-04-10')).toBe('transactions.r1.capitaliseArrears');
    expect(refused(restructure({ valueDate: '2026-04-10' }), '2026-04-10')).toBeNull();
  });
});
