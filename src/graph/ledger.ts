// The tenant's books: chart of accounts, trial balance and account statements as of any date, the ledger's
// invariants, and the finance team's commands (src/services/servicing/ledger.ts). Never visible to partners.
import { storedEnum } from './enums.js';
import { builder } from './builder.js';
import { money } from '../domain/money.js';
import { commandDbOf, commandOf } from './context.js';
import { LoanProductRef } from './loanProduct.js';
import { LoanRef, LoanTransactionRef, useGlobalId } from './loan.js';
import {
  accountStatement, KINDS as ACCOUNT_KINDS, ledgerInvariants, mapProductAccount, openLedgerAccount, ROLES as ACCOUNT_ROLES,
  trialBalance, type AccountStatement, type AccountStatementLine, type LedgerInvariants, type TrialBalanceLine,
} from '../services/servicing/ledger.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { listSize } from './limits.js';
import { objectPayload } from './payloads.js';
import { assertNotAfterBusinessDate } from '../domain/businessDate.js';

const ACCOUNT_KIND_MEANINGS: Readonly<Record<(typeof ACCOUNT_KINDS)[number], string>> = {
  asset: 'What the lender owns or is owed (cash, receivables).',
  liability: 'What the lender owes (money held for borrowers, co-lenders\' shares).',
  equity: 'The owners\' stake.',
  income: 'What the lender earns (interest, fees, penalties).',
  expense: 'What the lender spends or loses (write-offs).',
};

const LedgerAccountKindEnum = storedEnum('LedgerAccountKind', 'What an account of the chart is.', ACCOUNT_KIND_MEANINGS);

export const LedgerAccountRoleEnum = storedEnum(
  'LedgerAccountRole',
  'What an account is for, in a lender\'s words; products map each role to one of the tenant\'s accounts.',
  Object.fromEntries(ACCOUNT_ROLES.map((role) => [role, `Where a product posts its ${role.replace(/([A-Z])/g, ' $1').toLowerCase()}.`])),
);

const JournalKindEnum = storedEnum('JournalKind', 'What made a journal.', {
  disbursement: 'Money paid out on a loan.',
  posting: 'A loan transaction (repayment, charge, waiver, reversal …).',
  accrual: 'Interest, fees and penalties of instalments falling due, recognised as income (end of day, or a replay catching up).',
  correction: 'A correction of earlier journals.',
  suspense: 'Interest of a non-performing loan moved out of income into suspense, or released back (end of day).',
  provision: 'A provision made or released for a loan\'s class and exposure (end of day).',
});

type LedgerAccountRow = Awaited<ReturnType<TenantDb['ledgerAccount']['findUniqueOrThrow']>>;

const LedgerAccountRef = builder.objectRef<LedgerAccountRow>('LedgerAccount').implement({
  description: 'An account of the tenant\'s chart of accounts.',
  authScopes: { can: 'ledger.read' },
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The account code.' }),
    name: t.exposeString('name', { description: 'Its name.' }),
    kind: t.expose('kind', { type: LedgerAccountKindEnum, description: 'Asset, liability, equity, income or expense.' }),
    role: t.expose('role', { type: LedgerAccountRoleEnum, nullable: true, description: 'The role it plays by default for products (e.g. PRINCIPAL_RECEIVABLE).' }),
  }),
});

const TrialBalanceLineRef = builder.objectRef<TrialBalanceLine>('TrialBalanceLine').implement({
  description: 'One account\'s totals in one currency.',
  authScopes: { can: 'ledger.read' },
  fields: (t) => ({
    account: t.exposeString('account', { description: 'The account code.' }),
    name: t.exposeString('name', { description: 'Its name.' }),
    kind: t.expose('kind', { type: LedgerAccountKindEnum, description: 'Its kind.' }),
    debits: t.field({ type: 'Money', description: 'All debits to the date.', resolve: (r) => money(r.debits, r.currency) }),
    credits: t.field({ type: 'Money', description: 'All credits to the date.', resolve: (r) => money(r.credits, r.currency) }),
    balance: t.field({ type: 'Money', description: 'Debits less credits (negative for liabilities and income in good order).', resolve: (r) => money(r.balance, r.currency) }),
  }),
});

export const TrialBalanceRef = builder.objectRef<{ asOf: string; lines: TrialBalanceLine[] }>('TrialBalance').implement({
  description: 'Every account\'s totals as of a date; debits equal credits in each currency.',
  authScopes: { can: 'ledger.read' },
  fields: (t) => ({
    asOf: t.field({ type: 'Date', description: 'Journals valued on or before this date.', resolve: (b) => b.asOf }),
    lines: t.field({ type: [TrialBalanceLineRef], description: 'By currency, then account.', resolve: (b) => b.lines }),
  }),
});

