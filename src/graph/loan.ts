// Loan: a booked loan, its schedule and account as replayed from its transactions, and the commands that move
// its money (src/services/servicing). An origination partner reads only the loans it brought (GraphContext.db is
// partner-scoped); writing is the lender's staff's.
import { storedEnum } from './enums.js';
import { builder } from './builder.js';
import { actorField } from './actors.js';
import { money, type Decimal } from '../domain/money.js';
import { commandDbOf, commandOf, keyedCommandOf, perRequest, type GraphContext } from './context.js';
import { between, checkRange, checkersQueueField, countedConnectionTypes, decisionFields, listPage, numberArg, orderEnum, orderingOf, requirePartyReader, type SortKey } from './lists.js';
import type { Prisma } from '../generated/prisma/client.js';
import { formatNumber } from '../domain/referenceNumbers.js';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { LRUCache } from 'lru-cache';
import type { LoanRow, LoanTermsRow, LoanTransactionRow, LoanWaiverRequestRow } from './loaders.js';
import { LoanProductRef } from './loanProduct.js';
import { AssetClassEnum } from './delinquencyPolicy.js';
import { PartyRef } from './party.js';
import { loanOn, type AllocationExplanation, type InstalmentState, type LoanAccount, type LoanAccountState, type LoanTransaction, type PayoffQuote, type RemainingTerms, type RestructureExplanation, type WriteOffExplanation, type WrittenOff } from '../domain/servicing/loanAccount.js';
import { loanAccountOf, loanRecordOfRow, loanTransactionOf, transactionRecordOfRow } from '../services/servicing/loanRecords.js';
import { disburseLoan, disburseLoanTranche, postLoanTransaction, postRepaymentFile, type PostedLoanTransaction } from '../services/servicing/loans.js';
import { decideWaiver, requestWaiver } from '../services/servicing/waivers.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { loanTranchesOf } from '../services/servicing/loanTranches.js';
import type { TrancheView } from '../domain/servicing/tranches.js';
import type { PostingDraft } from '../services/servicing/postings.js';
import { AppError, inputPath, InvalidField } from '../errors.js';
import { allows } from '../authz/capabilities.js';
import { businessDateOf, dateColumn } from '../tenancy/dateColumns.js';
import { loanAmount, loanDate } from './loanRows.js';
import { moneyAnswer } from './scalars.js';
import { objectPayload, payloadType } from './payloads.js';
import { LoanComponentEnum, PrepaymentRescheduleEnum } from './loanTermsEnums.js';
import { asksFor } from './lookahead.js';

export { LoanComponentEnum };

export const LoanRef = builder.objectRef<LoanRow>('Loan');
export const LoanTransactionRef = builder.objectRef<LoanTransactionRow>('LoanTransaction');
export const LoanWaiverRequestRef = builder.objectRef<LoanWaiverRequestRow>('LoanWaiverRequest');

export const tenantBusinessDate = (context: GraphContext) => context.tenant!.businessDate;

/**
 * Why a field answering a database id is deprecated: no argument takes one. Its replacement, `field`, answers
 * the global id instead (`t.globalID`), written from the same row, so it costs no read and no node of the query's
 * size, and whoever may read the one may read the other; `node(id:)` still answers only what the caller may see.
 */
export function useGlobalId(field: string): string {
  return `A database id, which no argument of the API takes: use \`${field}\`, the global id that \`node(id:)\` and the mutations take.`;
}

/** A loan row as of its last posting: a newer row (after a mutation in the same request) is read afresh. */
const versionOf = (loan: LoanRow) => `${loan.id}|${loan.transactionCount}|${loan.updatedAt.getTime()}`;

/**
 * A loan's terms, allocation, accounts and tranche plan: a row read through the ORM has them; the graph's own rows
 * (src/graph/loanRows.ts) leave them out, and they are read when a loan is replayed, a page's in one statement.
 */
async function loanTermsOf(context: GraphContext, loan: LoanRow): Promise<LoanTermsRow> {
  if ('terms' in loan) return loan as LoanRow & LoanTermsRow;
  const terms = context.loaders
    ? await context.loaders.loanTermsById.load(loan.id)
    : await context.db!.loan.findUnique({ where: { id: loan.id }, select: { id: true, terms: true, allocation: true, accounts: true, tranchePlan: true } });
  // The row was read through the same scope a moment ago: a loan cannot leave it (its partner is fixed at booking).
  if (!terms) throw new Error(`loan ${loan.id}: its terms were not found beside its row`);
  return terms;
}

/** The loan as the replay takes it, with its transactions in arrival order (read through the caller's scope). */
export function loanHistory(context: GraphContext, loan: LoanRow): Promise<{ account: LoanAccount; transactions: LoanTransaction[] }> {
  // Per request: a loan's transactions and its replays, so that a query asking for the account, several
  // transactions' allocations and a statement of one loan reads and replays it once each.
  return perRequest(context, `history|${versionOf(loan)}`, async () => {
    // Through the request's loader, so a page of loans reads all their transactions in one statement; a context
    // made outside a request (a replay from scratch, in checks) has no loaders and reads the loan's own.
    const [terms, rows] = await Promise.all([
      loanTermsOf(context, loan),
      context.loaders
        ? context.loaders.loanTransactionsByLoan.load(loan.id)
        : context.db!.loanTransaction.findMany({ where: { loanId: loan.id }, orderBy: { seq: 'asc' } }),
    ]);
    const record = loanRecordOfRow({
      id: loan.id, terms: terms.terms, allocation: terms.allocation, accounts: terms.accounts, principal: loan.principal, approvedPrincipal: loan.approvedPrincipal,
      disbursementDate: loan.disbursementDate, firstRepaymentDate: loan.firstRepaymentDate,
    });
    return { account: loanAccountOf(record), transactions: rows.map((row) => loanTransactionOf(transactionRecordOfRow(row))) };
  });
}

/**
 * Every replay the graph runs goes through here: one per loan version and question (`on|<date>` for the account
 * and payoff quote, `statement|<from>|<to>`) per request, however many fields ask it.
 */
export function replayOnce<T>(
  context: GraphContext, loan: LoanRow, question: string, replay: (history: { account: LoanAccount; transactions: LoanTransaction[] }) => T,
  history: () => Promise<{ account: LoanAccount; transactions: LoanTransaction[] }> = () => loanHistory(context, loan),
): Promise<T> {
  return perRequest(context, `replay|${versionOf(loan)}|${question}`, () => {
    const shared = context.tenant && question.startsWith('on|') ? `${context.tenant.schemaName}|${versionOf(loan)}|${question}` : undefined;
    const known = shared ? loansOnDates.get(shared) : undefined;
    if (known) return known as Promise<T>;
    const replayed = (async () => replay(await history()))();
    if (shared) {
      loansOnDates.set(shared, replayed);
      replayed.catch(() => loansOnDates.delete(shared));
    }
    return replayed;
  });
}

/**
 * A loan on a date, as replayed, shared by the requests of this process: the replay is a function of the loan's
 * terms, its transactions and the date alone, and a loan's version (`versionOf`: its transaction count and last
 * change) moves with every transaction posted, reversed or replayed into it, so an answer kept under the same
 * version and date is the answer a replay would give now. Reading a loan's schedule again does not replay it
 * again, nor read its transactions. Who may read the loan is still decided on each request: the loan row is read
 * through the caller's scope before this is asked, and a partner that can read a loan reads all of its
 * transactions. Bounded; the least recently read are replayed again when next asked.
 */
const loansOnDates = new LRUCache<string, Promise<unknown>>({ max: 1_000 });

/** The replays this request has run, so that "at most one per loan and question" can be seen, not assumed. */
export function replaysOf(context: GraphContext): { loanId: string; question: string }[] {
  return [...context.memo.keys()]
    .filter((key) => key.startsWith('replay|'))
    .map((key) => {
      const [, loanId, _count, _updatedAt, ...question] = key.split('|');
      return { loanId: loanId!, question: question.join('|') };
    });
}

/** A loan replayed from scratch as of a date (the tenant's business date unless asked). */
export async function replayedLoan(context: GraphContext, loan: LoanRow, asOf?: string | null): Promise<LoanAccountState> {
  const date = asOf ?? tenantBusinessDate(context);
  if (date < businessDateOf(loan.disbursementDate)) throw new InvalidField('asOf', `the loan was disbursed on ${businessDateOf(loan.disbursementDate)}`);
  return (await loanOnDate(context, loan, date)).account;
}

