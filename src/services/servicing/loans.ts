// Loan commands: booking (disbursement) and every transaction a loan takes, each one database transaction with
// its outbox events and audit record (commands.ts). The money itself is the posting engine's (postings.ts).
import { newLoanSchedule } from '../../domain/servicing/newLoanSchedule.js';
import { accrueCommission } from '../origination/commissions.js';
import { createHash, randomUUID } from 'node:crypto';
import { InvalidField, noSuchCode } from '../../errors.js';
import { assertNotAfterBusinessDate, isBusinessDate } from '../../domain/businessDate.js';
import { Decimal } from '../../domain/money.js';
import { termsUnderCashRounding } from '../currencies.js';
import { STANDARD_MAPPING, type AccountMapping, type AccountRole } from '../../domain/servicing/ledger.js';
import { assertWithinProduct, termsToJson, type LoanTerms } from '../../domain/servicing/product.js';
import { tranchePlanOf } from '../../domain/servicing/tranches.js';
import type { AllocationRule } from '../../domain/servicing/allocation.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import pg from 'pg';
import { idempotencyOwner, runCommand, runCommandOn, runSqlCommand, type AuditDraft, type Command, type CommandSql, type EventDraft, type CommandContext, type Outcome, type Statement } from '../../commands/runCommand.js';
import { assertOffered, productLimitsOf, productVersion } from './loanProducts.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { computePosting, loanIdsOf, loansNeedingHistory, lockLoans, planPosting, postingWrite, postToLoans, readHistories, type PostingRun, type PostingDraft, type PostedPart, type PostingResult, type TransactionRow } from './postings.js';
import { CommandQueue } from '../../commands/commandQueue.js';
import { runSqlCommandBatch } from '../../commands/runCommandBatch.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import type { TransactionKind } from './loanRecords.js';
import { dateColumn } from '../../tenancy/dateColumns.js';

type LoanCommand = CommandContext;

/** A tranche as a booking input plans it. */
export interface PlannedTrancheInput {
  expectedDate: string;
  amount: Decimal;
}

export interface Disbursement {
  productCode: string;
  /**
   * As the Decimal scalar parsed it; the product's limits are the one check left (assertWithinProduct). With
   * `tranches`, the amount approved: the first tranche is paid out now, the rest later (disburseLoanTranche).
   */
  principal: Decimal;
  tranches?: readonly PlannedTrancheInput[] | null;
  numberOfRepayments?: number | null;
  disbursementDate: string;
  firstRepaymentDate?: string | null;
  borrowerPartyId?: string | null;
  originationPartnerCode?: string | null;
  externalReference?: string | null;
}

export const postingRunOf = (command: LoanCommand, businessDate: string, batchId?: string): PostingRun => ({
  schema: schemaForSlug(command.tenant), postedBy: command.actor.subject, now: command.now, businessDate, ...(batchId ? { batchId } : {}),
});

function dateField(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (!isBusinessDate(value)) throw new InvalidField(field, `${field} must be a business date (YYYY-MM-DD)`);
  return value;
}

/** The product's accounts: each role on the account the product maps it to, else the chart's account for the role. */
async function accountsFor(db: TenantDb | Tx, productMapping: unknown): Promise<AccountMapping> {
  const chart = await db.ledgerAccount.findMany({ where: { role: { not: null } } });
  const byRole = Object.fromEntries(chart.map((a) => [a.role!, a.code]));
  return { ...STANDARD_MAPPING, ...byRole, ...(productMapping as Partial<Record<AccountRole, string>>) };
}

const EVENT_TYPE: Record<TransactionKind, string> = {
  repayment: 'loan.repaymentPosted', prepayment: 'loan.prepaymentPosted', payoff: 'loan.paidOff', refund: 'loan.excessRefunded',
  reversal: 'loan.transactionReversed', charge: 'loan.chargeApplied', waiver: 'loan.chargeWaived', tranche: 'loan.trancheDisbursed',
  writeOff: 'loan.writtenOff', restructure: 'loan.restructured',
};

