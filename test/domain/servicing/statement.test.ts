// Loan statements: exact cases on the small loan of loanAccount.test.ts, arithmetic written out.
//
// The loan: USD 1,200 at 12 % a year, 3 monthly instalments from 2026-02-01, a fee of 5.00 with every instalment;
// penalties, fees, interest, principal, prepayments paying the next instalments.
//   #1 2026-02-01  fee 5  interest 12.00  principal 396.03  total 413.03
//   #2 2026-03-01  fee 5  interest  8.04  principal 399.99  total 413.03
//   #3 2026-04-01  fee 5  interest  4.04  principal 403.98  total 413.02
//
// Its transactions, in the order they arrived:
//   p1  repayment 413.03 on 2026-02-01 (the due date)
//   p2  repayment 200.00 on 2026-03-05 (late)
//   c1  penalty 10.00 valued 2026-03-04: arrived after p2, so backdated; goes on #3, the next instalment due
//   w1  waiver of 4.00 of penalty on 2026-03-10
//   p3  repayment 300.00 on 2026-03-20
//   r2  reversal of p2 on 2026-03-25 (the payment bounced)
//   p4  repayment 250.00 valued 2026-03-15, arrived last: backdated
//
// Balances are the replay's receivables (interest once due, fees once due or paid early) less money held, interest
// paid before its instalment falls due included (it is held until then, not income).
//   2026-01-01 disbursed                       1,200.00
//   2026-02-01 #1 due: +12.00 interest +5 fee  1,217.00
//   2026-02-01 p1 pays #1 in full: −413.03       803.97
//   2026-03-01 #2 due: +8.04 +5                  817.01
//   2026-03-04 c1 +10.00 penalty                 827.01
//   2026-03-05 p2: #2 fee 5, interest 8.04, principal 186.96 (200 − 13.04)              627.01
//   2026-03-10 w1: penalty 10 → 6                                                      623.01
//   2026-03-15 p4: #2 principal 213.03 (399.99 − 186.96); the 36.97 left goes to #3 (not yet due): penalty 6,
//              fee 5 (recognised as paid, so no change to that balance), interest 4.04 (held until #3 falls
//              due), principal 21.93. Total owed falls by 250 − 5.00 = 245.00           378.01 (4.04 held)
//   2026-03-20 p3: #3 principal 300.00                                                  78.01 (4.04 held)
//   2026-03-25 r2: without p2, p4 pays #2 (5 + 8.04 + 236.96) and p3 pays #2's last 163.03 and #3's penalty,
//              fee, interest and 121.93 principal: #3 has 200.00 less principal paid   278.01 (4.04 held)
//   2026-04-01 #3 due: its 4.04 interest is owed and the 4.04 held settles it           282.05
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal } from '../../../src/domain/money.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL, PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE, type AllocationRule } from '../../../src/domain/servicing/allocation.js';
import { replayLoan, type LoanAccount, type LoanTransaction } from '../../../src/domain/servicing/loanAccount.js';
import { loanTerms } from '../../../src/domain/servicing/product.js';
import { loanStatement, statementAmount, type LoanStatement, type StatementBalances, type StatementLine } from '../../../src/domain/servicing/statement.js';

const loan = (rule: AllocationRule = PENALTIES_FEES_INTEREST_PRINCIPAL): LoanAccount => ({
  id: 'loan-1',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3, fees: { perInstalment: '5' } }),
  rule,
  principal: '1200',
  disbursementDate: '2026-01-01',
  firstRepaymentDate: '2026-02-01',
});

const pay = (id: string, valueDate: string, amount: string): LoanTransaction => ({ kind: 'repayment', id, valueDate, amount });

const TRANSACTIONS: LoanTransaction[] = [
  pay('p1', '2026-02-01', '413.03'),
  pay('p2', '2026-03-05', '200'),
  { kind: 'charge', id: 'c1', valueDate: '2026-03-04', component: 'penalty', amount: '10' },
  { kind: 'waiver', id: 'w1', valueDate: '2026-03-10', component: 'penalty', amount: '4' },
  pay('p3', '2026-03-20', '300'),
  { kind: 'reversal', id: 'r2', reverses: 'p2', valueDate: '2026-03-25' },
  pay('p4', '2026-03-15', '250'),
];