/** The loan on a date, account and payoff quote together: one replay answers both, whichever a request asks. */
function loanOnDate(context: GraphContext, loan: LoanRow, date: string): Promise<{ account: LoanAccountState; payoff: PayoffQuote }> {
  return replayOnce(context, loan, `on|${date}`, ({ account, transactions }) => loanOn(account, transactions, date));
}

export const LoanStatusEnum = builder.enumType('LoanStatus', {
  description: 'Where a loan stands (src/domain/servicing/loanStatus.ts holds the transitions).',
  values: {
    APPROVED: { value: 'approved', description: 'Booked, not yet paid out.' },
    ACTIVE: { value: 'active', description: 'Paid out; nothing is past due.' },
    OVERDUE: { value: 'overdue', description: 'Something fell due and is still unpaid.' },
    CLOSED: { value: 'closed', description: 'Obligations met: nothing owed and nothing left to fall due.' },
    WRITTEN_OFF: { value: 'written_off', description: 'Written off in full: nothing is owed on the books; money received is a recovery. Reversing the write-off reinstates the loan.' },
    RESTRUCTURED: {
      value: 'restructured', description: 'Never set: a restructured loan keeps its status (active or overdue, as its money says).',
      deprecationReason: 'A restructure is a fact of the loan, not a status; no loan has this status.',
    },
  } as const,
});

const TransactionKindEnum = builder.enumType('LoanTransactionKind', {
  description: 'What a loan transaction is.',
  values: {
    REPAYMENT: { value: 'repayment', description: 'Money from the borrower, allocated by the loan\'s rule.' },
    PREPAYMENT: { value: 'prepayment', description: 'Money beyond what is due that reschedules the loan (lower instalment or shorter tenor).' },
    PAYOFF: { value: 'payoff', description: 'Paying the loan off early: unearned interest is not owed.' },
    REFUND: { value: 'refund', description: 'Excess paid back to the borrower.' },
    REVERSAL: { value: 'reversal', description: 'Undoes another transaction; the loan is replayed without it.' },
    CHARGE: { value: 'charge', description: 'A fee or penalty charged by hand.' },
    WAIVER: { value: 'waiver', description: 'Interest, fees or penalties forgiven (approved by a second person).' },
    TRANCHE: { value: 'tranche', description: 'A later tranche of a loan approved in tranches paid out; the instalments still to come are regenerated.' },
    RESTRUCTURE: { value: 'restructure', description: 'New terms from its date (approved by a second person): arrears capitalised or left due, a rate, a number of instalments, a payment holiday.' },
    WRITE_OFF: { value: 'writeOff', description: 'What the borrower owes given up (approved by a second person, or by the charge-off rule): in full (no amount) or an amount of one component.' },
  } as const,
});

/** Amounts per component: Decimals, or exact decimal text as a numeric column gives it (moneyAnswer writes either out). */
interface Amounts {
  currency: string;
  principal: Decimal | { toString(): string };
  interest: Decimal | { toString(): string };
  fee: Decimal | { toString(): string };
  penalty: Decimal | { toString(): string };
}

const ComponentAmountsRef = builder.objectRef<Amounts>('LoanComponentAmounts').implement({
  description: 'An amount per component.',
  authScopes: { can: 'loans.read' },
  runScopesOnType: true,
  fields: (t) => ({
    principal: t.field({ type: 'Money', description: 'Principal.', resolve: (a) => moneyAnswer(a.principal, a.currency) }),
    interest: t.field({ type: 'Money', description: 'Interest.', resolve: (a) => moneyAnswer(a.interest, a.currency) }),
    fee: t.field({ type: 'Money', description: 'Fees.', resolve: (a) => moneyAnswer(a.fee, a.currency) }),
    penalty: t.field({ type: 'Money', description: 'Penalties.', resolve: (a) => moneyAnswer(a.penalty, a.currency) }),
  }),
});

const LoanInstalmentRef = builder.objectRef<InstalmentState & { currency: string }>('LoanInstalment').implement({
  description: 'One instalment of a loan: what it charged, what was paid and waived, and what it still owes.',
  authScopes: { can: 'loans.read' },
  runScopesOnType: true,
  fields: (t) => ({
    number: t.exposeInt('number', { description: '1 for the first.' }),
    dueDate: t.field({ type: 'Date', description: 'When it falls due.', resolve: (i) => i.dueDate }),
    charged: t.field({ type: ComponentAmountsRef, description: 'The schedule\'s amounts plus charges added to it.', resolve: (i) => ({ ...i.charged, currency: i.currency }) }),
    paid: t.field({ type: ComponentAmountsRef, description: 'Paid so far.', resolve: (i) => ({ ...i.paid, currency: i.currency }) }),
    waived: t.field({ type: ComponentAmountsRef, description: 'Waived so far.', resolve: (i) => ({ ...i.waived, currency: i.currency }) }),
    writtenOff: t.field({ type: ComponentAmountsRef, description: 'Written off so far.', resolve: (i) => ({ ...i.writtenOff, currency: i.currency }) }),
    outstanding: t.field({ type: ComponentAmountsRef, description: 'Still owed.', resolve: (i) => ({ ...i.outstanding, currency: i.currency }) }),
  }),
});

const AllocationLineRef = builder.objectRef<{ instalment: number; dueDate: string; component: string; amount: Decimal; reason: string; currency: string }>('AllocationLine').implement({
  description: 'Where one part of a payment went, and why.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    instalment: t.exposeInt('instalment', { description: 'The instalment it paid.' }),
    dueDate: t.field({ type: 'Date', description: 'That instalment\'s due date.', resolve: (l) => l.dueDate }),
    component: t.field({ type: LoanComponentEnum, description: 'What it paid.', resolve: (l) => l.component as 'principal' }),
    amount: t.field({ type: 'Money', description: 'How much.', resolve: (l) => money(l.amount, l.currency) }),
    reason: t.exposeString('reason', { description: 'Why the rule sent it there.' }),
  }),
});

const AllocationRef = builder.objectRef<AllocationExplanation & { currency: string }>('PaymentAllocation').implement({
  description: 'How one payment (or money already held) was applied.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    transactionId: t.string({
      nullable: true, description: 'The repayment\'s transaction id; null when money already held was drawn on.', deprecationReason: useGlobalId('transactionGlobalId'),
      resolve: (a) => a.repaymentId,
    }),
    transactionGlobalId: t.globalID({
      nullable: true, description: 'The repayment (`LoanTransaction.id`); null when money already held was drawn on.',
      resolve: (a) => (a.repaymentId ? { type: LoanTransactionRef, id: a.repaymentId } : null),
    }),
    valueDate: t.field({ type: 'Date', description: 'When it applied.', resolve: (a) => a.valueDate }),
    amount: t.field({ type: 'Money', description: 'The money applied.', resolve: (a) => money(a.amount, a.currency) }),
    lines: t.field({ type: [AllocationLineRef], description: 'Each instalment and component it paid, in the order applied.', resolve: (a) => a.lines.map((l) => ({ ...l, currency: a.currency })) }),
    held: t.field({ type: 'Money', description: 'What it left held for the borrower (advance or excess).', resolve: (a) => money(a.held, a.currency) }),
    heldReason: t.string({ nullable: true, description: 'Why money was held, when it was.', resolve: (a) => [a.reasons.advance, a.reasons.excess].filter(Boolean).join(' ') || null }),
  }),
});

const WriteOffLineRef = builder.objectRef<{ instalment: number; component: string; amount: Decimal; currency: string }>('LoanWriteOffLine').implement({
  description: 'What a write-off gave up of one instalment\'s component.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    instalment: t.exposeInt('instalment', { description: 'The instalment number.' }),
    component: t.field({ type: LoanComponentEnum, description: 'The component.', resolve: (l) => l.component as 'fee' }),
    amount: t.field({ type: 'Money', description: 'How much.', resolve: (l) => money(l.amount, l.currency) }),
  }),
});