/** Each co-lending partner hears of its own money in a posted loan, and of nothing else of it. */
export function shareEventsOf(posting: Pick<PostedPart, 'loans'>): EventDraft[] {
  return [...posting.loans.values()].flatMap((loan) => loan.shares.map((share) => ({
    type: 'loan.coLendingShareChanged', aggregateType: 'Loan', aggregateId: loan.loanId, partnerScope: share.partnerCode,
    payload: {
      loanId: loan.loanId, partnerCode: share.partnerCode, collected: { amount: share.collected, currency: loan.currency },
      principal: { amount: share.principal, currency: loan.currency }, status: loan.status, daysPastDue: loan.daysPastDue,
    },
  })));
}

/** One event per transaction, each co-lending partner's share change, and one per loan whose status moved. */
export function eventsOf(posting: PostedPart): EventDraft[] {
  const events: EventDraft[] = posting.transactions.map(({ id, draft }) => {
    const loan = posting.loans.get(draft.loanId)!;
    return {
      type: EVENT_TYPE[draft.kind], aggregateType: 'Loan', aggregateId: draft.loanId, partnerScope: loan.originationPartner,
      payload: {
        loanId: draft.loanId, transactionId: id, kind: draft.kind, valueDate: draft.valueDate,
        amount: draft.amount ? { amount: draft.amount, currency: loan.currency } : null, status: loan.status, daysPastDue: loan.daysPastDue,
        ...(draft.reverses ? { reverses: draft.reverses } : {}),
      },
    };
  });
  events.push(...shareEventsOf(posting));
  for (const loan of posting.loans.values()) {
    if (loan.status !== loan.statusBefore) {
      events.push({
        type: 'loan.statusChanged', aggregateType: 'Loan', aggregateId: loan.loanId, partnerScope: loan.originationPartner,
        payload: { loanId: loan.loanId, from: loan.statusBefore, to: loan.status, daysPastDue: loan.daysPastDue },
      });
    }
  }
  return events;
}

export async function disburseLoan(db: TenantDb, command: LoanCommand, businessDate: string, input: Disbursement, idempotencyKey?: string) {
  const product = await db.loanProduct.findUnique({ where: { code: input.productCode } });
  if (!product) throw noSuchCode('productCode', 'no loan product with that code');
  assertOffered(product, 'productCode');
  const version = (await productVersion(db, product))!;
  const disbursementDate = dateField(input.disbursementDate, 'disbursementDate')!;
  const firstRepaymentDate = dateField(input.firstRepaymentDate, 'firstRepaymentDate');
  assertNotAfterBusinessDate(disbursementDate, businessDate, 'disbursementDate');
  const { principal } = input;
  const repayments = input.numberOfRepayments ?? version.terms.numberOfRepayments;
  assertWithinProduct(productLimitsOf(product), { principal, numberOfRepayments: repayments, every: version.terms.repaymentEvery });
  const terms = { ...version.terms, numberOfRepayments: repayments };
  const partnerCode = input.originationPartnerCode ?? null;
  const idempotency = idempotencyKey != null ? { key: idempotencyKey, input } : undefined;

  return runCommand(db, { ...command, action: 'loan.disburse', ...(idempotency ? { idempotency } : {}) }, async (tx) => {
    if (input.borrowerPartyId && !(await tx.party.findUnique({ where: { id: input.borrowerPartyId } }))) {
      throw new InvalidField('borrowerPartyId', 'no party with that id');
    }
    if (partnerCode !== null) {
      const partner = await tx.partner.findUnique({ where: { code: partnerCode } });
      if (!partner || partner.kind !== 'origination') throw noSuchCode('originationPartnerCode', 'no origination partner with that code');
    }
    const booked = await bookLoan(tx, command, businessDate, {
      product, productVersion: version.version, terms, allocation: version.allocation, principal, tranches: input.tranches ?? null, disbursementDate, firstRepaymentDate,
      borrowerPartyId: input.borrowerPartyId ?? null, originationPartner: partnerCode, externalReference: input.externalReference ?? null,
    });
    return { result: { loanId: booked.loanId }, replay: { loanId: booked.loanId }, audit: booked.audit, events: booked.events };
  }, async (stored) => ({ loanId: stored['loanId'] as string }));
}

