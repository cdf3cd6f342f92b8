// The ledger's posting rules and balances. Cases are hand-computed (the arithmetic is in each case); properties
// (fast-check) cover random sequences of events over several loans and currencies: every journal and the trial
// balance balance per currency, each loan's sub-ledger adds up to the GL control accounts, and no loan
// balance goes negative.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from '../../../src/domain/money.js';
import {
  assertAccountFitsRole, journalFor, loanReceivables, reversal, ROLE_KINDS, STANDARD_CHART, STANDARD_MAPPING, trialBalance, trialBalanceOf,
  type AccountRole, type FinancialEvent, type Journal,
} from '../../../src/domain/servicing/ledger.js';
import { InvalidField } from '../../../src/errors.js';

const d = (value: string | number) => new Decimal(value);
const at = { loanId: 'loan-1', currency: 'USD', valueDate: '2026-01-15' };
const lines = (journal: Journal) => journal.lines.map((l) => [l.account, l.debit.toFixed(2), l.credit.toFixed(2)]);

describe('posting rules', () => {
  it.each<[string, FinancialEvent, string[][]]>([
    // 10,000 lent with a 200 fee financed: the borrower owes 10,200; 10,000 leaves the bank; 200 is fee income.
    ['disbursement, fee financed', { kind: 'disbursement', principal: d('10000'), feeFinanced: d('200'), feeDeducted: d(0) },
      [['1100', '10200.00', '0.00'], ['1000', '0.00', '10000.00'], ['4100', '0.00', '200.00']]],
    // 10,000 lent with a 300 fee kept back: the borrower owes 10,000; 9,700 leaves the bank.
    ['disbursement, fee deducted', { kind: 'disbursement', principal: d('10000'), feeFinanced: d(0), feeDeducted: d('300') },
      [['1100', '10000.00', '0.00'], ['1000', '0.00', '9700.00'], ['4100', '0.00', '300.00']]],
    ['interest and an instalment fee fall due', { kind: 'chargesDue', interest: d('83.33'), fee: d('5'), penalty: d(0) },
      [['1110', '83.33', '0.00'], ['4000', '0.00', '83.33'], ['1120', '5.00', '0.00'], ['4100', '0.00', '5.00']]],
    // 500 received: 5 fee + 83.33 interest + 400 principal = 488.33 applied, 11.67 held as excess.
    ['repayment with excess', { kind: 'repayment', allocated: { penalty: d(0), fee: d('5'), interest: d('83.33'), principal: d('400') }, excess: d('11.67') },
      [['1120', '0.00', '5.00'], ['1110', '0.00', '83.33'], ['1100', '0.00', '400.00'], ['2100', '0.00', '11.67'], ['1000', '500.00', '0.00']]],
    // 300 received a month before the instalment falls due: 250 principal off the receivable, its 50 interest is
    // not earned yet, so it is owed back to the borrower (2150) rather than income.
    ['repayment of an instalment not yet due', { kind: 'repayment', allocated: { penalty: d(0), fee: d(0), interest: d(0), principal: d('250') }, excess: d(0), interestInAdvance: d('50') },
      [['1100', '0.00', '250.00'], ['2150', '0.00', '50.00'], ['1000', '300.00', '0.00']]],
    // On the due date its 50 interest is recognised (chargesDue) and what was paid in advance settles it.
    ['interest paid in advance applied when the instalment falls due', { kind: 'advanceInterestApplied', amount: d('50') },
      [['2150', '50.00', '0.00'], ['1110', '0.00', '50.00']]],
    ['penalty waived', { kind: 'waiver', component: 'penalty', amount: d('10') }, [['4200', '10.00', '0.00'], ['1130', '0.00', '10.00']]],
    ['excess refunded', { kind: 'refund', amount: d('11.67') }, [['2100', '11.67', '0.00'], ['1000', '0.00', '11.67']]],
  ])('%s', (_name, event, expected) => {
    expect(lines(journalFor(event, at))).toEqual(expected);
  });

  it('a reversal swaps every line and is effective on its own date', () => {
    const original = journalFor({ kind: 'refund', amount: d('11.67') }, at);
    const undone = reversal(original, '2026-01-20');
    expect(undone.valueDate).toBe('2026-01-20');
    expect(lines(undone)).toEqual([['2100', '0.00', '11.67'], ['1000', '11.67', '0.00']]);
    expect(trialBalance([original, undone], '2026-01-31').every((row) => row.balance.isZero())).toBe(true);
  });

  it('refuses negative amounts, amounts finer than the currency, and a fee kept back larger than the loan, naming the field', () => {
    const attempts: [FinancialEvent, string, string][] = [
      [{ kind: 'refund', amount: d('-1') }, 'USD', 'amount'],
      [{ kind: 'chargesDue', interest: d('1.5'), fee: d(0), penalty: d(0) }, 'JPY', 'interest'],
      [{ kind: 'disbursement', principal: d('100'), feeFinanced: d(0), feeDeducted: d('101') }, 'USD', 'feeDeducted'],
    ];
    for (const [event, currency, field] of attempts) {
      const error = (() => { try { journalFor(event, { ...at, currency }); } catch (e) { return e; } return null; })();
      expect(error).toBeInstanceOf(InvalidField);
      expect((error as InvalidField).field).toBe(field);
    }
  });
});