const WriteOffRef = builder.objectRef<WriteOffExplanation & { currency: string }>('LoanWriteOff').implement({
  description: 'A write-off as the replay applied it: principal, interest, fees and penalties moved to their write-off expense accounts.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    transactionId: t.string({ description: 'The write-off transaction\'s id.', deprecationReason: useGlobalId('transactionGlobalId'), resolve: (w) => w.writeOffId }),
    transactionGlobalId: t.globalID({ description: 'The write-off transaction (`LoanTransaction.id`).', resolve: (w) => ({ type: LoanTransactionRef, id: w.writeOffId }) }),
    valueDate: t.field({ type: 'Date', description: 'When it took effect.', resolve: (w) => w.valueDate }),
    inFull: t.boolean({ description: 'True: everything owed was given up and the loan is written off; false: an amount of one component.', resolve: (w) => w.full }),
    amounts: t.field({ type: ComponentAmountsRef, description: 'What was written off, per component.', resolve: (w) => ({ ...w.amounts, currency: w.currency }) }),
    lines: t.field({ type: [WriteOffLineRef], description: 'Each instalment and component it gave up.', resolve: (w) => w.lines.map((l) => ({ ...l, currency: w.currency })) }),
    rescheduled: t.boolean({ description: 'Principal still to fall due was written off, so the instalments still to come were regenerated (a lower instalment).', resolve: (w) => w.rescheduled }),
  }),
});

const WrittenOffRef = builder.objectRef<WrittenOff & { currency: string }>('LoanWrittenOff').implement({
  description: 'A loan written off in full: the debt stays the borrower\'s, off the books; money received is recovery income.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    on: t.field({ type: 'Date', description: 'The write-off\'s value date.', resolve: (w) => w.on }),
    total: t.field({ type: 'Money', description: 'Everything given up: principal, interest, fees and penalties.', resolve: (w) => money(w.total, w.currency) }),
    recovered: t.field({ type: 'Money', description: 'Received since, credited to recovery income.', resolve: (w) => money(w.recovered, w.currency) }),
    recoverable: t.field({ type: 'Money', description: 'Written off and not yet recovered.', resolve: (w) => money(w.recoverable, w.currency) }),
  }),
});

const RemainingTermsRef = builder.objectRef<RemainingTerms & { currency: string }>('LoanRemainingTerms').implement({
  description: 'The instalments still to come after a date: how many, to when, and what they ask for.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    instalments: t.exposeInt('instalments', { description: 'How many.' }),
    maturityDate: t.field({ type: 'Date', nullable: true, description: 'The last one\'s due date.', resolve: (r) => r.maturityDate }),
    level: t.field({ type: 'Money', nullable: true, description: 'The level instalment (principal and interest); null for a bullet.', resolve: (r) => (r.level ? money(r.level, r.currency) : null) }),
    principal: t.field({ type: 'Money', description: 'Principal they ask for.', resolve: (r) => money(r.principal, r.currency) }),
    interest: t.field({ type: 'Money', description: 'Interest they ask for.', resolve: (r) => money(r.interest, r.currency) }),
  }),
});

const RestructureRef = builder.objectRef<RestructureExplanation & { currency: string }>('LoanRestructure').implement({
  description: 'A restructure as the replay applied it: arrears capitalised or left due, the rate, a holiday, the instalments before and after.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    transactionId: t.string({ description: 'The restructure transaction\'s id.', deprecationReason: useGlobalId('transactionGlobalId'), resolve: (r) => r.restructureId }),
    transactionGlobalId: t.globalID({ description: 'The restructure transaction (`LoanTransaction.id`).', resolve: (r) => ({ type: LoanTransactionRef, id: r.restructureId }) }),
    valueDate: t.field({ type: 'Date', description: 'When the new terms started.', resolve: (r) => r.valueDate }),
    capitalised: t.field({ type: ComponentAmountsRef, description: 'Arrears that became principal, per component (zero when left due).', resolve: (r) => ({ ...r.capitalised, currency: r.currency }) }),
    annualRatePercent: t.field({ type: 'Decimal', description: 'The annual rate from then on.', resolve: (r) => r.annualRatePercent }),
    holidayPeriods: t.exposeInt('holidayPeriods', { description: 'Whole periods with nothing due before the first new instalment.' }),
    before: t.field({ type: RemainingTermsRef, description: 'The instalments still to come, before.', resolve: (r) => ({ ...r.before, currency: r.currency }) }),
    after: t.field({ type: RemainingTermsRef, description: 'The instalments still to come, after.', resolve: (r) => ({ ...r.after, currency: r.currency }) }),
  }),
});

const LoanAccountRef = builder.objectRef<LoanAccountState>('LoanAccount').implement({
  description: 'A loan as of a date, replayed from its terms and every transaction in value-date order.',
  authScopes: { can: 'loans.read' },
  runScopesOnType: true,
  fields: (t) => ({
    asOf: t.field({ type: 'Date', description: 'The date it was replayed to.', resolve: (s) => s.asOf }),
    status: t.field({ type: LoanStatusEnum, description: 'ACTIVE, OVERDUE, CLOSED or WRITTEN_OFF, as the money says on that date.', resolve: (s) => s.status }),
    daysPastDue: t.exposeInt('daysPastDue', { description: 'Days since the oldest unpaid due date.' }),
    netDisbursement: t.field({ type: 'Money', description: 'What was paid out: at booking (less a deducted fee), and every later tranche in effect.', resolve: (s) => money(s.currentSchedule.netDisbursement, s.currency) }),
    instalments: t.field({ type: [LoanInstalmentRef], description: 'Every instalment.', resolve: (s) => s.instalments.map((i) => ({ ...i, currency: s.currency })) }),
    receivable: t.field({ type: ComponentAmountsRef, description: 'What the loan\'s receivable accounts hold: unpaid principal, and interest, fees and penalties once due.', resolve: (s) => ({ ...s.totals.receivable, currency: s.currency }) }),
    due: t.field({ type: ComponentAmountsRef, description: 'Owed on instalments due on or before the date.', resolve: (s) => ({ ...s.totals.due, currency: s.currency }) }),
    outstanding: t.field({ type: ComponentAmountsRef, description: 'Everything still to be paid under the schedule, due or not.', resolve: (s) => ({ ...s.totals.outstanding, currency: s.currency }) }),
    advance: t.field({ type: 'Money', description: 'Held for instalments not yet due.', resolve: (s) => money(s.held.advance, s.currency) }),
    excess: t.field({ type: 'Money', description: 'Paid beyond what is owed: refundable.', resolve: (s) => money(s.held.excess, s.currency) }),
    allocations: t.field({ type: [AllocationRef], description: 'How every payment was applied, in value-date order.', resolve: (s) => s.allocations.map((a) => ({ ...a, currency: s.currency })) }),
    writeOffs: t.field({ type: [WriteOffRef], description: 'Every write-off in effect, in value-date order.', resolve: (s) => s.writeOffs.map((w) => ({ ...w, currency: s.currency })) }),
    writtenOff: t.field({ type: WrittenOffRef, nullable: true, description: 'Once written off in full: when, how much, and what has been recovered since.', resolve: (s) => (s.writtenOff ? { ...s.writtenOff, currency: s.currency } : null) }),
    restructures: t.field({ type: [RestructureRef], description: 'Every restructure in effect, in value-date order.', resolve: (s) => s.restructures.map((r) => ({ ...r, currency: s.currency })) }),
    restructuredOn: t.field({ type: 'Date', nullable: true, description: 'The value date of its latest restructure; null when never restructured.', resolve: (s) => s.restructuredOn }),
  }),
});

const PayoffQuoteRef = builder.objectRef<PayoffQuote & { currency: string }>('PayoffQuote').implement({
  description: 'What pays the loan off on a date: principal, interest earned to that date, fees and penalties, less what is held. Valid through that date.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    date: t.field({ type: 'Date', description: 'The payoff date.', resolve: (q) => q.date }),
    validThrough: t.field({ type: 'Date', description: 'The last day this amount pays the loan off (interest accrues after it).', resolve: (q) => q.date }),
    principal: t.field({ type: 'Money', description: 'All principal still owed.', resolve: (q) => money(q.principal, q.currency) }),
    interest: t.field({ type: 'Money', description: 'Interest due and unpaid, plus what the current period has earned by the date.', resolve: (q) => money(q.interest, q.currency) }),
    fees: t.field({ type: 'Money', description: 'Fees owed.', resolve: (q) => money(q.fees, q.currency) }),
    penalties: t.field({ type: 'Money', description: 'Penalties owed.', resolve: (q) => money(q.penalties, q.currency) }),
    held: t.field({ type: 'Money', description: 'The borrower\'s money already held, credited.', resolve: (q) => money(q.held, q.currency) }),
    total: t.field({ type: 'Money', description: 'What to pay (`postRepayment` with purpose `PAYOFF`).', resolve: (q) => money(q.total, q.currency) }),
  }),
});