export interface Booking {
  product: { id: string; code: string; currency: string; accountMapping: unknown };
  productVersion: number;
  terms: LoanTerms;
  allocation: AllocationRule;
  /** What is approved: paid out now, or with `tranches` the first of them now and the rest later. */
  principal: Decimal;
  /** The plan of tranches (tranches.ts); none or empty pays the whole principal out at booking. */
  tranches?: readonly PlannedTrancheInput[] | null;
  disbursementDate: string;
  firstRepaymentDate: string | null;
  borrowerPartyId: string | null;
  originationPartner: string | null;
  externalReference: string | null;
  /** Origination by reference: the application, decision and offer the loan was booked from. */
  applicationId?: string | null;
  decisionId?: string | null;
  offerId?: string | null;
  /**
   * Runs once the loan's row exists and before its books are posted (a co-lending partner's share taken with the
   * payout), with the principal the payout makes owed; what it records goes with the booking's.
   */
  beforePosting?: (tx: Tx, loanId: string, owed: Decimal) => Promise<{ audit: AuditDraft; event: EventDraft }>;
}

/**
 * PostingRun a loan inside the caller's transaction: a copy of the terms, allocation rule and accounts, the schedule
 * replayed and the disbursement (and anything already fallen due) posted to the ledger. The caller's command
 * records the returned audit and events with its own.
 */
export async function bookLoan(tx: Tx, command: LoanCommand, businessDate: string, booking: Booking): Promise<{ loanId: string; audit: AuditDraft; shareAudit?: AuditDraft; events: EventDraft[]; posting: PostingResult }> {
  const accounts = await accountsFor(tx, booking.product.accountMapping);
  const plan = tranchePlanOf({ approvedPrincipal: booking.principal, tranches: booking.tranches ?? null }, booking.product.currency, booking.disbursementDate);
  const paidNow = plan.tranches[0]!.amount;
  const loanId = randomUUID();
  const bookedTerms = await termsUnderCashRounding(tx, booking.terms);
  // What the terms refuse of this loan (what it would repay in all on everything approved, a multiple too coarse for
  // it, instalments repaying no principal …) is refused before anything is written or a loan number taken.
  try {
    newLoanSchedule(bookedTerms, { principal: plan.approvedPrincipal, paidNow, disbursementDate: booking.disbursementDate, firstRepaymentDate: booking.firstRepaymentDate });
  } catch (error) {
    throw namedAsBooked(error);
  }
  // Taken inside the booking's transaction, from the tenant's own sequence (its schema's loan_number).
  const [numbered] = await tenantSql(tx, schemaForSlug(command.tenant)).query<{ n: bigint }[]>((schema) => `SELECT nextval('${schema}.loan_number'::regclass) AS n`);
  await tx.loan.create({
    data: {
      id: loanId, number: Number(numbered!.n), productId: booking.product.id, productVersion: booking.productVersion, terms: termsToJson(bookedTerms) as object,
      allocation: booking.allocation as unknown as object, accounts: accounts as unknown as object, currency: booking.product.currency,
      principal: paidNow.toFixed(), approvedPrincipal: plan.approvedPrincipal.toFixed(),
      ...(booking.tranches?.length ? { tranchePlan: plan.tranches.map((t) => ({ expectedDate: t.expectedDate, amount: t.amount.toFixed() })) } : {}),
      disbursementDate: dateColumn(booking.disbursementDate),
      firstRepaymentDate: booking.firstRepaymentDate ? dateColumn(booking.firstRepaymentDate) : null, borrowerPartyId: booking.borrowerPartyId,
      originationPartner: booking.originationPartner, externalReference: booking.externalReference, status: 'approved', asOf: dateColumn(businessDate),
      applicationId: booking.applicationId ?? null, decisionId: booking.decisionId ?? null, offerId: booking.offerId ?? null,
      createdBy: command.actor.subject, createdAt: command.now, updatedAt: command.now,
    },
  });
  const financed = booking.terms.fees.disbursement?.treatment === 'financed' ? booking.terms.fees.disbursement.amount : new Decimal(0);
  const before = booking.beforePosting ? await booking.beforePosting(tx, loanId, paidNow.plus(financed)) : null;
  let posting: PostingResult;
  try {
    posting = await postToLoans(tx, postingRunOf(command, businessDate), [], [loanId]);
  } catch (error) {
    throw namedAsBooked(error);
  }
  const loan = posting.loans.get(loanId)!;
  // The origination partner's commission on what was paid out, with the booking.
  const commission = booking.originationPartner
    ? await accrueCommission(tx, command, businessDate, { id: loanId, number: Number(numbered!.n), partnerCode: booking.originationPartner, currency: booking.product.currency, principal: paidNow })
    : null;
  const shown = {
    loanId, productCode: booking.product.code, productVersion: booking.productVersion, principal: paidNow.toFixed(), currency: booking.product.currency,
    ...(booking.tranches?.length ? { approvedPrincipal: plan.approvedPrincipal.toFixed(), tranches: plan.tranches.length } : {}),
    disbursementDate: booking.disbursementDate, numberOfRepayments: booking.terms.numberOfRepayments, status: loan.status, originationPartner: booking.originationPartner,
    ...(booking.applicationId ? { applicationId: booking.applicationId, decisionId: booking.decisionId ?? null, offerId: booking.offerId ?? null } : {}),
  };
  return {
    loanId,
    posting,
    audit: { entityType: 'Loan', entityId: loanId, after: shown },
    events: [
      { type: 'loan.disbursed', aggregateType: 'Loan', aggregateId: loanId, partnerScope: booking.originationPartner, payload: {
        ...withoutCurrency(shown), principal: { amount: paidNow, currency: booking.product.currency },
        ...(booking.tranches?.length ? { approvedPrincipal: { amount: plan.approvedPrincipal, currency: booking.product.currency } } : {}),
        netDisbursement: { amount: loan.state.schedule.netDisbursement, currency: booking.product.currency },
      } },
      ...(before ? [before.event] : []),
      ...(commission ? [commission] : []),
      ...(loan.status !== 'active' ? eventsOf({ ...posting, transactions: [] }) : shareEventsOf(posting)),
    ],
    ...(before ? { shareAudit: before.audit } : {}),
  };
}