const StatementLineRef = builder.objectRef<AccountStatementLine & { currency: string }>('LedgerStatementLine').implement({
  description: 'One posting to the account.',
  authScopes: { can: 'ledger.read' },
  fields: (t) => ({
    journalId: t.exposeString('journalId', { description: 'The journal.' }),
    journalSequence: t.string({ description: 'The journal\'s posting order.', resolve: (l) => l.seq.toString() }),
    valueDate: t.field({ type: 'Date', description: 'The date it is effective on.', resolve: (l) => l.valueDate }),
    postedAt: t.field({ type: 'DateTime', description: 'When it was written.', resolve: (l) => l.postedAt }),
    kind: t.expose('kind', { type: JournalKindEnum, description: 'What made it: a disbursement, a posting, an accrual, a correction, a move to or from suspense, a provision.' }),
    narrative: t.exposeString('narrative', { description: 'What it was.' }),
    loanId: t.exposeString('loanId', { nullable: true, description: 'The loan (raw id).', deprecationReason: useGlobalId('loanGlobalId') }),
    loanGlobalId: t.globalID({
      nullable: true, description: 'The loan it is for (`Loan.id`); null for a journal of no one loan.',
      resolve: (l) => (l.loanId ? { type: LoanRef, id: l.loanId } : null),
    }),
    transactionId: t.exposeString('transactionId', { nullable: true, description: 'The loan transaction behind it (raw id).', deprecationReason: useGlobalId('transactionGlobalId') }),
    transactionGlobalId: t.globalID({
      nullable: true, description: 'The loan transaction behind it (`LoanTransaction.id`); null for a journal no transaction made (the disbursement, an accrual, end of day\'s moves).',
      resolve: (l) => (l.transactionId ? { type: LoanTransactionRef, id: l.transactionId } : null),
    }),
    debit: t.field({ type: 'Money', description: 'Debit.', resolve: (l) => money(l.debit, l.currency) }),
    credit: t.field({ type: 'Money', description: 'Credit.', resolve: (l) => money(l.credit, l.currency) }),
    balance: t.field({ type: 'Money', description: 'The account\'s balance after it.', resolve: (l) => money(l.balance, l.currency) }),
  }),
});

const AccountStatementRef = builder.objectRef<AccountStatement>('LedgerAccountStatement').implement({
  description: 'An account\'s postings over a period, with opening and closing balances.',
  authScopes: { can: 'ledger.read' },
  fields: (t) => ({
    account: t.exposeString('account', { description: 'The account code.' }),
    from: t.field({ type: 'Date', description: 'First value date.', resolve: (s) => s.from }),
    to: t.field({ type: 'Date', description: 'Last value date.', resolve: (s) => s.to }),
    opening: t.field({ type: 'Money', description: 'Balance before `from`.', resolve: (s) => money(s.opening, s.currency) }),
    lines: t.field({ type: [StatementLineRef], description: 'Postings by value date, then posting order.', resolve: (s) => s.lines.map((l) => ({ ...l, currency: s.currency })) }),
    closing: t.field({ type: 'Money', description: 'Balance after the last line returned.', resolve: (s) => money(s.closing, s.currency) }),
    truncated: t.exposeBoolean('truncated', { description: 'More lines exist than the 5,000 returned: narrow the dates.' }),
  }),
});

const LedgerInvariantsRef = builder.objectRef<LedgerInvariants>('LedgerInvariants').implement({
  description: 'The ledger\'s invariants, counted over the stored books; every count but `loans` and `journals` must be 0.',
  authScopes: { can: 'ledger.read' },
  fields: (t) => ({
    holds: t.boolean({
      description: 'All of them hold.',
      resolve: (i) => i.unbalancedJournals + i.loansOffLedger + i.controlAccountsOff + i.negativeBalances + i.participationsOffLedger + i.coLenderPayablesOff === 0,
    }),
    unbalancedJournals: t.exposeInt('unbalancedJournals', { description: 'Journals whose debits and credits differ.' }),
    loansOffLedger: t.exposeInt('loansOffLedger', { description: 'Loans whose sub-ledger differs from their journal lines.' }),
    controlAccountsOff: t.exposeInt('controlAccountsOff', { description: 'Control accounts whose balance differs from the sum of the loans\' sub-ledgers.' }),
    negativeBalances: t.exposeInt('negativeBalances', { description: 'Loan receivable or held balances that went negative on some date.' }),
    participationsOffLedger: t.exposeInt('participationsOffLedger', { description: 'Co-lending shares whose principal in the books differs from the partner\'s share of the loan\'s principal.' }),
    coLenderPayablesOff: t.exposeInt('coLenderPayablesOff', { description: 'Co-lending partners whose accounts were posted to other than by their shares of collections and their settlements.' }),
    loans: t.exposeInt('loans', { description: 'Loans checked.' }),
    journals: t.exposeInt('journals', { description: 'Journals checked.' }),
  }),
});

