// What a loan owes stays below the amount ceiling (10^15) whatever adds to it after booking: a charge by hand, a
// later tranche and a restructure's new schedule are refused where the replay applies them, so a repayment
// reversed under a charge that only fitted because of it is refused too; fees on dates, like penalties, are cut.
//
// The loan: USD 900,000,000,000,000 at 12 % a year, 3 monthly instalments from 2026-02-01, approved for
// 950,000,000,000,000 in tranches. It owes 918,059,700,999,967 in all, so 81,940,299,000,032.99 more reaches
// 999,999,999,999,999.99, the most a loan may owe.
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/domain/money.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../../src/domain/servicing/allocation.js';
import { replayLoan, type LoanAccount, type LoanAccountState, type LoanTransaction } from '../../../src/domain/servicing/loanAccount.js';
import { loanTerms, type LoanTermsInput } from '../../../src/domain/servicing/product.js';
import { OwedBeyondCeiling } from '../../../src/domain/servicing/replay/workingState.js';

const loan = (extra: Partial<LoanTermsInput> = {}): LoanAccount => ({
  id: 'loan-ceiling',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3, ...extra }),
  rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
  principal: '900000000000000',
  approvedPrincipal: '950000000000000',
  disbursementDate: '2026-01-01',
  firstRepaymentDate: '2026-02-01',
});
const ROOM = '81940299000032.99';
const MOST = '999999999999999.99';
const charge = (id: string, amount: string, valueDate = '2026-01-10'): LoanTransaction => ({ kind: 'charge', id, valueDate, component: 'fee', amount });
const owedInAll = (state: LoanAccountState) => state.instalments.reduce((total, i) => total.plus(i.outstanding.principal).plus(i.outstanding.interest).plus(i.outstanding.fee).plus(i.outstanding.penalty), new Decimal(0));

/** The replay's refusal, as the posting engine receives it. */
function refusal(transactions: LoanTransaction[], asOf = '2026-01-20', of = loan()): OwedBeyondCeiling {
  try {
    replayLoan(of, transactions, asOf);
  } catch (error) {
    expect(error).toBeInstanceOf(OwedBeyondCeiling);
    return error as OwedBeyondCeiling;
  }
  throw new Error('the replay took it');
}

describe('a charge by hand', () => {
  it('is taken up to what keeps the loan owing less than 10^15', () => {
    expect(owedInAll(replayLoan(loan(), [], '2026-01-10')).toFixed()).toBe('918059700999967');
    expect(owedInAll(replayLoan(loan(), [charge('c1', ROOM)], '2026-01-20')).toFixed(2)).toBe(MOST);
  });

  it('one cent more is refused naming its amount, with what the loan would owe', () => {
    const error = refusal([charge('c1', '81940299000033')]);
    expect(error.field).toBe('transactions.c1.amount');
    expect(error.message).toBe('a fee of 81940299000033 USD on 2026-01-10 would take what the loan owes (principal, interest, fees and penalties, due and to come) to 1000000000000000 USD: what a loan owes must be less than 10^15');
    // Two charges that fit one by one, not together: the second is refused.
    expect(refusal([charge('c1', '50000000000000'), charge('c2', '50000000000000', '2026-01-15')]).field).toBe('transactions.c2.amount');
  });

  it('that fitted because of a repayment makes reversing the repayment refused: the charge no longer fits where it was applied', () => {
    const paid: LoanTransaction[] = [{ kind: 'repayment', id: 'p1', valueDate: '2026-01-05', amount: '100000000000000' }, charge('c1', '150000000000000')];
    expect(owedInAll(replayLoan(loan(), paid, '2026-01-20')).lt('1e15')).toBe(true);
    expect(refusal([...paid, { kind: 'reversal', id: 'r1', reverses: 'p1', valueDate: '2026-01-20' }]).field).toBe('transactions.c1.amount');
  });
});