/** A booking's schedule refused: the terms could not make one for these dates unless it names what the caller gave. */
function namedAsBooked(error: unknown): unknown {
  if (error instanceof InvalidField && !['principal', 'firstRepaymentDate', 'disbursementDate', 'numberOfRepayments', 'approvedPrincipal'].includes(error.field)) {
    return new InvalidField('firstRepaymentDate', error.message);
  }
  return error;
}

/** Events carry money as Money (amount with currency), so the separate currency the audit keeps is left out. */
function withoutCurrency<T extends { currency: string }>(shown: T): Omit<T, 'currency'> {
  const { currency: _currency, ...rest } = shown;
  return rest;
}

/** What a lender calls each command, for the audit trail. */
const ACTION: Record<TransactionKind, string> = {
  repayment: 'loan.repay', prepayment: 'loan.prepay', payoff: 'loan.payOff', refund: 'loan.refund',
  reversal: 'loan.reverse', charge: 'loan.charge', waiver: 'loan.waive', tranche: 'loan.disburseTranche', writeOff: 'loan.writeOff', restructure: 'loan.restructure',
};

/** One posting command: a transaction on one loan, as of the tenant's business date. */
interface SinglePosting {
  command: Command;
  businessDate: string;
  draft: Omit<PostingDraft, 'field'>;
}

/**
 * One transaction on one loan, idempotent under the caller's key. On the pool, postings to a tenant that arrive
 * while others are being written are written together (commandQueue.ts), each still its own command.
 */