describe('the kind of account each role posts to', () => {
  it('the standard chart has one account for every role, of the kind the role needs', () => {
    expect(STANDARD_CHART.map((a) => a.role).sort()).toEqual(Object.keys(ROLE_KINDS).sort());
    for (const account of STANDARD_CHART) expect([account.role, account.kind]).toEqual([account.role, ROLE_KINDS[account.role]]);
  });

  it.each<[AccountRole, { code: string; kind: string }, string]>([
    ['principalReceivable', { code: '5100', kind: 'expense' }, 'principal receivable posts to an asset account; 5100 is an expense account'],
    ['interestIncome', { code: '1000', kind: 'asset' }, 'interest income posts to an income account; 1000 is an asset account'],
    ['excess', { code: '4100', kind: 'income' }, 'excess posts to a liability account; 4100 is an income account'],
    ['writeOffExpense', { code: '3000', kind: 'equity' }, 'write off expense posts to an expense account; 3000 is an equity account'],
  ])('%s is refused on %o', (role, account, message) => {
    expect(() => assertAccountFitsRole(role, account, 'account')).toThrow(expect.objectContaining({ field: 'account', message }));
  });

  it('an account of the role\'s kind is taken', () => {
    expect(() => assertAccountFitsRole('interestIncome', { code: '4010', kind: 'income' }, 'account')).not.toThrow();
    expect(() => assertAccountFitsRole('loanLossAllowance', { code: '1199', kind: 'asset' }, 'account')).not.toThrow();
  });
});

describe('balances', () => {
  const journals = [
    journalFor({ kind: 'disbursement', principal: d('1000'), feeFinanced: d(0), feeDeducted: d('20') }, { ...at, valueDate: '2026-01-01' }),
    journalFor({ kind: 'chargesDue', interest: d('10'), fee: d(0), penalty: d('2') }, { ...at, valueDate: '2026-02-01' }),
    journalFor({ kind: 'repayment', allocated: { penalty: d('2'), fee: d(0), interest: d('10'), principal: d('88') }, excess: d(0) }, { ...at, valueDate: '2026-02-03' }),
  ];

  it('a trial balance as of a date counts only journals effective by then', () => {
    const january = trialBalance(journals, '2026-01-31');
    expect(january.map((r) => [r.account, r.balance.toFixed(2)])).toEqual([['1000', '-980.00'], ['1100', '1000.00'], ['4100', '-20.00']]);
    const february = trialBalance(journals, '2026-02-28');
    expect(february.map((r) => [r.account, r.balance.toFixed(2)])).toEqual([
      ['1000', '-880.00'], ['1100', '912.00'], ['1110', '0.00'], ['1130', '0.00'], ['4000', '-10.00'], ['4100', '-20.00'], ['4200', '-2.00'],
    ]);
  });

  it('a trial balance from account totals (as the books sum them) is the one from the journal lines', () => {
    // Two partial sums of 1000 in USD add up (debits 100 + 20, credits 600 + 400); rows go by currency, then account.
    const totals = [
      { account: '1000', currency: 'USD', debits: d('100'), credits: d('600') },
      { account: '4100', currency: 'USD', debits: d(0), credits: d('20') },
      { account: '1000', currency: 'USD', debits: d('20'), credits: d('400') },
      { account: '1000', currency: 'EUR', debits: d('5'), credits: d(0) },
    ];
    expect(trialBalanceOf(totals).map((r) => [r.currency, r.account, r.debits.toFixed(2), r.credits.toFixed(2), r.balance.toFixed(2)])).toEqual([
      ['EUR', '1000', '5.00', '0.00', '5.00'], ['USD', '1000', '120.00', '1000.00', '-880.00'], ['USD', '4100', '0.00', '20.00', '-20.00'],
    ]);
    const february = trialBalance(journals, '2026-02-28');
    expect(trialBalanceOf(february)).toEqual(february);
  });

  it('orders a tenant\'s own account codes by code point, capitals before small letters, whatever the locale', () => {
    const total = (account: string) => ({ account, currency: 'USD', debits: d(1), credits: d(0) });
    expect(trialBalanceOf(['loans-b', 'Loans-a', '1000', 'loans.a', 'loans_a'].map(total)).map((r) => r.account))
      .toEqual(['1000', 'Loans-a', 'loans-b', 'loans.a', 'loans_a']);
  });

  it('a loan\'s sub-ledger: what it owes per component as of a date', () => {
    const owed = loanReceivables(journals, 'loan-1', '2026-02-02');
    expect(Object.fromEntries(Object.entries(owed).map(([k, v]) => [k, v.toFixed(2)]))).toEqual({ principal: '1000.00', interest: '10.00', fee: '0.00', penalty: '2.00', excess: '0.00', interestInAdvance: '0.00' });
  });
});