describe('a later tranche', () => {
  it('is refused naming its amount when what the loan then owes, its interest with it, reaches 10^15', () => {
    const tranche: LoanTransaction = { kind: 'tranche', id: 't1', valueDate: '2026-01-15', amount: '50000000000000' };
    // By itself it fits: the whole approved amount repays less than 10^15.
    expect(owedInAll(replayLoan(loan(), [tranche], '2026-01-20')).lt('1e15')).toBe(true);
    const error = refusal([charge('c1', '60000000000000'), tranche]);
    expect(error.field).toBe('transactions.t1.amount');
    expect(error.message).toMatch(/^a tranche of 50000000000000 USD on 2026-01-15 would take what the loan owes .* to 10\d{14}(\.\d+)? USD: what a loan owes must be less than 10\^15$/);
  });
});

describe('a restructure', () => {
  const restructure = (extra: Partial<Extract<LoanTransaction, { kind: 'restructure' }>>): LoanTransaction => ({ kind: 'restructure', id: 's1', valueDate: '2026-01-15', capitaliseArrears: false, ...extra });

  it('whose new schedule would owe 10^15 or more is refused naming what adds the interest: the rate it gives, else the instalments, else the holiday', () => {
    expect(refusal([restructure({ annualRatePercent: '100', instalments: 24 })]).field).toBe('transactions.s1.annualRatePercent');
    expect(refusal([restructure({ instalments: 240 })]).field).toBe('transactions.s1.instalments');
    expect(refusal([restructure({ holidayPeriods: 24, holidayInterest: 'accrue' })]).field).toBe('transactions.s1.holidayPeriods');
    expect(refusal([restructure({ annualRatePercent: '100', instalments: 24 })]).message).toMatch(/^the restructure's new schedule on 2026-01-15 would take what the loan owes .* USD: what a loan owes must be less than 10\^15$/);
    // Below the ceiling the same kind of restructure is taken.
    expect(owedInAll(replayLoan(loan(), [restructure({ annualRatePercent: '10', instalments: 4 })], '2026-01-20')).lt('1e15')).toBe(true);
  });

  it('that only capitalises the arrears is refused naming them, once penalties have taken the room the loan had', () => {
    // Unpaid at 1,000 % penalty interest, the loan owes the most it may from March; capitalised after maturity,
    // the arrears bear a period's interest more.
    const overdue = loan({ penaltyRatePercent: '1000' });
    expect(owedInAll(replayLoan(overdue, [], '2026-05-15')).toFixed(2)).toBe(MOST);
    expect(refusal([restructure({ valueDate: '2026-05-15', capitaliseArrears: true })], '2026-05-20', overdue).field).toBe('transactions.s1.capitaliseArrears');
  });
});

describe('fees on dates', () => {
  it('are cut to the room left below 10^15 when penalties have taken it, saying so', () => {
    const fees = loan({ penaltyRatePercent: '1000', feesOnDates: [{ name: 'annual fee', date: '2026-06-01', amount: '1000' }] });
    const state = replayLoan(fees, [], '2026-06-10');
    expect(owedInAll(state).toFixed(2)).toBe(MOST);
    expect(state.ruleCharges.filter((c) => c.rule === 'feeOnDate')).toEqual([]);
    // Before penalties took it, the fee is charged in full.
    const early = replayLoan(loan({ feesOnDates: [{ name: 'annual fee', date: '2026-01-20', amount: '1000' }] }), [], '2026-01-25');
    expect(early.ruleCharges.map((c) => [c.rule, c.amount.toFixed()])).toEqual([['feeOnDate', '1000']]);
  });

  it('are cut to what is left, the explanation saying so', () => {
    // A charge by hand leaves 500 of room: a fee of 1,000 on a date after it is cut to 500.
    const fees = loan({ feesOnDates: [{ name: 'annual fee', date: '2026-01-20', amount: '1000' }] });
    const room = new Decimal(ROOM).minus(500).toFixed(2);
    const state = replayLoan(fees, [charge('c1', room)], '2026-01-25');
    expect(owedInAll(state).toFixed(2)).toBe(MOST);
    expect(state.ruleCharges.map((c) => [c.rule, c.amount.toFixed(), c.reason])).toEqual([
      ['feeOnDate', '500', 'annual fee, due 2026-01-20 by the loan\'s terms, cut to 500 so that what the loan owes stays below 10^15; collected with instalment 1'],
    ]);
  });
});