const LoanTrancheStatusEnum = builder.enumType('LoanTrancheStatus', {
  description: 'Whether a tranche has been paid out.',
  values: {
    PAID: { value: 'paid', description: 'Paid out (the first at booking, later ones by `disburseLoanTranche`).' },
    PLANNED: { value: 'planned', description: 'In the plan, not paid out yet.' },
  } as const,
});

const LoanTrancheRef = builder.objectRef<TrancheView & { currency: string }>('LoanTranche').implement({
  description: 'One tranche of a loan: as planned at booking and as paid out.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    number: t.exposeInt('number', { description: '1 for the tranche paid at booking.' }),
    status: t.field({ type: LoanTrancheStatusEnum, description: 'Paid or planned.', resolve: (x) => x.status }),
    expectedDate: t.field({ type: 'Date', nullable: true, description: 'When the plan expects it; null for a tranche paid beyond the plan.', resolve: (x) => x.expectedDate }),
    expectedAmount: t.field({ type: 'Money', nullable: true, description: 'What the plan expects; null for a tranche paid beyond the plan.', resolve: (x) => (x.expectedAmount ? money(x.expectedAmount, x.currency) : null) }),
    paidDate: t.field({ type: 'Date', nullable: true, description: 'When it was paid out; null while planned.', resolve: (x) => x.paidDate }),
    paidAmount: t.field({ type: 'Money', nullable: true, description: 'What was paid out; null while planned.', resolve: (x) => (x.paidAmount ? money(x.paidAmount, x.currency) : null) }),
    transaction: t.field({
      type: LoanTransactionRef, nullable: true, description: 'The tranche transaction that paid it out; null for the booking\'s tranche and while planned.',
      resolve: (x, _args, context) => (x.transactionId ? context.loaders.loanTransactionById.load(x.transactionId) : null),
    }),
  }),
});

/** The loan's tranches from its plan and its stored transactions (the booking's tranche first). */
async function tranchesOfLoan(context: GraphContext, loan: LoanRow) {
  const transactions = await context.db!.loanTransaction.findMany({
    where: { loanId: loan.id, kind: { in: ['tranche', 'reversal'] } }, orderBy: { seq: 'asc' },
    select: { id: true, kind: true, valueDate: true, amount: true, reverses: true },
  });
  const { tranchePlan } = await loanTermsOf(context, loan);
  return loanTranchesOf({ principal: loan.principal, approvedPrincipal: loan.approvedPrincipal, disbursementDate: loan.disbursementDate, tranchePlan }, transactions);
}

builder.node(LoanRef, {
  description: 'A booked loan, with the terms it was booked with.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.loanById.load(id)),
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    number: t.string({ description: 'The tenant\'s number for it, e.g. L-000123: counted per lender from 1 in booking order, never reused. Find it with `loans(number:)`.', resolve: (l) => formatNumber('loan', l.number) }),
    status: t.field({ type: LoanStatusEnum, description: 'Where it stands, as of its last posting.', resolve: (l) => l.status as 'active' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was booked.', resolve: (l) => l.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'When it last changed (a posting, a status move): what `loans(updatedSince:)` compares.', resolve: (l) => l.updatedAt }),
    product: t.field({
      type: LoanProductRef, nullable: true, description: 'The product it was booked under.',
      // Read already for a page of loans that asks for it (`loans`): answered without a promise.
      resolve: (l, _args, context) => {
        const read = context.loaders.loanProductRead(l.productId);
        return read !== undefined ? read : context.loaders.loanProductById.load(l.productId);
      },
    }),
    productVersion: t.exposeInt('productVersion', { description: 'The product version whose terms it keeps.' }),
    currency: t.exposeString('currency', { description: 'ISO 4217.' }),
    principal: t.field({ type: 'Money', description: 'The principal paid out at booking (for a loan paid out in tranches, the first tranche; see `tranches`).', resolve: (l) => moneyAnswer(loanAmount(l, 'principal'), l.currency) }),
    approvedPrincipal: t.field({ type: 'Money', description: 'What the loan is approved for: its principal, or more when later tranches may be paid out.', resolve: (l) => moneyAnswer(loanAmount(l, 'approvedPrincipal'), l.currency) }),
    undisbursedPrincipal: t.field({
      type: 'Money', description: 'Approved and not yet paid out (zero for a loan paid out at once).',
      resolve: async (l, _args, context) => money((await tranchesOfLoan(context, l)).undisbursed, l.currency),
    }),
    tranches: t.field({
      type: [LoanTrancheRef],
      description: 'The tranches, planned and paid: the plan at booking with what was paid against each (the k-th paid against the k-th planned), then any paid beyond the plan. One paid tranche for a loan paid out at once.',
      resolve: async (l, _args, context) => (await tranchesOfLoan(context, l)).tranches.map((x) => ({ ...x, currency: l.currency })),
    }),
    disbursementDate: t.field({ type: 'Date', description: 'When it was paid out.', resolve: (l) => loanDate(l, 'disbursementDate')! }),
    firstRepaymentDate: t.field({ type: 'Date', nullable: true, description: 'The first due date, when set at booking.', resolve: (l) => loanDate(l, 'firstRepaymentDate') }),
    externalReference: t.exposeString('externalReference', { nullable: true, description: 'The lender\'s or partner\'s own reference.' }),
    originationPartnerCode: t.exposeString('originationPartner', { nullable: true, description: 'The origination partner that brought it.' }),
    borrower: t.field({
      type: PartyRef, nullable: true, description: 'The borrower (staff only).', authScopes: { can: 'parties.read' },
      resolve: (l, _args, context) => (l.borrowerPartyId ? context.loaders.partyById.load(l.borrowerPartyId) : null),
    }),
    daysPastDue: t.exposeInt('daysPastDue', { description: 'Days past due as of the business date: the business date less the due date of the oldest instalment still owing more than the tolerance (end of day counts them on; docs/end-of-day.md).' }),
    overdueSince: t.field({
      type: 'Date', nullable: true, description: 'The due date of the oldest instalment still owing more than the tolerance; null when nothing is overdue.',
      resolve: (l) => loanDate(l, 'oldestDueDate'),
    }),
    nextDueDate: t.field({
      type: 'Date', nullable: true, description: 'When the next instalment falls due; null after maturity or once closed.',
      resolve: (l) => (l.status === 'active' || l.status === 'overdue' ? loanDate(l, 'nextDueDate') : null),
    }),
    delinquencyBucket: t.exposeString('delinquencyBucket', {
      nullable: true, description: 'Its delinquency bucket by days past due, as the last end of day set it (the product\'s ranges or the lender\'s policy); null before its first end of day.',
    }),
    nonPerformingSince: t.field({
      type: 'Date', nullable: true, description: 'When the regulatory regime first counted it non-performing, until it performs again (docs/classification.md).',
      resolve: (l) => loanDate(l, 'npaSince'),
    }),
    assetClass: t.field({
      type: AssetClassEnum, description: 'The regulatory class it carries (its own, or its borrower\'s worst where the regime classifies borrowers), as the last end of day set it (staff only; docs/classification.md).',
      authScopes: { can: 'ledger.read' }, resolve: (l) => l.assetClass as 'STANDARD',
    }),
    restructuredOn: t.field({
      type: 'Date', nullable: true, description: 'The value date of its latest restructure, as of its last posting; null when never restructured. It stays on the loan, as a regulator asks (docs/restructure.md).',
      resolve: (l) => loanDate(l, 'restructuredOn'),
    }),
    interestInSuspense: t.field({
      type: 'Money', description: 'Interest receivable held out of income while the loan is in a non-accrual class (staff only).', authScopes: { can: 'ledger.read' },
      resolve: (l) => moneyAnswer(loanAmount(l, 'interestSuspense'), l.currency),
    }),
    provision: t.field({
      type: 'Money', description: 'The provision held against it for its class (staff only).', authScopes: { can: 'ledger.read' },
      resolve: (l) => moneyAnswer(loanAmount(l, 'provision'), l.currency),
    }),
    balancesAsOf: t.field({ type: 'Date', description: 'The business date its stored balances and position were last brought to, by a posting or by end of day; they hold as of the tenant\'s business date (nothing happened to the loan in between).', resolve: (l) => loanDate(l, 'asOf')! }),
    receivable: t.field({
      type: ComponentAmountsRef, description: 'Its sub-ledger as of its last posting (what the GL control accounts hold for it).',
      resolve: (l) => ({
        currency: l.currency, principal: loanAmount(l, 'principalReceivable'), interest: loanAmount(l, 'interestReceivable'), fee: loanAmount(l, 'feeReceivable'),
        penalty: loanAmount(l, 'penaltyReceivable'),
      }),
    }),
    held: t.field({ type: 'Money', description: 'Borrower money held (advance and excess) as of its last posting.', resolve: (l) => moneyAnswer(loanAmount(l, 'held'), l.currency) }),
    interestInAdvance: t.field({
      type: 'Money', description: 'Interest paid before its instalment fell due, held as a liability (not income) until that date, as of its last posting.',
      resolve: (l) => moneyAnswer(loanAmount(l, 'interestInAdvance'), l.currency),
    }),
    account: t.field({
      type: LoanAccountRef,
      description: 'The loan replayed as of a date: schedule, allocations and balances.',
      args: { asOf: t.arg({ type: 'Date', required: false, description: 'The tenant\'s business date when omitted.' }) },
      resolve: (l, args, context) => replayedLoan(context, l, args.asOf ? String(args.asOf) : null),
    }),
    payoffQuote: t.field({
      type: PayoffQuoteRef,
      description: 'What pays the loan off on a date (the business date when omitted).',
      args: { date: t.arg({ type: 'Date', required: false, description: 'The payoff date, on or after the business date.' }) },
      resolve: async (l, args, context) => {
        const date = args.date ? String(args.date) : tenantBusinessDate(context);
        if (date < tenantBusinessDate(context)) throw new InvalidField('date', `a payoff quote is for the business date, ${tenantBusinessDate(context)}, or later`);
        const { payoff } = await loanOnDate(context, l, date);
        return { ...payoff, currency: l.currency };
      },
    }),
    transactions: t.field({
      type: [LoanTransactionRef],
      description: 'Every transaction in the order it arrived (at most 1,000).',
      resolve: (l, _args, context) => context.db!.loanTransaction.findMany({ where: { loanId: l.id }, orderBy: { seq: 'asc' }, take: 1_000 }),
    }),
  }),
});

