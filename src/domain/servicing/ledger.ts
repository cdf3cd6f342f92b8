// Double-entry bookkeeping for loans, as pure functions: which accounts a financial event moves, and the
// balances (trial balance, a loan's sub-ledger) that a list of journals adds up to. Every journal balances per
// currency by construction and is refused otherwise; corrections are new journals (`reversal`), never edits.
// Services around this store journals append-only and post them in the event's own transaction.
import { InvalidField, withArticle } from '../../errors.js';
import { kindInWords } from './transactionWords.js';
import { Decimal, minorUnits } from '../money.js';
import type { Component } from './allocation.js';

export type AccountKind = 'asset' | 'liability' | 'equity' | 'income' | 'expense';

/** What an account is for, in a lender's words; products map each role to one of the tenant's accounts. */
export type AccountRole =
  | 'cash'
  | 'principalReceivable'
  | 'interestReceivable'
  | 'feeReceivable'
  | 'penaltyReceivable'
  | 'interestIncome'
  | 'feeIncome'
  | 'penaltyIncome'
  /** Money received beyond what is owed, held for the borrower until applied or refunded. */
  | 'excess'
  /**
   * Interest paid on an instalment that has not fallen due: owed back to the borrower until it is earned (the
   * instalment falls due) or released as excess when a prepayment or payoff takes that interest off the schedule.
   */
  | 'interestInAdvance'
  /** Principal written off: what the lender gave up of what was lent. */
  | 'writeOffExpense'
  /** Interest receivable written off (interest held in suspense is released against it the same end of day). */
  | 'interestWrittenOff'
  /** Fees and penalties receivable written off. */
  | 'chargesWrittenOff'
  /** Money received on a loan after it was written off in full. */
  | 'recoveryIncome'
  /** Reserved for co-lenders' shares. */
  | 'colenderPayable'
  /** Interest receivable of a non-performing loan, held out of income until it is paid or the loan performs again. */
  | 'interestSuspense'
  /** The provision against the loans (a contra-asset: its balance is a credit). */
  | 'loanLossAllowance'
  /** What provisions cost: made (debit) and released (credit) as classes and exposures change. */
  | 'provisionExpense';

export interface Account {
  code: string;
  name: string;
  kind: AccountKind;
  role: AccountRole;
}

/** The chart every tenant starts with; a tenant may add accounts and map products to them. */
export const STANDARD_CHART: readonly Account[] = [
  { code: '1000', name: 'Cash and settlement', kind: 'asset', role: 'cash' },
  { code: '1100', name: 'Loan principal receivable', kind: 'asset', role: 'principalReceivable' },
  { code: '1110', name: 'Interest receivable', kind: 'asset', role: 'interestReceivable' },
  { code: '1120', name: 'Fee receivable', kind: 'asset', role: 'feeReceivable' },
  { code: '1130', name: 'Penalty receivable', kind: 'asset', role: 'penaltyReceivable' },
  { code: '1190', name: 'Allowance for loan losses', kind: 'asset', role: 'loanLossAllowance' },
  { code: '2100', name: 'Borrower excess and suspense', kind: 'liability', role: 'excess' },
  { code: '2150', name: 'Interest received in advance', kind: 'liability', role: 'interestInAdvance' },
  { code: '2160', name: 'Interest in suspense', kind: 'liability', role: 'interestSuspense' },
  { code: '2200', name: 'Payable to co-lenders', kind: 'liability', role: 'colenderPayable' },
  { code: '4000', name: 'Interest income', kind: 'income', role: 'interestIncome' },
  { code: '4100', name: 'Fee income', kind: 'income', role: 'feeIncome' },
  { code: '4200', name: 'Penalty income', kind: 'income', role: 'penaltyIncome' },
  { code: '4300', name: 'Recoveries of loans written off', kind: 'income', role: 'recoveryIncome' },
  { code: '5100', name: 'Loans written off', kind: 'expense', role: 'writeOffExpense' },
  { code: '5110', name: 'Interest written off', kind: 'expense', role: 'interestWrittenOff' },
  { code: '5120', name: 'Fees and penalties written off', kind: 'expense', role: 'chargesWrittenOff' },
  { code: '5200', name: 'Loan loss provisions', kind: 'expense', role: 'provisionExpense' },
];