builder.queryFields((t) => ({
  ledgerAccounts: t.field({
    type: [LedgerAccountRef],
    description: 'The chart of accounts, by code.',
    authScopes: { can: 'ledger.read' },
    resolve: (_root, _args, context) => context.db!.ledgerAccount.findMany({ orderBy: { code: 'asc' }, take: listSize('Query.ledgerAccounts') }),
  }),
  trialBalance: t.field({
    type: TrialBalanceRef,
    description: 'The trial balance as of a date.',
    authScopes: { can: 'ledger.read' },
    args: { asOf: t.arg({ type: 'Date', required: true, description: 'Include journals valued on or before this date, the business date at the latest.' }) },
    resolve: async (_root, args, context) => {
      // No journal is valued after the business date: a later date would only relabel today's books.
      assertNotAfterBusinessDate(String(args.asOf), context.tenant!.businessDate, 'asOf');
      return { asOf: String(args.asOf), lines: await trialBalance(context.db!, String(args.asOf)) };
    },
  }),
  ledgerAccountStatement: t.field({
    type: AccountStatementRef,
    description: 'One account\'s postings in one currency between two value dates.',
    authScopes: { can: 'ledger.read' },
    args: {
      account: t.arg.string({ required: true, description: 'The account code.' }),
      currency: t.arg.string({ required: false, description: 'The tenant\'s currency when omitted.' }),
      from: t.arg({ type: 'Date', required: true, description: 'First value date.' }),
      to: t.arg({ type: 'Date', required: true, description: 'Last value date, the business date at the latest.' }),
    },
    resolve: (_root, args, context) => {
      assertNotAfterBusinessDate(String(args.to), context.tenant!.businessDate, 'to');
      return accountStatement(context.db!, args.account, args.currency ?? context.tenant!.currency, String(args.from), String(args.to));
    },
  }),
  ledgerInvariants: t.field({
    type: LedgerInvariantsRef,
    description: 'Checks the books: journals balance, each loan\'s sub-ledger equals its journal lines, control accounts equal the sum of the sub-ledgers, no loan balance ever went negative, each co-lender\'s principal is its share of the loan\'s and its payable is its shares of collections less settlements.',
    authScopes: { can: 'ledger.read' },
    resolve: (_root, _args, context) => ledgerInvariants(context.db!, context.tenant!.schemaName),
  }),
}));

const OpenLedgerAccountInput = builder.inputType('OpenLedgerAccountInput', {
  description: 'A new account in the chart.',
  fields: (t) => ({
    code: t.string({ required: true, description: 'Its code (letters, digits, dots, dashes, underscores; up to 20).' }),
    name: t.string({ required: true, description: 'Its name.' }),
    kind: t.field({ type: LedgerAccountKindEnum, required: true, description: 'Asset, liability, equity, income or expense.' }),
  }),
});

const MapProductAccountInput = builder.inputType('MapProductAccountInput', {
  description: 'Which account a product posts a role to.',
  fields: (t) => ({
    productCode: t.string({ required: true, description: 'The product.' }),
    role: t.field({ type: LedgerAccountRoleEnum, required: true, description: 'The role, e.g. INTEREST_INCOME or PRINCIPAL_RECEIVABLE.' }),
    account: t.string({ required: true, description: 'The account code.' }),
  }),
});

const OpenLedgerAccountPayload = objectPayload('openLedgerAccount', 'ledgerAccount', LedgerAccountRef, 'The account as opened.');
const MapProductAccountPayload = objectPayload('mapProductAccount', 'loanProduct', LoanProductRef, 'The product, posting the role to the account from now on.');

builder.mutationFields((t) => ({
  openLedgerAccount: t.field({
    type: OpenLedgerAccountPayload,
    description: 'Opens an account in the tenant\'s chart. Sent again with an open code and the same name and kind, it answers that account and writes nothing; with another name or kind it is a CONFLICT naming them.',
    authScopes: { can: 'ledger.manage' },
    args: { input: t.arg({ type: OpenLedgerAccountInput, required: true, description: 'The account.' }) },
    resolve: async (_root, { input }, context) => ({ ledgerAccount: await openLedgerAccount(commandDbOf(context), commandOf(context), input) }),
  }),
  mapProductAccount: t.field({
    type: MapProductAccountPayload,
    description: 'Makes a product post a role to an account; loans booked before keep the accounts they were booked with.',
    authScopes: { can: 'ledger.manage' },
    args: { input: t.arg({ type: MapProductAccountInput, required: true, description: 'The mapping.' }) },
    resolve: async (_root, { input }, context) => ({ loanProduct: await mapProductAccount(commandDbOf(context), commandOf(context), input.productCode, input.role, input.account) }),
  }),
}));