builder.node(LoanTransactionRef, {
  description: 'A transaction of a loan; never changed once written (a reversal is its own transaction).',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.loanTransactionById.load(id)),
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    loan: t.field({ type: LoanRef, nullable: true, description: 'Its loan.', resolve: (x, _args, context) => context.loaders.loanById.load(x.loanId) }),
    kind: t.field({ type: TransactionKindEnum, description: 'What it is.', resolve: (x) => x.kind as 'repayment' }),
    sequence: t.exposeInt('seq', { description: 'Arrival order within the loan (breaks value-date ties).' }),
    valueDate: t.field({ type: 'Date', description: 'The date it is effective on.', resolve: (x) => businessDateOf(x.valueDate) }),
    amount: t.field({ type: 'Money', nullable: true, description: 'Its amount; null for a reversal.', resolve: async (x, _args, context) => (x.amount ? money(x.amount, (await context.loaders.loanById.load(x.loanId))!.currency) : null) }),
    component: t.field({ type: LoanComponentEnum, nullable: true, description: 'For charges and waivers: what is charged or waived.', resolve: (x) => x.component as 'fee' | null }),
    instalment: t.exposeInt('instalment', { nullable: true, description: 'For a waiver of one instalment: which.' }),
    reschedule: t.expose('reschedule', { type: PrepaymentRescheduleEnum, nullable: true, description: 'For a prepayment: a lower instalment or a shorter tenor.' }),
    reverses: t.field({ type: LoanTransactionRef, nullable: true, description: 'For a reversal: what it undoes.', resolve: (x, _args, context) => (x.reverses ? context.loaders.loanTransactionById.load(x.reverses) : null) }),
    channel: t.exposeString('channel', { nullable: true, description: 'How the money came or went (e.g. `bank-transfer`, `card`, `cash`).' }),
    externalReference: t.exposeString('externalReference', { nullable: true, description: 'The payment\'s reference at the bank or channel.' }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why, for charges, waivers and reversals.' }),
    enteredAt: t.field({ type: 'DateTime', description: 'When it was entered.', resolve: (x) => x.enteredAt }),
    enteredBy: actorField(t, 'Who entered it.', (x) => x.enteredBy),
    allocation: t.field({
      type: AllocationRef, nullable: true,
      description: 'For money in: which instalment and component every unit went to, and why (replayed as of the business date, so a later backdated payment shows its effect).',
      resolve: async (x, _args, context) => {
        const loan = (await context.loaders.loanById.load(x.loanId))!;
        const state = await replayedLoan(context, loan);
        const found = state.allocations.find((a) => a.repaymentId === x.id);
        return found ? { ...found, currency: state.currency } : null;
      },
    }),
  }),
});

builder.node(LoanWaiverRequestRef, {
  description: 'A waiver one person asked for and another decides.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.loanWaiverRequestById.load(id)),
  // Staff read requests (makers and checkers alike); partners' data access has no rule for them.
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    loan: t.field({ type: LoanRef, nullable: true, description: 'The loan.', resolve: (w, _args, context) => context.loaders.loanById.load(w.loanId) }),
    component: t.field({ type: LoanComponentEnum, description: 'What is to be waived.', resolve: (w) => w.component as 'fee' }),
    amount: t.field({ type: 'Decimal', description: 'How much, in the loan\'s currency.', resolve: (w) => w.amount.toString() }),
    instalment: t.exposeInt('instalment', { nullable: true, description: 'Which instalment; oldest owing first when null.' }),
    valueDate: t.field({ type: 'Date', description: 'The date it takes effect.', resolve: (w) => businessDateOf(w.valueDate) }),
    reason: t.exposeString('reason', { description: 'Why it was asked for.' }),
    ...decisionFields(t),
    transaction: t.field({ type: LoanTransactionRef, nullable: true, description: 'The waiver transaction, once approved.', resolve: (w, _args, context) => (w.transactionId ? context.loaders.loanTransactionById.load(w.transactionId) : null) }),
  }),
});

const LOAN_ORDER = {
  NUMBER: { field: 'number', kind: 'int', label: 'its number' },
  CREATED_AT: { field: 'createdAt', kind: 'time', label: 'when it was booked' },
  UPDATED_AT: { field: 'updatedAt', kind: 'time', label: 'when it last changed' },
  DISBURSEMENT_DATE: { field: 'disbursementDate', kind: 'date', label: 'its disbursement date' },
} as const satisfies Record<string, SortKey>;
const LoanOrderEnum = orderEnum('Loan', LOAN_ORDER);