export async function postLoanTransaction(db: TenantDb | pg.Pool, command: LoanCommand, businessDate: string, draft: Omit<PostingDraft, 'field'>, idempotencyKey?: string) {
  const idempotency = idempotencyKey != null ? { key: idempotencyKey, input: draft } : undefined;
  const posting: SinglePosting = { command: { ...command, action: ACTION[draft.kind], ...(idempotency ? { idempotency } : {}) }, businessDate, draft };
  if (db instanceof pg.Pool) return postingQueueOf(db).submit(`${schemaForSlug(command.tenant)} ${businessDate}`, posting);
  return runCommand(db, posting.command, (tx) => postAlone(tx, posting), async (stored) => postedFromReplay(stored));
}

function postAlone(sql: Tx | CommandSql, { command, businessDate, draft }: SinglePosting): Promise<Outcome<PostedLoanTransaction>> {
  const writes: Statement[] = [];
  return postToLoans(sql, postingRunOf(command, businessDate), [{ ...draft, field: '' }], [], { defer: (write) => writes.push(write) })
    .then((posting) => ({ ...postingOutcome(draft, posting), writes }));
}

/** What one posting command answers, audits, announces and keeps for a repeat of its key. */
function postingOutcome(draft: Omit<PostingDraft, 'field'>, posting: PostingResult): Outcome<PostedLoanTransaction> {
  const { id } = posting.transactions[0]!;
  const loan = posting.loans.get(draft.loanId)!;
  return {
    result: { transactionId: id, loanId: draft.loanId, transaction: posting.rows[0]! },
    replay: { transactionId: id, loanId: draft.loanId },
    audit: {
      entityType: 'Loan', entityId: draft.loanId,
      before: { status: loan.statusBefore },
      after: { transactionId: id, ...draft, status: loan.status, receivable: loan.state.totals.receivable, held: loan.state.held },
    },
    events: eventsOf(posting),
  };
}

const postedFromReplay = (stored: Record<string, unknown>): PostedLoanTransaction => ({ transactionId: stored['transactionId'] as string, loanId: stored['loanId'] as string, transaction: null });

const postingQueues = new WeakMap<pg.Pool, CommandQueue<SinglePosting, PostedLoanTransaction>>();

/**
 * The queue of a pool's single postings. Two batches of a tenant at a time, one written while the next is replayed:
 * in bench:payments that posted more than one, three or four at a time (docs/performance.md). A batch holds at most
 * 64 loans' locks.
 */
function postingQueueOf(pool: pg.Pool): CommandQueue<SinglePosting, PostedLoanTransaction> {
  let queue = postingQueues.get(pool);
  if (!queue) {
    queue = new CommandQueue({
      inFlight: 2,
      maxBatch: 64,
      keysOf: ({ command, draft }) => [`loan ${draft.loanId}`, ...(command.idempotency ? [`key ${idempotencyOwner(command.actor)} ${command.idempotency.key}`] : [])],
      run: (postings) => postTogether(pool, postings),
    });
    postingQueues.set(pool, queue);
  }
  return queue;
}

/** Postings on distinct loans in one transaction: the loans locked and read at once, every replay, one write. */
function postTogether(pool: pg.Pool, postings: readonly SinglePosting[]): Promise<PromiseSettledResult<PostedLoanTransaction>[]> {
  const drafts: PostingDraft[] = postings.map((p) => ({ ...p.draft, field: '' }));
  return runSqlCommandBatch(pool, postings.map((p) => p.command), {
    async read(sql) {
      const loans = await lockLoans(sql, loanIdsOf(drafts));
      const plans = drafts.map((draft) => {
        try {
          return planPosting([draft], loans);
        } catch (error) {
          return { error };
        }
      });
      const histories = await readHistories(sql, [...new Set(plans.flatMap((plan) => ('error' in plan ? [] : loansNeedingHistory(plan))))]);
      return { loans, plans, histories };
    },
    decide(index, { loans, plans, histories }) {
      const plan = plans[index]!;
      if ('error' in plan) throw plan.error;
      const { command, businessDate, draft } = postings[index]!;
      const { result, rows } = computePosting(postingRunOf(command, businessDate), plan, loans, histories);
      return { outcome: postingOutcome(draft, result), part: rows };
    },
    write: (parts) => [postingWrite(parts)],
  }, (index) => runSqlCommand(pool, postings[index]!.command, (sql) => postAlone(sql, postings[index]!), postedFromReplay));
}