/**
 * The kind of account each role's postings need: receivables (and the allowance against them, a contra-asset) are
 * assets, money held for the borrower or a co-lender is a liability, income is income, what is written off or
 * provided for is an expense. A product may post a role to an account of its own, never to one of another kind:
 * principal lent posted to an expense account would show the loans as a cost, interest income on an asset account
 * would never reach the lender's income. The standard chart holds one account of each role, of its kind.
 */
export const ROLE_KINDS: Readonly<Record<AccountRole, AccountKind>> = Object.fromEntries(STANDARD_CHART.map((a) => [a.role, a.kind])) as Record<AccountRole, AccountKind>;

/** Throws InvalidField naming `field` when `account` is not of the kind `role`'s postings need (ROLE_KINDS). */
export function assertAccountFitsRole(role: AccountRole, account: { code: string; kind: string }, field: string): void {
  const kind = ROLE_KINDS[role];
  if (account.kind === kind) return;
  const words = kindInWords(role).toLowerCase();
  throw new InvalidField(field, `${words} posts to ${withArticle(kind)} account; ${account.code} is ${withArticle(account.kind)} account`);
}

/** A product's mapping: the account code used for each role (the standard chart's unless the product says). */
export type AccountMapping = Readonly<Record<AccountRole, string>>;

export const STANDARD_MAPPING: AccountMapping = Object.fromEntries(STANDARD_CHART.map((a) => [a.role, a.code])) as AccountMapping;


const RECEIVABLE: Record<Component, AccountRole> = {
  principal: 'principalReceivable', interest: 'interestReceivable', fee: 'feeReceivable', penalty: 'penaltyReceivable',
};
const INCOME: Record<Exclude<Component, 'principal'>, AccountRole> = { interest: 'interestIncome', fee: 'feeIncome', penalty: 'penaltyIncome' };
const WRITTEN_OFF: Record<Component, AccountRole> = {
  principal: 'writeOffExpense', interest: 'interestWrittenOff', fee: 'chargesWrittenOff', penalty: 'chargesWrittenOff',
};

export type ComponentAmounts = Readonly<Record<Component, Decimal>>;

/** The financial events of a loan's life that post to the ledger. */
export type FinancialEvent =
  /** Money paid out: the borrower owes principal (+ a financed fee); a deducted fee is kept back from the payout. */
  | { kind: 'disbursement'; principal: Decimal; feeFinanced: Decimal; feeDeducted: Decimal }
  /** Interest, fees or penalties fall due (recognised as income when they become owed). */
  | { kind: 'chargesDue'; interest: Decimal; fee: Decimal; penalty: Decimal }
  /**
   * A repayment as its allocation applied it, plus what it left as excess. `allocated` is what it paid off the
   * receivables; `interestInAdvance` is interest it paid on instalments not yet due, held until they fall due.
   */
  | { kind: 'repayment'; allocated: ComponentAmounts; excess: Decimal; interestInAdvance?: Decimal }
  /** An instalment falls due: the interest paid on it in advance is earned and settles its (just recognised) receivable. */
  | { kind: 'advanceInterestApplied'; amount: Decimal }
  /** Forgiving an amount owed: the income it had recognised is taken back. */
  | { kind: 'waiver'; component: Exclude<Component, 'principal'>; amount: Decimal }
  /** Paying excess back to the borrower. */
  | { kind: 'refund'; amount: Decimal }
  /** Receivables given up: each component's amount moved to its write-off expense. */
  | { kind: 'writeOff'; amounts: ComponentAmounts }
  /** Money received after a write-off in full: income as it arrives; beyond what was written off, held as excess. */
  | { kind: 'recovery'; amount: Decimal; excess: Decimal };