builder.queryField('loans', (t) =>
  t.connection({
    type: LoanRef,
    description: 'The tenant\'s loans, by number unless `orderBy` says otherwise, narrowed by the filters given (all of them must hold). An origination partner sees and counts only the loans it brought.',
    authScopes: { can: 'loans.read' },
    args: {
      orderBy: t.arg({ type: LoanOrderEnum, required: false, description: 'The order of the list; `NUMBER_ASC` when absent.' }),
      status: t.arg({ type: LoanStatusEnum, required: false, description: 'Only loans in this status.' }),
      number: t.arg.string({ required: false, description: 'Only the loan with this number: `L-000123`, `L-123` or `123`.' }),
      externalReference: t.arg.string({ required: false, description: 'Only loans with this external reference (the partner\'s or lender\'s own), exactly.' }),
      borrowerId: t.arg.globalID({ required: false, for: PartyRef, description: 'Only loans to this party (staff: needs `parties.read`).' }),
      borrowerName: t.arg.string({ required: false, description: 'Only loans whose borrower\'s legal name contains this, ignoring case (staff: needs `parties.read`).' }),
      createdFrom: t.arg({ type: 'DateTime', required: false, description: 'Only loans booked at or after this.' }),
      createdTo: t.arg({ type: 'DateTime', required: false, description: 'Only loans booked at or before this.' }),
      disbursedFrom: t.arg({ type: 'Date', required: false, description: 'Only loans disbursed on or after this date.' }),
      disbursedTo: t.arg({ type: 'Date', required: false, description: 'Only loans disbursed on or before this date.' }),
      updatedSince: t.arg({ type: 'DateTime', required: false, description: 'Only loans changed at or after this (a posting, a status move, end of day): the sync filter, see docs/partners.md.' }),
    },
    resolve: (_root, args, context, info) => {
      checkRange('createdFrom', args.createdFrom, 'createdTo', args.createdTo);
      checkRange('disbursedFrom', args.disbursedFrom, 'disbursedTo', args.disbursedTo);
      if (args.borrowerId != null || args.borrowerName != null) requirePartyReader(context, args.borrowerId != null ? 'borrowerId' : 'borrowerName');
      const where: Record<string, unknown> = {
        ...(args.status ? { status: args.status } : {}),
        ...(args.number != null ? { number: numberArg('loan', 'number', args.number) } : {}),
        ...(args.externalReference != null ? { externalReference: args.externalReference } : {}),
        ...(args.borrowerId != null ? { borrowerPartyId: args.borrowerId.id } : {}),
        ...(args.borrowerName != null ? { borrower: { legalName: { contains: args.borrowerName, mode: 'insensitive' } } } : {}),
        ...(args.createdFrom != null || args.createdTo != null ? { createdAt: between(args.createdFrom, args.createdTo) } : {}),
        ...(args.disbursedFrom != null || args.disbursedTo != null
          ? { disbursementDate: between(args.disbursedFrom != null ? dateColumn(String(args.disbursedFrom)) : null, args.disbursedTo != null ? dateColumn(String(args.disbursedTo)) : null) }
          : {}),
        ...(args.updatedSince != null ? { updatedAt: { gte: args.updatedSince } } : {}),
      };
      const ordering = orderingOf(LOAN_ORDER, args.orderBy, 'number:asc');
      // The page's products, when its loans are asked for them, read before the loans are answered: each loan's
      // fields then all answer at once, and graphql-js makes no promise per loan.
      const withProducts = asksFor(info, ['edges', 'node', 'product'])
        ? async (rows: LoanRow[]) => {
          await context.loaders.loanProductById.loadMany([...new Set(rows.map((row) => row.productId))]);
          return rows;
        }
        : async (rows: LoanRow[]) => rows;
      return listPage(context, args, ordering, where, {
        // The page's ids through the caller's scoped client (its filters and order are Prisma's), then the rows
        // themselves through the request's loader, plain SQL (src/graph/loanRows.ts), in the page's order.
        findMany: async (query) => {
          const page = await context.db!.loan.findMany({ ...(query as Prisma.LoanFindManyArgs), select: { id: true } });
          const rows = await context.loaders.loanById.loadMany(page.map((row) => row.id));
          const failed = rows.find((row) => row instanceof Error);
          if (failed) throw failed;
          return withProducts(rows.filter((row): row is LoanRow => row !== null));
        },
        count: (query) => context.db!.loan.count(query as Prisma.LoanCountArgs),
        // No filter, in number order (the default, and a partner's sync): the page and its rows in one statement,
        // the rows kept in the request's loader for the fields that read them.
        keyset: ordering.field === 'number' ? async (page) => withProducts(await context.loaders.loansInNumberOrder(page)) : undefined,
      });
    },
  }, ...countedConnectionTypes('Loan')),
);

checkersQueueField('loanWaiverRequests', 'LoanWaiverRequest', {
  type: LoanWaiverRequestRef, capability: 'loans.waive.approve', requests: 'Waiver requests',
  model: (db) => ({
    findMany: (query) => db.loanWaiverRequest.findMany(query as Prisma.LoanWaiverRequestFindManyArgs),
    count: (query) => db.loanWaiverRequest.count(query as Prisma.LoanWaiverRequestCountArgs),
  }),
});

const IDEMPOTENCY = { required: true, description: 'Repeat the request with the same key (8–200 characters) to get the same result, never a second posting.' } as const;

/** A tranche as a booking plans it: one input type per mutation that takes a plan. */
export function plannedTrancheInput(name: string) {
  return builder.inputType(name, {
    description: 'One tranche of the plan: when it is expected to be paid out, and how much.',
    fields: (t) => ({
      expectedDate: t.field({ type: 'Date', required: true, description: 'When it is expected (the first: the disbursement date; then in date order).' }),
      amount: t.field({ type: 'Decimal', required: true, description: 'How much, in the loan\'s currency; all of them together at most the approved amount.' }),
    }),
  });
}

export const TRANCHES_DESCRIPTION = 'Pays the loan out in tranches (at most 24): the first, on the disbursement date, when the loan is booked; the rest later by `disburseLoanTranche`. The principal is then the amount approved. None pays it all out at once.';

const DisburseLoanInput = builder.inputType('DisburseLoanInput', {
  description: 'A loan to book and pay out under a product\'s current terms.',
  fields: (t) => ({
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: true, description: 'Repeat with the same key to get the same loan back, never a second one.' }),
    productCode: t.string({ required: true, description: 'The product.' }),
    principal: t.field({ type: 'Decimal', required: true, description: 'The amount lent (with `tranches`, the amount approved), within the product\'s limits.' }),
    tranches: t.field({ type: [plannedTrancheInput('DisburseLoanPlannedTrancheInput')], required: false, description: TRANCHES_DESCRIPTION }),
    numberOfRepayments: t.int({ required: false, description: 'Within the product\'s tenor; its default when omitted.' }),
    disbursementDate: t.field({ type: 'Date', required: true, description: 'When it is paid out (on or before the business date).' }),
    firstRepaymentDate: t.field({ type: 'Date', required: false, description: 'Sets the repayment day: after the disbursement date, at most two repayment periods after it; one period after disbursement when omitted.' }),
    borrowerPartyId: t.globalID({ required: false, for: PartyRef, description: 'The borrower.' }),
    originationPartnerCode: t.string({ required: false, description: 'The origination partner that brought it, which then sees it.' }),
    externalReference: t.string({ required: false, description: 'The lender\'s or partner\'s own reference.' }),
  }),
});

const DisburseLoanPayload = objectPayload('disburseLoan', 'loan', LoanRef, 'The booked loan, with its schedule; the same loan when the idempotency key was used before.');

builder.mutationField('disburseLoan', (t) =>
  t.field({
    type: DisburseLoanPayload,
    description: 'Books a loan with a copy of the product\'s current terms, generates its schedule and posts the disbursement to the ledger.',
    authScopes: { can: 'loans.disburse' },
    args: { input: t.arg({ type: DisburseLoanInput, required: true, description: 'The loan.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      const { loanId } = await disburseLoan(db, commandOf(context), tenantBusinessDate(context), {
        productCode: input.productCode, principal: input.principal, numberOfRepayments: input.numberOfRepayments ?? null,
        tranches: input.tranches?.map((x) => ({ expectedDate: String(x.expectedDate), amount: x.amount })) ?? null,
        disbursementDate: String(input.disbursementDate), firstRepaymentDate: input.firstRepaymentDate ? String(input.firstRepaymentDate) : null,
        borrowerPartyId: input.borrowerPartyId?.id ?? null, originationPartnerCode: input.originationPartnerCode ?? null, externalReference: input.externalReference ?? null,
      }, input.idempotencyKey);
      return { loan: await db.loan.findUniqueOrThrow({ where: { id: loanId } }) };
    },
  }),
);