// Random valid histories: each loan is disbursed, then charges fall due, repayments apply at most what is owed
// (plus some excess), waivers forgive at most what is owed, refunds return at most the excess.
const CURRENCIES = ['USD', 'JPY', 'KWD'] as const;
interface Step { loan: number; step: 'charges' | 'repay' | 'waive' | 'refund' | 'payAhead' | 'fallDue'; a: number; b: number; c: number }
const history: fc.Arbitrary<Step[]> = fc.array(fc.record({
  loan: fc.integer({ min: 0, max: 3 }),
  step: fc.constantFrom('charges', 'repay', 'waive', 'refund', 'payAhead', 'fallDue'),
  a: fc.integer({ min: 0, max: 1_000_000 }), b: fc.integer({ min: 0, max: 1_000_000 }), c: fc.integer({ min: 0, max: 1_000_000 }),
}), { minLength: 1, maxLength: 60 });

function build(steps: Step[], principals: number[]): Journal[] {
  const journals: Journal[] = [];
  const owed = principals.map(() => ({ principal: d(0), interest: d(0), fee: d(0), penalty: d(0), excess: d(0), interestInAdvance: d(0) }));
  const scale = (i: number) => 10 ** ({ USD: 2, JPY: 0, KWD: 3 } as Record<string, number>)[CURRENCIES[i % 3]!]!;
  const m = (i: number, minor: number) => d(minor).div(scale(i));
  principals.forEach((minor, i) => {
    journals.push(journalFor({ kind: 'disbursement', principal: m(i, minor), feeFinanced: m(i, minor % 97), feeDeducted: d(0) }, { loanId: `L${i}`, currency: CURRENCIES[i % 3]!, valueDate: '2026-01-01' }));
    owed[i]!.principal = m(i, minor).plus(m(i, minor % 97));
  });
  steps.forEach((step, n) => {
    const i = step.loan % principals.length;
    const o = owed[i]!;
    const context = { loanId: `L${i}`, currency: CURRENCIES[i % 3]!, valueDate: `2026-02-${String((n % 27) + 1).padStart(2, '0')}` };
    const part = (of: Decimal, seed: number) => Decimal.min(of, m(i, seed % 5_000));
    let event: FinancialEvent;
    if (step.step === 'charges') {
      event = { kind: 'chargesDue', interest: m(i, step.a % 3_000), fee: m(i, step.b % 500), penalty: m(i, step.c % 200) };
      o.interest = o.interest.plus(event.interest); o.fee = o.fee.plus(event.fee); o.penalty = o.penalty.plus(event.penalty);
    } else if (step.step === 'repay') {
      const allocated = { penalty: part(o.penalty, step.a), fee: part(o.fee, step.b), interest: part(o.interest, step.c), principal: part(o.principal, step.a + step.b) };
      event = { kind: 'repayment', allocated, excess: m(i, step.c % 100) };
      for (const k of ['penalty', 'fee', 'interest', 'principal'] as const) o[k] = o[k].minus(allocated[k]);
      o.excess = o.excess.plus(event.excess);
    } else if (step.step === 'payAhead') {
      // Principal and interest of an instalment not yet due: the interest is held until it falls due.
      const principal = part(o.principal, step.a);
      event = { kind: 'repayment', allocated: { penalty: d(0), fee: d(0), interest: d(0), principal }, excess: d(0), interestInAdvance: m(i, step.b % 3_000) };
      o.principal = o.principal.minus(principal);
      o.interestInAdvance = o.interestInAdvance.plus(event.interestInAdvance!);
    } else if (step.step === 'fallDue') {
      // An instalment falls due: its interest is recognised, then what was paid on it in advance settles it.
      const interest = m(i, step.a % 3_000);
      journals.push(journalFor({ kind: 'chargesDue', interest, fee: d(0), penalty: d(0) }, context));
      o.interest = o.interest.plus(interest);
      const applied = Decimal.min(interest, o.interestInAdvance, m(i, step.c % 3_000));
      event = { kind: 'advanceInterestApplied', amount: applied };
      o.interest = o.interest.minus(applied);
      o.interestInAdvance = o.interestInAdvance.minus(applied);
    } else if (step.step === 'waive') {
      const component = (['interest', 'fee', 'penalty'] as const)[step.a % 3]!;
      event = { kind: 'waiver', component, amount: part(o[component], step.b) };
      o[component] = o[component].minus(event.amount);
    } else {
      event = { kind: 'refund', amount: part(o.excess, step.a) };
      o.excess = o.excess.minus(event.amount);
    }
    journals.push(journalFor(event, context));
  });
  return journals;
}