export interface JournalLine {
  account: string;
  debit: Decimal;
  credit: Decimal;
}

export interface Journal {
  loanId: string;
  currency: string;
  /** The business date the journal is effective on (value date for repayments). */
  valueDate: string;
  lines: JournalLine[];
}

const ZERO = new Decimal(0);

function money(value: Decimal, currency: string, field: string): Decimal {
  if (value.isNegative()) throw new InvalidField(field, `${field} must not be negative`);
  if (value.decimalPlaces() > minorUnits(currency)) throw new InvalidField(field, `${field} has more decimals than ${currency} allows`);
  return value;
}

/** The balanced journal an event posts. Lines with no amount are left out; an event that moves nothing posts nothing. */
export function journalFor(event: FinancialEvent, context: { loanId: string; currency: string; valueDate: string; accounts?: AccountMapping }): Journal {
  const accounts = context.accounts ?? STANDARD_MAPPING;
  const { currency } = context;
  const lines: JournalLine[] = [];
  const debit = (role: AccountRole, amount: Decimal) => lines.push({ account: accounts[role], debit: amount, credit: ZERO });
  const credit = (role: AccountRole, amount: Decimal) => lines.push({ account: accounts[role], debit: ZERO, credit: amount });
  switch (event.kind) {
    case 'disbursement': {
      const principal = money(event.principal, currency, 'principal');
      const financed = money(event.feeFinanced, currency, 'feeFinanced');
      const deducted = money(event.feeDeducted, currency, 'feeDeducted');
      if (deducted.greaterThan(principal)) throw new InvalidField('feeDeducted', 'feeDeducted cannot exceed the principal');
      debit('principalReceivable', principal.plus(financed));
      credit('cash', principal.minus(deducted));
      credit('feeIncome', financed.plus(deducted));
      break;
    }
    case 'chargesDue':
      for (const component of ['interest', 'fee', 'penalty'] as const) {
        const amount = money(event[component], currency, component);
        debit(RECEIVABLE[component], amount);
        credit(INCOME[component], amount);
      }
      break;
    case 'repayment': {
      let received = money(event.excess, currency, 'excess');
      for (const component of ['penalty', 'fee', 'interest', 'principal'] as const) {
        const amount = money(event.allocated[component], currency, `allocated.${component}`);
        credit(RECEIVABLE[component], amount);
        received = received.plus(amount);
      }
      const advance = money(event.interestInAdvance ?? ZERO, currency, 'interestInAdvance');
      credit('interestInAdvance', advance);
      received = received.plus(advance);
      credit('excess', event.excess);
      debit('cash', received);
      break;
    }
    case 'advanceInterestApplied': {
      const amount = money(event.amount, currency, 'amount');
      debit('interestInAdvance', amount);
      credit('interestReceivable', amount);
      break;
    }
    case 'waiver': {
      const amount = money(event.amount, currency, 'amount');
      debit(INCOME[event.component], amount);
      credit(RECEIVABLE[event.component], amount);
      break;
    }
    case 'refund': {
      const amount = money(event.amount, currency, 'amount');
      debit('excess', amount);
      credit('cash', amount);
      break;
    }
    case 'writeOff':
      for (const component of ['penalty', 'fee', 'interest', 'principal'] as const) {
        const amount = money(event.amounts[component], currency, `amounts.${component}`);
        debit(WRITTEN_OFF[component], amount);
        credit(RECEIVABLE[component], amount);
      }
      break;
    case 'recovery': {
      const amount = money(event.amount, currency, 'amount');
      const excess = money(event.excess, currency, 'excess');
      debit('cash', amount.plus(excess));
      credit('recoveryIncome', amount);
      credit('excess', excess);
      break;
    }
  }
  const journal = { loanId: context.loanId, currency, valueDate: context.valueDate, lines: lines.filter((l) => !l.debit.isZero() || !l.credit.isZero()) };
  assertBalanced(journal);
  return journal;
}