const DisburseLoanTrancheInput = builder.inputType('DisburseLoanTrancheInput', {
  description: 'A later tranche of a loan approved in tranches.',
  fields: (t) => ({
    idempotencyKey: t.field({ type: 'IdempotencyKey', ...IDEMPOTENCY }),
    loanId: t.globalID({ required: true, for: LoanRef, description: 'The loan.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'How much to pay out: at most what is approved and not yet paid out, and refused when what the loan then owes would reach 10^15.' }),
    valueDate: t.field({ type: 'Date', required: true, description: 'When it is paid out: on or after the previous tranche, on or before the business date, before the last due date.' }),
    externalReference: t.string({ required: false, description: 'The payout\'s reference.' }),
  }),
});

const DisburseLoanTranchePayload = objectPayload('disburseLoanTranche', 'loanTransaction', LoanTransactionRef, 'The tranche as posted; the loan\'s schedule is regenerated from its date.');

builder.mutationField('disburseLoanTranche', (t) =>
  t.field({
    type: DisburseLoanTranchePayload,
    description: 'Pays out a later tranche of a loan approved in tranches: posts it to the ledger (loan principal receivable against cash) and regenerates the instalments still to come for the principal then owed, by the product\'s rule, on the same due dates.',
    authScopes: { can: 'loans.disburse' },
    args: { input: t.arg({ type: DisburseLoanTrancheInput, required: true, description: 'The tranche.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      const posted = await disburseLoanTranche(context.runtime.tenantPool(context.tenant!), commandOf(context), tenantBusinessDate(context), {
        loanId: input.loanId.id, amount: input.amount, valueDate: String(input.valueDate), externalReference: input.externalReference ?? null,
      }, input.idempotencyKey);
      return { loanTransaction: await postedRow(db, posted) };
    },
  }),
);

/** The transaction a posting wrote, as it wrote it; read back only when a repeated idempotency key answered. */
async function postedRow(db: TenantDb, posted: PostedLoanTransaction): Promise<LoanTransactionRow> {
  return posted.transaction ?? db.loanTransaction.findUniqueOrThrow({ where: { id: posted.transactionId } });
}

const RepaymentPurposeEnum = builder.enumType('RepaymentPurpose', {
  description: 'What the borrower means the money for.',
  values: {
    REGULAR: { value: 'regular', description: 'Pay what is due; anything beyond goes by the product\'s allocation rule.' },
    PREPAY_REDUCE_INSTALMENT: { value: 'reduceInstalment', description: 'Prepay: pay what is due, then reduce principal and keep the tenor (lower instalments).' },
    PREPAY_REDUCE_TENOR: { value: 'reduceTenor', description: 'Prepay: pay what is due, then reduce principal and keep the instalment (fewer instalments).' },
    PAYOFF: { value: 'payoff', description: 'Pay the loan off: at least the payoff quote for the value date.' },
  } as const,
});

const PostRepaymentInput = builder.inputType('PostRepaymentInput', {
  description: 'Money received from a borrower.',
  fields: (t) => ({
    idempotencyKey: t.field({ type: 'IdempotencyKey', ...IDEMPOTENCY }),
    loanId: t.globalID({ required: true, for: LoanRef, description: 'The loan.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'The amount, in the loan\'s currency.' }),
    valueDate: t.field({ type: 'Date', required: true, description: 'When the money was received (on or before the business date; earlier dates replay what followed).' }),
    channel: t.string({ required: true, description: 'How it came: `bank-transfer`, `card`, `cash`, `direct-debit`…' }),
    externalReference: t.string({ required: false, description: 'The payment\'s reference at the bank or channel.' }),
    purpose: t.field({ type: RepaymentPurposeEnum, required: false, description: '`REGULAR` when omitted.' }),
  }),
});

const channelOf = (channel: string, field = 'channel') => {
  const trimmed = channel.trim();
  if (trimmed.length < 1 || trimmed.length > 50) throw new InvalidField(field, 'channel must be 1–50 characters');
  return trimmed;
};

const PostRepaymentPayload = objectPayload('postRepayment', 'loanTransaction', LoanTransactionRef, 'The posted repayment, prepayment or payoff, with where every unit went.');

builder.mutationField('postRepayment', (t) =>
  t.field({
    type: PostRepaymentPayload,
    description: 'Posts a repayment (or a prepayment or payoff) and replays the loan; the answer explains where every unit went.',
    authScopes: { can: 'loans.repay' },
    args: { input: t.arg({ type: PostRepaymentInput, required: true, description: 'The payment.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      const purpose = input.purpose ?? 'regular';
      const draft: Omit<PostingDraft, 'field'> = {
        loanId: input.loanId.id, kind: purpose === 'regular' ? 'repayment' : purpose === 'payoff' ? 'payoff' : 'prepayment',
        valueDate: String(input.valueDate), amount: input.amount, channel: channelOf(input.channel), externalReference: input.externalReference ?? null,
        ...(purpose === 'reduceInstalment' || purpose === 'reduceTenor' ? { reschedule: purpose } : {}),
      };
      const posted = await postLoanTransaction(context.runtime.tenantPool(context.tenant!), commandOf(context), tenantBusinessDate(context), draft, input.idempotencyKey);
      return { loanTransaction: await postedRow(db, posted) };
    },
  }),
);

const RepaymentLineInput = builder.inputType('RepaymentLineInput', {
  description: 'One repayment of a payment file.',
  fields: (t) => ({
    loanId: t.globalID({ required: true, for: LoanRef, description: 'The loan.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'The amount, in the loan\'s currency.' }),
    valueDate: t.field({ type: 'Date', required: true, description: 'When the money was received.' }),
    channel: t.string({ required: true, description: 'How it came.' }),
    externalReference: t.string({ required: false, description: 'The payment\'s reference at the bank or channel.' }),
  }),
});

const PostRepaymentsInput = builder.inputType('PostRepaymentsInput', {
  description: 'A payment file: every repayment is posted, or none is.',
  fields: (t) => ({
    idempotencyKey: t.field({ type: 'IdempotencyKey', ...IDEMPOTENCY }),
    repayments: t.field({ type: [RepaymentLineInput], required: true, description: 'The repayments (1–100,000).' }),
  }),
});

type RepaymentBatch = { batchId: string; posted: number; loans: number; total: string; sha256: string; journals: number; transactionIds: string[] };

const PostRepaymentsPayload = payloadType<RepaymentBatch>('postRepayments', 'The posted payment file.', (t) => ({
  batchId: t.string({ nullable: true, description: 'The file\'s id; each of its transactions carries it.', resolve: (b) => b.batchId ?? null }),
  posted: t.int({ nullable: true, description: 'Repayments posted.', resolve: (b) => b.posted ?? null }),
  loans: t.int({ nullable: true, description: 'Loans they paid.', resolve: (b) => b.loans ?? null }),
  total: t.field({ type: 'Decimal', nullable: true, description: 'The sum of the amounts (across currencies, as given).', resolve: (b) => b.total ?? null }),
  sha256: t.string({ nullable: true, description: 'Hash of the file as received, for reconciliation.', resolve: (b) => b.sha256 ?? null }),
  journals: t.int({ nullable: true, description: 'Journals posted to the ledger.', resolve: (b) => b.journals ?? null }),
  transactionIds: t.idList({
    nullable: true,
    description: 'The transaction posted for each line, in the file\'s order: `transactionIds[k]` is `repayments[k]`\'s (a LoanTransaction id, for node(id:) and reverseLoanTransaction).',
    resolve: (b) => (b.transactionIds ? b.transactionIds.map((id) => encodeGlobalID('LoanTransaction', id)) : null),
  }),
}));

builder.mutationField('postRepayments', (t) =>
  t.field({
    type: PostRepaymentsPayload,
    description: 'Posts a payment file in one transaction: all of it, or, when a row fails, nothing (the user error names the row, `input.repayments[k]…`).',
    authScopes: { can: 'loans.repay' },
    args: { input: t.arg({ type: PostRepaymentsInput, required: true, description: 'The file.' }) },
    resolve: (_root, { input }, context) =>
      postRepaymentFile(context.runtime.tenantPool(context.tenant!), commandOf(context), tenantBusinessDate(context), input.repayments.map((line, k) => ({
        loanId: line.loanId.id, amount: line.amount, valueDate: String(line.valueDate), channel: channelOf(line.channel, `repayments[${k}].channel`), externalReference: line.externalReference ?? null,
      })), input.idempotencyKey),
  }),
);

const ReverseLoanTransactionInput = builder.inputType('ReverseLoanTransactionInput', {
  description: 'A transaction to undo.',
  fields: (t) => ({
    idempotencyKey: t.field({ type: 'IdempotencyKey', ...IDEMPOTENCY }),
    transactionId: t.globalID({ required: true, for: LoanTransactionRef, description: 'The repayment, charge, waiver, refund, tranche, write-off or restructure to reverse (a write-off or restructure only by a checker of its kind).' }),
    valueDate: t.field({ type: 'Date', required: false, description: 'When the reversal is entered; the business date when omitted.' }),
    reason: t.string({ required: true, description: 'Why (e.g. the payment bounced).' }),
  }),
});

/** Transactions a checker approved: reversing one takes the same authority. */
const CHECKED_KINDS: Partial<Record<string, { capability: 'loans.writeOff.approve' | 'loans.restructure.approve'; words: string }>> = {
  writeOff: { capability: 'loans.writeOff.approve', words: 'a write-off (the loan is reinstated)' },
  restructure: { capability: 'loans.restructure.approve', words: 'a restructure (the old terms return)' },
};

const ReverseLoanTransactionPayload = objectPayload('reverseLoanTransaction', 'loanTransaction', LoanTransactionRef, 'The reversal (its `reverses` is the transaction undone).');

builder.mutationField('reverseLoanTransaction', (t) =>
  t.field({
    type: ReverseLoanTransactionPayload,
    description: 'Reverses a transaction: the loan is replayed without it and the ledger posts the corrections.',
    authScopes: { can: 'loans.repay' },
    args: { input: t.arg({ type: ReverseLoanTransactionInput, required: true, description: 'What to reverse.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      const target = await db.loanTransaction.findUnique({ where: { id: input.transactionId.id } });
      if (!target) throw new InvalidField('transactionId', 'no transaction with that id');
      // Undoing a decision a checker made (a write-off, a restructure) takes a checker of that kind.
      const checker = CHECKED_KINDS[target.kind];
      if (checker && !allows(checker.capability, context.principal!.roles, true)) {
        throw new AppError('FORBIDDEN', `reversing ${checker.words} undoes a checker's decision: it needs ${checker.capability}`, { field: inputPath('transactionId'), reason: 'BEYOND_AUTHORITY' });
      }
      const posted = await postLoanTransaction(context.runtime.tenantPool(context.tenant!), commandOf(context), tenantBusinessDate(context), {
        loanId: target.loanId, kind: 'reversal', reverses: target.id, valueDate: input.valueDate ? String(input.valueDate) : tenantBusinessDate(context), reason: input.reason,
      }, input.idempotencyKey);
      return { loanTransaction: await postedRow(db, posted) };
    },
  }),
);

const ApplyLoanChargeInput = builder.inputType('ApplyLoanChargeInput', {
  description: 'A fee or penalty charged by hand.',
  fields: (t) => ({
    idempotencyKey: t.field({ type: 'IdempotencyKey', ...IDEMPOTENCY }),
    loanId: t.globalID({ required: true, for: LoanRef, description: 'The loan.' }),
    component: t.field({ type: LoanComponentEnum, required: true, description: '`FEE` or `PENALTY`.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'The amount; refused when it would take what the loan owes (principal, interest, fees and penalties) to 10^15.' }),
    valueDate: t.field({ type: 'Date', required: true, description: 'When it is owed from.' }),
    reason: t.string({ required: true, description: 'Why.' }),
  }),
});

const ApplyLoanChargePayload = objectPayload('applyLoanCharge', 'loanTransaction', LoanTransactionRef, 'The charge as posted.');

builder.mutationField('applyLoanCharge', (t) =>
  t.field({
    type: ApplyLoanChargePayload,
    description: 'Charges a fee or penalty, owed with the instalment due on or after its date.',
    authScopes: { can: 'loans.charge' },
    args: { input: t.arg({ type: ApplyLoanChargeInput, required: true, description: 'The charge.' }) },
    resolve: async (_root, { input }, context) => {
      if (input.component !== 'fee' && input.component !== 'penalty') throw new InvalidField('component', 'component must be FEE or PENALTY');
      const db = commandDbOf(context);
      const posted = await postLoanTransaction(context.runtime.tenantPool(context.tenant!), commandOf(context), tenantBusinessDate(context), {
        loanId: input.loanId.id, kind: 'charge', component: input.component, amount: input.amount, valueDate: String(input.valueDate), reason: input.reason,
      }, input.idempotencyKey);
      return { loanTransaction: await postedRow(db, posted) };
    },
  }),
);

const RefundLoanExcessInput = builder.inputType('RefundLoanExcessInput', {
  description: 'Paying excess back to the borrower.',
  fields: (t) => ({
    idempotencyKey: t.field({ type: 'IdempotencyKey', ...IDEMPOTENCY }),
    loanId: t.globalID({ required: true, for: LoanRef, description: 'The loan.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'At most the excess held on the value date.' }),
    valueDate: t.field({ type: 'Date', required: true, description: 'When it is paid.' }),
    channel: t.string({ required: true, description: 'How it is paid.' }),
    externalReference: t.string({ required: false, description: 'The payout\'s reference.' }),
  }),
});

const RefundLoanExcessPayload = objectPayload('refundLoanExcess', 'loanTransaction', LoanTransactionRef, 'The refund as posted.');

builder.mutationField('refundLoanExcess', (t) =>
  t.field({
    type: RefundLoanExcessPayload,
    description: 'Refunds money the borrower paid beyond what the loan owes.',
    authScopes: { can: 'loans.repay' },
    args: { input: t.arg({ type: RefundLoanExcessInput, required: true, description: 'The refund.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      const posted = await postLoanTransaction(context.runtime.tenantPool(context.tenant!), commandOf(context), tenantBusinessDate(context), {
        loanId: input.loanId.id, kind: 'refund', amount: input.amount, valueDate: String(input.valueDate), channel: channelOf(input.channel), externalReference: input.externalReference ?? null,
      }, input.idempotencyKey);
      return { loanTransaction: await postedRow(db, posted) };
    },
  }),
);

const RequestLoanWaiverInput = builder.inputType('RequestLoanWaiverInput', {
  description: 'A waiver to ask for; another person decides it.',
  fields: (t) => ({
    loanId: t.globalID({ required: true, for: LoanRef, description: 'The loan.' }),
    component: t.field({ type: LoanComponentEnum, required: true, description: '`INTEREST`, `FEE` or `PENALTY`.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'How much.' }),
    instalment: t.int({ required: false, description: 'Which instalment; the oldest owing first when omitted.' }),
    valueDate: t.field({ type: 'Date', required: false, description: 'When it takes effect; the business date when omitted.' }),
    reason: t.string({ required: true, description: 'Why.' }),
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key to get the same waiver request back, never a second one.' }),
  }),
});

const RequestLoanWaiverPayload = objectPayload('requestLoanWaiver', 'loanWaiverRequest', LoanWaiverRequestRef, 'The waiver request, pending its checker (or, for a repeated idempotency key, the one asked for the first time, as it stands now).');

builder.mutationField('requestLoanWaiver', (t) =>
  t.field({
    type: RequestLoanWaiverPayload,
    description: 'Asks for a waiver (the maker). Nothing is waived until someone else approves it.',
    authScopes: { can: 'loans.waive.request' },
    args: { input: t.arg({ type: RequestLoanWaiverInput, required: true, description: 'The waiver.' }) },
    resolve: async (_root, { input }, context) => {
      if (input.component === 'principal') throw new InvalidField('component', 'principal is not waived; that is a write-off');
      const loanWaiverRequest = await requestWaiver(commandDbOf(context), keyedCommandOf(context, input.idempotencyKey, input), tenantBusinessDate(context), {
        loanId: input.loanId.id, component: input.component, amount: input.amount, instalment: input.instalment ?? null,
        valueDate: input.valueDate ? String(input.valueDate) : tenantBusinessDate(context), reason: input.reason,
      });
      return { loanWaiverRequest };
    },
  }),
);

const DecideLoanWaiverInput = builder.inputType('DecideLoanWaiverInput', {
  description: 'The checker\'s decision.',
  fields: (t) => ({
    requestId: t.globalID({ required: true, for: LoanWaiverRequestRef, description: 'The waiver request.' }),
    approve: t.boolean({ required: true, description: 'True posts the waiver; false rejects it.' }),
    reason: t.string({ required: false, description: 'Why (required to reject).' }),
  }),
});

const DecideLoanWaiverPayload = objectPayload('decideLoanWaiver', 'loanWaiverRequest', LoanWaiverRequestRef, 'The waiver request as decided; on approval its `transaction` is the posted waiver.');

builder.mutationField('decideLoanWaiver', (t) =>
  t.field({
    type: DecideLoanWaiverPayload,
    description: 'Approves (posts) or rejects a waiver someone else asked for.',
    authScopes: { can: 'loans.waive.approve' },
    args: { input: t.arg({ type: DecideLoanWaiverInput, required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) => {
      if (!input.approve && !input.reason?.trim()) throw new InvalidField('reason', 'a rejection needs a reason');
      return { loanWaiverRequest: await decideWaiver(commandDbOf(context), commandOf(context), tenantBusinessDate(context), input.requestId.id, input.approve, input.reason?.trim() || null) };
    },
  }),
);