/** [principal, interest, fee, penalty, held, total owed] as text. */
const figures = (b: StatementBalances) => [b.principal, b.interest, b.fee, b.penalty, b.held, b.totalOwed].map((d) => d.toFixed(2));
const row = (l: StatementLine) => [l.date, l.kind, l.transactionId, l.amount.toFixed(2), ...figures(l.balance)];
const allocation = (l: StatementLine) => l.allocation.map((a) => [a.instalment, a.as, a.component, a.amount.toFixed(2)]);
const line = (s: LoanStatement, id: string) => s.lines.find((l) => l.transactionId === id)!;

/** Opening plus every line's movement is the closing, exactly, field by field; each line's balance runs on. */
function reconciles(statement: LoanStatement): void {
  let running = statement.opening;
  for (const l of statement.lines) {
    const next = Object.fromEntries(Object.entries(running).map(([k, v]) => [k, v.plus(l.movement[k as keyof StatementBalances])])) as unknown as StatementBalances;
    expect(figures(next)).toEqual(figures(l.balance));
    running = next;
  }
  expect(figures(running)).toEqual(figures(statement.closing));
}

describe('a loan statement', () => {
  it('from disbursement: every event in value-date order with the balance after it', () => {
    const statement = loanStatement({ loan: loan(), transactions: TRANSACTIONS, from: '2026-01-01', to: '2026-04-30' });
    expect(figures(statement.opening)).toEqual(['0.00', '0.00', '0.00', '0.00', '0.00', '0.00']);
    expect(statement.lines.map(row)).toEqual([
      ['2026-01-01', 'disbursement', null, '1200.00', '1200.00', '0.00', '0.00', '0.00', '0.00', '1200.00'],
      ['2026-02-01', 'instalmentDue', null, '413.03', '1200.00', '12.00', '5.00', '0.00', '0.00', '1217.00'],
      ['2026-02-01', 'repayment', 'p1', '413.03', '803.97', '0.00', '0.00', '0.00', '0.00', '803.97'],
      ['2026-03-01', 'instalmentDue', null, '413.03', '803.97', '8.04', '5.00', '0.00', '0.00', '817.01'],
      ['2026-03-04', 'charge', 'c1', '10.00', '803.97', '8.04', '5.00', '10.00', '0.00', '827.01'],
      ['2026-03-05', 'repayment', 'p2', '200.00', '617.01', '0.00', '0.00', '10.00', '0.00', '627.01'],
      ['2026-03-10', 'waiver', 'w1', '4.00', '617.01', '0.00', '0.00', '6.00', '0.00', '623.01'],
      ['2026-03-15', 'repayment', 'p4', '250.00', '382.05', '0.00', '0.00', '0.00', '4.04', '378.01'],
      ['2026-03-20', 'repayment', 'p3', '300.00', '82.05', '0.00', '0.00', '0.00', '4.04', '78.01'],
      ['2026-03-25', 'reversal', 'r2', '200.00', '282.05', '0.00', '0.00', '0.00', '4.04', '278.01'],
      ['2026-04-01', 'instalmentDue', null, '413.02', '282.05', '0.00', '0.00', '0.00', '0.00', '282.05'],
    ]);
    expect(statement.lines.map((l) => l.description)).toEqual([
      'Loan disbursed',
      'Instalment 1 due',
      'Repayment received',
      'Instalment 2 due',
      'Penalty charged, due with instalment 3',
      'Repayment received',
      'Penalty waived',
      'Repayment received',
      'Repayment received',
      // What it reverses, by the id the API answers for it (base64 of "LoanTransaction:p2").
      'Reversal of repayment TG9hblRyYW5zYWN0aW9uOnAy of 2026-03-05',
      'Instalment 3 due',
    ]);
    expect(figures(statement.closing)).toEqual(['282.05', '0.00', '0.00', '0.00', '0.00', '282.05']);
    reconciles(statement);

    expect(allocation(line(statement, 'p1'))).toEqual([[1, 'paid', 'fee', '5.00'], [1, 'paid', 'interest', '12.00'], [1, 'paid', 'principal', '396.03']]);
    expect(allocation(line(statement, 'c1'))).toEqual([[3, 'charged', 'penalty', '10.00']]);
    expect(allocation(line(statement, 'w1'))).toEqual([[3, 'waived', 'penalty', '4.00']]);
    expect(allocation(line(statement, 'p4'))).toEqual([
      [2, 'paid', 'principal', '213.03'],
      [3, 'paid', 'penalty', '6.00'], [3, 'paid', 'fee', '5.00'], [3, 'paid', 'interest', '4.04'], [3, 'paid', 'principal', '21.93'],
    ]);
    // p4 paid 250.00 but total owed fell by 245.00: #3's fee (5.00) became owed as it was paid; #3's interest
    // (4.04) is not owed before 2026-04-01, so it is held, and on that date it settles the interest falling due.
    expect(figures(line(statement, 'p4').movement)).toEqual(['-234.96', '0.00', '0.00', '-6.00', '4.04', '-245.00']);
    expect(figures(statement.lines.at(-1)!.movement)).toEqual(['0.00', '0.00', '0.00', '0.00', '-4.04', '4.04']);
    // The reversal takes p2's 200.00 off #3's principal: the later payments moved up to fill #2 in its place.
    expect(allocation(line(statement, 'r2'))).toEqual([[3, 'paid', 'principal', '-200.00']]);
    expect(figures(line(statement, 'r2').movement)).toEqual(['200.00', '0.00', '0.00', '0.00', '0.00', '200.00']);

    // An auditor sees both: the reversed payment on its own date, saying when it was reversed, and the reversal.
    expect(line(statement, 'p2').reversedBy).toEqual({ id: 'r2', valueDate: '2026-03-25' });
    expect(line(statement, 'r2').reverses).toEqual({ id: 'p2', kind: 'repayment', valueDate: '2026-03-05', amount: new Decimal(200) });
    expect(statement.lines.filter((l) => l.backdated).map((l) => l.transactionId)).toEqual(['c1', 'p4']);

    // 413.03 + 200 + 250 + 300 − 200 received; paid by component adds up to the same (nothing held).
    expect(statement.totals.received.toFixed(2)).toBe('963.03');
    expect([statement.totals.paid.penalty, statement.totals.paid.fee, statement.totals.paid.interest, statement.totals.paid.principal].map((d) => d.toFixed(2))).toEqual(['6.00', '15.00', '24.08', '917.95']);
    expect(statement.totals.waived.penalty.toFixed(2)).toBe('4.00');
    expect(statement.totals.charged.penalty.toFixed(2)).toBe('10.00');
    // 1,200 − 917.95 principal paid = 282.05, all on #3, due 2026-04-01 and 29 days past due on 2026-04-30.
    expect(statement.status).toBe('overdue');
    expect(statement.daysPastDue).toBe(29);
    expect(statement.amountDue.toFixed(2)).toBe('282.05');
    expect(statement.nextInstalment).toBeNull();
  });

  it('mid-life: the opening is the replay of the day before, and a reversal names a payment from before the period', () => {
    const statement = loanStatement({ loan: loan(), transactions: TRANSACTIONS, from: '2026-03-10', to: '2026-03-31' });
    // As of 2026-03-09: p1, c1 and p2 (not yet reversed); p4 is valued later.
    expect(figures(statement.opening)).toEqual(['617.01', '0.00', '0.00', '10.00', '0.00', '627.01']);
    expect(statement.lines.map(row)).toEqual([
      ['2026-03-10', 'waiver', 'w1', '4.00', '617.01', '0.00', '0.00', '6.00', '0.00', '623.01'],
      ['2026-03-15', 'repayment', 'p4', '250.00', '382.05', '0.00', '0.00', '0.00', '4.04', '378.01'],
      ['2026-03-20', 'repayment', 'p3', '300.00', '82.05', '0.00', '0.00', '0.00', '4.04', '78.01'],
      ['2026-03-25', 'reversal', 'r2', '200.00', '282.05', '0.00', '0.00', '0.00', '4.04', '278.01'],
    ]);
    expect(line(statement, 'r2').reverses).toEqual({ id: 'p2', kind: 'repayment', valueDate: '2026-03-05', amount: new Decimal(200) });
    expect(figures(statement.closing)).toEqual(['282.05', '0.00', '0.00', '0.00', '4.04', '278.01']);
    reconciles(statement);
    expect(statement.totals.received.toFixed(2)).toBe('350.00'); // 250 + 300 − 200
    expect(statement.status).toBe('active');
    expect(statement.nextInstalment).toEqual({ number: 3, dueDate: '2026-04-01', amount: new Decimal('282.05') });
  });

  it('each day ends on that day’s replay, whichever way the statement reached it', () => {
    const statement = loanStatement({ loan: loan(), transactions: TRANSACTIONS, from: '2026-01-01', to: '2026-04-30' });
    const lastOfDay = new Map(statement.lines.map((l) => [l.date, l]));
    for (const [date, l] of lastOfDay) {
      const state = replayLoan(loan(), TRANSACTIONS, date);
      const r = state.totals.receivable;
      expect(figures(l.balance).slice(0, 5), date).toEqual([r.principal, r.interest, r.fee, r.penalty, state.held.advance.plus(state.held.excess).plus(state.interestInAdvance)].map((d) => d.toFixed(2)));
    }
  });

  it('money held as an advance is drawn on when the instalment falls due, on that instalment’s line', () => {
    const statement = loanStatement({ loan: loan(PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE), transactions: [pay('p1', '2026-01-20', '500')], from: '2026-01-01', to: '2026-02-28' });
    expect(statement.lines.map(row)).toEqual([
      ['2026-01-01', 'disbursement', null, '1200.00', '1200.00', '0.00', '0.00', '0.00', '0.00', '1200.00'],
      // Held, not applied: the borrower owes 1,200 less the 500 held.
      ['2026-01-20', 'repayment', 'p1', '500.00', '1200.00', '0.00', '0.00', '0.00', '500.00', '700.00'],
      // #1 falls due (+17.00 interest and fee) and 413.03 of the advance pays it; 86.97 stays held.
      ['2026-02-01', 'instalmentDue', null, '413.03', '803.97', '0.00', '0.00', '0.00', '86.97', '717.00'],
    ]);
    expect(allocation(statement.lines[1]!)).toEqual([]);
    expect(allocation(statement.lines[2]!)).toEqual([[1, 'paid', 'fee', '5.00'], [1, 'paid', 'interest', '12.00'], [1, 'paid', 'principal', '396.03']]);
    expect(figures(statement.lines[2]!.movement)).toEqual(['-396.03', '0.00', '0.00', '0.00', '-413.03', '17.00']);
    reconciles(statement);
  });

  it('a charge reversed in the period: both lines, nothing charged in total', () => {
    const transactions: LoanTransaction[] = [
      { kind: 'charge', id: 'c1', valueDate: '2026-02-10', component: 'fee', amount: '15' },
      { kind: 'reversal', id: 'r1', reverses: 'c1', valueDate: '2026-02-10' },
    ];
    const statement = loanStatement({ loan: loan(), transactions, from: '2026-02-05', to: '2026-02-20' });
    expect(figures(statement.opening)).toEqual(['1200.00', '12.00', '5.00', '0.00', '0.00', '1217.00']);
    expect(statement.lines.map(row)).toEqual([
      ['2026-02-10', 'charge', 'c1', '15.00', '1200.00', '12.00', '20.00', '0.00', '0.00', '1232.00'],
      ['2026-02-10', 'reversal', 'r1', '15.00', '1200.00', '12.00', '5.00', '0.00', '0.00', '1217.00'],
    ]);
    expect(statement.lines.map((l) => l.description)).toEqual(['Fee charged, due with instalment 2', 'Reversal of charge TG9hblRyYW5zYWN0aW9uOmMx of 2026-02-10']);
    expect(allocation(statement.lines[1]!)).toEqual([[2, 'charged', 'fee', '-15.00']]);
    expect(statement.totals.charged.fee.toFixed(2)).toBe('0.00');
    reconciles(statement);
  });

  it('a waiver no longer owed says so', () => {
    const transactions: LoanTransaction[] = [
      { kind: 'charge', id: 'c1', valueDate: '2026-04-05', component: 'penalty', amount: '10' },
      { kind: 'waiver', id: 'w1', valueDate: '2026-04-20', component: 'penalty', amount: '10' },
      pay('p1', '2026-04-10', '1252.08'),
    ];
    const statement = loanStatement({ loan: loan(), transactions, from: '2026-04-02', to: '2026-04-30' });
    expect(line(statement, 'w1').description).toBe('Penalty waived (10.00 no longer owed, not waived)');
    expect(figures(line(statement, 'w1').movement)).toEqual(['0.00', '0.00', '0.00', '0.00', '0.00', '0.00']);
    // 1,252.08 pays 1,239.08 of instalments and the 10.00 penalty; 3.00 is held for the borrower.
    expect(figures(statement.closing)).toEqual(['0.00', '0.00', '0.00', '0.00', '3.00', '-3.00']);
    expect(statement.status).toBe('closed');
    reconciles(statement);
  });

  it('write-offs and a recovery: what each gave up, the balance to nothing, the recovery named as one', () => {
    const transactions: LoanTransaction[] = [
      { kind: 'writeOff', id: 'o1', valueDate: '2026-02-10', component: 'fee', amount: '5' },
      { kind: 'writeOff', id: 'o2', valueDate: '2026-02-15' },
      pay('r1', '2026-02-20', '50'),
    ];
    const statement = loanStatement({ loan: loan(), transactions, from: '2026-02-02', to: '2026-02-28' });
    const state = replayLoan(loan(), transactions, '2026-02-28');
    expect(statement.lines.map((l) => [l.transactionId, l.description, l.amount.toFixed(2)])).toEqual([
      ['o1', 'Fee written off', '5.00'],
      ['o2', 'Written off in full: principal, interest (earned to this date), fees and penalties given up', state.writtenOff!.total.toFixed(2)],
      ['r1', 'Recovery received on the loan written off', '50.00'],
    ]);
    // #1 (due 1 February) owed 1,217.00 less the fee written off; the write-off in full adds the interest #2 earned
    // from 1 to 15 February before giving everything up.
    expect(figures(line(statement, 'o1').balance)).toEqual(['1200.00', '12.00', '0.00', '0.00', '0.00', '1212.00']);
    expect(state.writtenOff!.total.gt('1212')).toBe(true);
    expect(figures(line(statement, 'o2').balance)).toEqual(['0.00', '0.00', '0.00', '0.00', '0.00', '0.00']);
    expect(figures(statement.closing)).toEqual(['0.00', '0.00', '0.00', '0.00', '0.00', '0.00']);
    expect(statement.status).toBe('written_off');
    reconciles(statement);
  });

  it('a kind of transaction it does not know still gets its line, named in words', () => {
    const goodwill = { kind: 'goodwillCredit', id: 'g1', valueDate: '2026-02-15', amount: '7.50' } as unknown as LoanTransaction;
    const statement = loanStatement({ loan: loan(), transactions: [goodwill], from: '2026-02-10', to: '2026-02-20' });
    expect(statement.lines.map((l) => [l.kind, l.description, l.amount.toFixed(2)])).toEqual([['goodwillCredit', 'Goodwill credit', '7.50']]);
    reconciles(statement);
  });

  it('a period with nothing in it still has its balances', () => {
    const statement = loanStatement({ loan: loan(), transactions: TRANSACTIONS, from: '2026-01-02', to: '2026-01-31' });
    expect(statement.lines).toEqual([]);
    expect(figures(statement.opening)).toEqual(figures(statement.closing));
    expect(figures(statement.closing)).toEqual(['1200.00', '0.00', '0.00', '0.00', '0.00', '1200.00']);
  });

  it('refuses a period that is back to front or ends before the loan', () => {
    expect(() => loanStatement({ loan: loan(), transactions: [], from: '2026-03-01', to: '2026-02-01' })).toThrow(InvalidField);
    expect(() => loanStatement({ loan: loan(), transactions: [], from: '2025-11-01', to: '2025-12-31' })).toThrow(InvalidField);
    expect(() => loanStatement({ loan: loan(), transactions: [], from: '2026-02-30', to: '2026-03-01' })).toThrow(InvalidField);
  });
});

describe('statement amounts', () => {
  it.each([
    ['1200', 'USD', '1200.00'],
    ['-0', 'USD', '0.00'],
    ['-200.5', 'USD', '-200.50'],
    ['1500', 'JPY', '1500'],
    ['1.25', 'KWD', '1.250'],
  ])('%s %s → %s', (value, currency, text) => {
    expect(statementAmount(new Decimal(value), currency)).toBe(text);
  });
});