/** A posted transaction; `transaction` is the stored row as the posting wrote it (null when a repeated key answers). */
export interface PostedLoanTransaction {
  transactionId: string;
  loanId: string;
  transaction: TransactionRow | null;
}

export interface RepaymentLine {
  loanId: string;
  amount: Decimal;
  valueDate: string;
  channel: string;
  externalReference?: string | null;
}

/** The most repayments one file may carry: one transaction, so a bound on how long it holds its loans. */
export const MAX_FILE_REPAYMENTS = 100_000;

/**
 * A payment file: every repayment posted in one transaction, or none (a row that fails names itself and nothing
 * is written). One audit record for the file (its hash and totals); one event per repayment for partners.
 */
export async function postRepaymentFile(db: TenantDb | pg.Pool, command: LoanCommand, businessDate: string, lines: readonly RepaymentLine[], idempotencyKey: string) {
  if (lines.length === 0 || lines.length > MAX_FILE_REPAYMENTS) throw new InvalidField('repayments', `a file carries 1–${MAX_FILE_REPAYMENTS} repayments`);
  const batchId = randomUUID();
  const digest = createHash('sha256').update(JSON.stringify(lines)).digest('hex');
  return runCommandOn(db, { ...command, action: 'loan.repayFile', idempotency: { key: idempotencyKey, input: { sha256: digest } } }, async (sql) => {
    const writes: Statement[] = [];
    const drafts: PostingDraft[] = lines.map((line, k) => ({
      loanId: line.loanId, kind: 'repayment', valueDate: line.valueDate, amount: line.amount, channel: line.channel,
      externalReference: line.externalReference ?? null, field: `repayments.${k}.`,
    }));
    // A large file's events are made and staged with each part of its posting, while the next part is replayed;
    // a small file's (or one on a connection that cannot stage) go with its bookkeeping.
    let staged = false;
    const stage = 'stageEvents' in sql ? sql.stageEvents?.bind(sql) : undefined;
    const posting = await postToLoans(sql, postingRunOf(command, businessDate, batchId), drafts, [], {
      defer: (write) => writes.push(write),
      ...(stage ? { onPart: (part: PostedPart) => { stage(eventsOf(part)); staged = true; } } : {}),
    });
    const total = lines.reduce((sum, line) => sum.plus(line.amount), new Decimal(0));
    const summary = { batchId, posted: lines.length, loans: posting.loanCount, total: total.toFixed(), sha256: digest, journals: posting.journals };
    // The payer reconciles line by line: each line's transaction, in the file's order (the audit keeps the summary).
    const answer = { ...summary, transactionIds: posting.transactions.map((t) => t.id) };
    return {
      result: answer,
      replay: answer,
      audit: { entityType: 'RepaymentFile', entityId: batchId, after: summary },
      events: staged ? [] : eventsOf(posting),
      writes,
    };
  }, (stored) => stored as unknown as { batchId: string; posted: number; loans: number; total: string; sha256: string; journals: number; transactionIds: string[] });
}

export interface TrancheAsk {
  loanId: string;
  /** As the Decimal scalar parsed it; within what is approved and not yet paid out. */
  amount: Decimal;
  valueDate: string;
  externalReference?: string | null;
}

/**
 * Pays out a later tranche of a loan approved for more than it has paid out: on or after the previous tranche, on
 * or before the business date, within the undisbursed remainder. The posting engine appends it, replays the loan
 * (the instalments still to come are regenerated) and posts the disbursement journal; idempotent under the key.
 */
export async function disburseLoanTranche(db: TenantDb | pg.Pool, command: LoanCommand, businessDate: string, ask: TrancheAsk, idempotencyKey?: string) {
  const valueDate = dateField(ask.valueDate, 'valueDate')!;
  return postLoanTransaction(db, command, businessDate, {
    loanId: ask.loanId, kind: 'tranche', valueDate, amount: ask.amount, externalReference: ask.externalReference ?? null,
  }, idempotencyKey);
}