/** A correction: the same lines with debits and credits swapped, effective on its own date. */
export function reversal(journal: Journal, valueDate: string): Journal {
  return { ...journal, valueDate, lines: journal.lines.map((l) => ({ account: l.account, debit: l.credit, credit: l.debit })) };
}

export function assertBalanced(journal: Journal): void {
  const debits = journal.lines.reduce((sum, l) => sum.plus(l.debit), ZERO);
  const credits = journal.lines.reduce((sum, l) => sum.plus(l.credit), ZERO);
  if (!debits.equals(credits)) throw new Error(`journal does not balance: debits ${debits.toFixed()} ≠ credits ${credits.toFixed()} ${journal.currency}`);
}

export interface TrialBalanceRow {
  account: string;
  currency: string;
  debits: Decimal;
  credits: Decimal;
  /** Debits less credits: positive for assets and expenses in good order, negative for liabilities and income. */
  balance: Decimal;
}

/** One account's debits and credits in one currency: what a trial balance adds up, whoever did the summing. */
export interface AccountTotals {
  account: string;
  currency: string;
  debits: Decimal;
  credits: Decimal;
}

/** The trial balance the totals add up to: one row per currency and account, by currency then account code. */
export function trialBalanceOf(totals: Iterable<AccountTotals>): TrialBalanceRow[] {
  const rows = new Map<string, TrialBalanceRow>();
  for (const total of totals) {
    const key = `${total.currency} ${total.account}`;
    const row = rows.get(key) ?? { account: total.account, currency: total.currency, debits: ZERO, credits: ZERO, balance: ZERO };
    row.debits = row.debits.plus(total.debits);
    row.credits = row.credits.plus(total.credits);
    row.balance = row.debits.minus(row.credits);
    rows.set(key, row);
  }
  // By code point, not by locale: the same order on every machine, and the one a C-collated database sorts in.
  const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows.values()].sort((a, b) => byCode(a.currency, b.currency) || byCode(a.account, b.account));
}

/** Every account's totals over the journals effective on or before `asOf`, per currency, by account code. */
export function trialBalance(journals: readonly Journal[], asOf: string): TrialBalanceRow[] {
  return trialBalanceOf(journals.filter((journal) => journal.valueDate <= asOf)
    .flatMap((journal) => journal.lines.map((line) => ({ account: line.account, currency: journal.currency, debits: line.debit, credits: line.credit }))));
}

/**
 * What one loan owes per component, from its own journals: the loan's sub-ledger. `excess` (advance and excess
 * held) and `interestInAdvance` are what the lender holds for the borrower, as positive amounts.
 */
export function loanReceivables(
  journals: readonly Journal[], loanId: string, asOf: string, accounts: AccountMapping = STANDARD_MAPPING,
): ComponentAmounts & { excess: Decimal; interestInAdvance: Decimal } {
  const owed = { principal: ZERO, interest: ZERO, fee: ZERO, penalty: ZERO, excess: ZERO, interestInAdvance: ZERO };
  for (const journal of journals) {
    if (journal.loanId !== loanId || journal.valueDate > asOf) continue;
    for (const line of journal.lines) {
      for (const component of ['principal', 'interest', 'fee', 'penalty'] as const) {
        if (line.account === accounts[RECEIVABLE[component]]) owed[component] = owed[component].plus(line.debit).minus(line.credit);
      }
      if (line.account === accounts.excess) owed.excess = owed.excess.plus(line.credit).minus(line.debit);
      if (line.account === accounts.interestInAdvance) owed.interestInAdvance = owed.interestInAdvance.plus(line.credit).minus(line.debit);
    }
  }
  return owed;
}