const principals = fc.array(fc.integer({ min: 1, max: 50_000_000 }), { minLength: 1, maxLength: 4 });

describe('ledger invariants (fast-check)', () => {
  it('every journal and the trial balance balance per currency, as of any date', () => {
    fc.assert(fc.property(principals, history, fc.integer({ min: 1, max: 28 }), (p, steps, day) => {
      const journals = build(steps, p);
      for (const journal of journals) {
        expect(journal.lines.reduce((s, l) => s.plus(l.debit), d(0)).equals(journal.lines.reduce((s, l) => s.plus(l.credit), d(0)))).toBe(true);
      }
      const rows = trialBalance(journals, `2026-02-${String(day).padStart(2, '0')}`);
      for (const currency of CURRENCIES) {
        expect(rows.filter((r) => r.currency === currency).reduce((s, r) => s.plus(r.balance), d(0)).isZero()).toBe(true);
      }
    }), { numRuns: 200 });
  });

  it('each loan\'s sub-ledger adds up to the GL control accounts, and no loan balance goes negative', () => {
    fc.assert(fc.property(principals, history, (p, steps) => {
      const journals = build(steps, p);
      const rows = trialBalance(journals, '2026-12-31');
      for (const [ci, currency] of CURRENCIES.entries()) {
        const loans = p.map((_, i) => i).filter((i) => i % 3 === ci).map((i) => loanReceivables(journals, `L${i}`, '2026-12-31'));
        for (const loan of loans) for (const value of Object.values(loan)) expect(value.isNegative()).toBe(false);
        const control = (role: keyof typeof STANDARD_MAPPING) => rows.find((r) => r.currency === currency && r.account === STANDARD_MAPPING[role])?.balance ?? d(0);
        const sum = (k: 'principal' | 'interest' | 'fee' | 'penalty' | 'excess' | 'interestInAdvance') => loans.reduce((s, l) => s.plus(l[k]), d(0));
        expect(sum('principal').equals(control('principalReceivable'))).toBe(true);
        expect(sum('interest').equals(control('interestReceivable'))).toBe(true);
        expect(sum('fee').equals(control('feeReceivable'))).toBe(true);
        expect(sum('penalty').equals(control('penaltyReceivable'))).toBe(true);
        expect(sum('excess').equals(control('excess').negated())).toBe(true);
        expect(sum('interestInAdvance').equals(control('interestInAdvance').negated())).toBe(true);
      }
    }), { numRuns: 200 });
  });
});
