// The posting engine: appends transactions to loans, replays each loan (from its stored checkpoint when nothing new
// reaches before it, else from scratch — the pure replay either way), and posts what the replayed books add to what
// is already posted (journalsToPost, in the domain, decides what that is and how it is named). So the ledger always
// equals the replay and stays append-only. One code path serves one payment, a batch of single postings and a
// 100,000-row payment file: a fixed number of set-based statements per call, whatever the number of loans (each
// round trip costs more than the replay of a small loan); a large file is written in parts as they are replayed.
//
// Loans are locked in id order (FOR UPDATE), so concurrent postings to one loan queue and two batches touching
// the same loans cannot deadlock.
import { timeOrderedId } from '../../commands/timeOrderedIds.js';
import { AppError, inputPath, InvalidField } from '../../errors.js';
import { assertNotAfterBusinessDate, isBusinessDate } from '../../domain/businessDate.js';
import { assertPositiveAmount, Decimal, minorUnits } from '../../domain/money.js';
import type { LoanAccountState, LoanTransaction } from '../../domain/servicing/loanAccount.js';
import { needsHistory, replayForPosting, type LoanOnRecord, type PostingReplay } from '../../domain/servicing/postingReplay.js';
import { checkpointFromJson, checkpointToJson } from '../../domain/servicing/replay/checkpoint.js';
import { journalsToPost, statusAfterReplay, type JournalToPost, type PostedNet, type PostingKind } from '../../domain/servicing/journalsToPost.js';
import type { LoanParticipation } from '../../domain/servicing/coLending.js';
import { IllegalLoanTransition, type LoanStatus } from '../../domain/servicing/loanStatus.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import { tenantSql, type TenantStatement } from '../../tenancy/tenantSql.js';
import type { CommandSql, Statement } from '../../commands/runCommand.js';
import { Prisma, type LoanTransaction as LoanTransactionModel } from '../../generated/prisma/client.js';
import { dateColumn } from '../../tenancy/dateColumns.js';
import { assertTrancheFits, type PaidTranche } from '../../domain/servicing/tranches.js';
import type { LoanTerms } from '../../domain/servicing/product.js';
import { loanAccountOf, loanTransactionOf, participationsJson, postedNetJson, transactionsJson, type LoanRecord, type RestructureTerms, type TransactionKind, type TransactionRecord } from './loanRecords.js';
import { isUuid } from '../../domain/globalId.js';
import { formatNumber } from '../../domain/referenceNumbers.js';
import { transactionInWords } from '../../domain/servicing/transactionWords.js';


/** Where and by whom: the tenant's schema, the person or client posting, when, and the tenant's business date. */
export interface PostingRun {
  schema: string;
  postedBy: string;
  now: Date;
  businessDate: string;
  batchId?: string;
  /** Names the corrections of a posting no transaction causes (a co-lender's share taken or bought back). */
  cause?: string;
}

export interface PostingDraft {
  loanId: string;
  kind: TransactionKind;
  valueDate: string;
  /** As the Decimal scalar parsed it (below 10^15, at most 10 places); written as text only by the INSERT. */
  amount?: Decimal | null;
  component?: 'principal' | 'interest' | 'fee' | 'penalty' | null;
  instalment?: number | null;
  reschedule?: 'reduceInstalment' | 'reduceTenor' | null;
  reverses?: string | null;
  channel?: string | null;
  externalReference?: string | null;
  reason?: string | null;
  /** A restructure's terms. */
  terms?: RestructureTerms | null;
  /** How the caller's input names this draft in errors: '' for a single mutation, 'repayments.3.' in a file. */
  field: string;
}

export interface PostedTransaction {
  id: string;
  draft: PostingDraft;
}

/** What a posting changed in a loan, as its events tell it: everything but the replayed state. */
export interface PostedLoanOutline {
  loanId: string;
  originationPartner: string | null;
  statusBefore: LoanStatus;
  status: LoanStatus;
  currency: string;
  daysPastDue: number;
  /** What this posting changed for each co-lending partner with a share of the loan (none when it moved nothing of theirs). */
  shares: ShareChange[];
}

export interface PostedLoan extends PostedLoanOutline {
  state: LoanAccountState;
}

/** A co-lending partner's money in one loan as one posting moved it. */
export interface ShareChange {
  partnerCode: string;
  /** What the lender owes it from collections (its payable for the loan): up when collected, down when corrected. */
  collected: Decimal;
  /** Its share of the principal still lent: up when it funds, down as principal is collected or written off. */
  principal: Decimal;
}

/** Each partner's change in the journals a posting writes: credits to its accounts, less debits. */
function shareChanges(participations: readonly LoanParticipation[], journals: readonly JournalToPost[]): ShareChange[] {
  return participations.map((p) => {
    let collected = new Decimal(0);
    let principal = new Decimal(0);
    for (const line of journals.flatMap((j) => j.lines)) {
      if (line.account === p.accounts.payable) collected = collected.plus(line.credit).minus(line.debit);
      if (line.account === p.accounts.funded) principal = principal.plus(line.credit).minus(line.debit);
    }
    return { partnerCode: p.partnerCode, collected, principal };
  }).filter((c) => !c.collected.isZero() || !c.principal.isZero());
}

/** A stored transaction as the ORM reads it (what the API's LoanTransaction is made from). */
export type TransactionRow = LoanTransactionModel;

export interface PostingResult {
  transactions: PostedTransaction[];
  /** The rows written for `transactions`, in the same order: the answer needs no read back. */
  rows: TransactionRow[];
  /**
   * Each loan's replay. Empty for a posting written in parts with `onPart`: each part's loans went to it in outline,
   * and their replays were not kept (a file's thousands would live until its end, copied by every collection).
   */
  loans: Map<string, PostedLoan>;
  /** How many loans the posting appended to or replayed (also when `loans` was not kept). */
  loanCount: number;
  journals: number;
}

interface LoanRow extends LoanRecord {
  /** The tenant's number for it, as refusals name it (L-000123). */
  number: number;
  currency: string;
  status: LoanStatus;
  asOf: string;
  transactionCount: number;
  originationPartner: string | null;
}

interface StoredTransaction extends TransactionRecord {
  loanId: string;
}

function checkDraft(draft: PostingDraft, loan: LoanRow, run: PostingRun, known: Map<string, StoredTransaction | PostingDraft & { id: string }>): void {
  const f = draft.field;
  if (!isBusinessDate(draft.valueDate)) throw new InvalidField(`${f}valueDate`, 'valueDate must be a business date (YYYY-MM-DD)');
  assertNotAfterBusinessDate(draft.valueDate, run.businessDate, `${f}valueDate`);
  if (draft.valueDate < loan.disbursementDate) {
    throw new InvalidField(`${f}valueDate`, `valueDate may not be before the disbursement on ${loan.disbursementDate}`);
  }
  if (draft.kind === 'reversal') {
    const target = draft.reverses ? known.get(draft.reverses) : undefined;
    if (!target || target.kind === 'reversal') throw new InvalidField(`${f}transactionId`, 'no repayment, charge, waiver or refund of this loan has that id');
    // Not the input but the transaction's state refuses it, named as a person knows it (never by its database id).
    if ([...known.values()].some((t) => t.kind === 'reversal' && t.reverses === draft.reverses)) {
      throw new AppError('CONFLICT', `${transactionInWords(target, formatNumber('loan', loan.number))} is already reversed`, { field: inputPath(`${f}transactionId`) });
    }
    return;
  }
  // A write-off in full carries no amount: it gives up whatever is owed on its date; a restructure carries terms.
  if (draft.kind === 'writeOff' && (draft.amount === null || draft.amount === undefined)) return;
  if (draft.kind === 'restructure') return;
  // Refused before the replay, whose own guard would name the transaction by its new id rather than the input.
  assertPositiveAmount(draft.amount, `${f}amount`);
  const places = minorUnits(loan.currency);
  if (draft.amount.decimalPlaces() > places) {
    throw new InvalidField(`${f}amount`, `amount must be in whole minor units of ${loan.currency} (at most ${places} decimal place${places === 1 ? '' : 's'})`);
  }
  if (draft.kind === 'tranche') assertTrancheFitsLoan(draft, loan, known);
}

/**
 * A later tranche in arrival order: on or after every tranche still in effect, within what is approved and not
 * yet paid out (the replay checks the amount again in value-date order).
 */
function assertTrancheFitsLoan(draft: PostingDraft, loan: LoanRow, known: Map<string, StoredTransaction | PostingDraft & { id: string }>): void {
  const reversed = new Set([...known.values()].flatMap((t) => (t.kind === 'reversal' && t.reverses ? [t.reverses] : [])));
  const paid: PaidTranche[] = [
    { transactionId: null, valueDate: loan.disbursementDate, amount: new Decimal(loan.principal) },
    ...[...known.values()].filter((t) => t.kind === 'tranche' && !reversed.has(t.id)).map((t) => ({ transactionId: t.id, valueDate: t.valueDate, amount: new Decimal(t.amount!) })),
  ];
  try {
    assertTrancheFits({ approvedPrincipal: new Decimal(loan.approvedPrincipal), currency: loan.currency }, paid, { valueDate: draft.valueDate, amount: draft.amount! });
  } catch (error) {
    if (error instanceof InvalidField) throw new InvalidField(`${draft.field}${error.field}`, error.message);
    throw error;
  }
}

/**
 * A replay's complaint, named as the caller's input names it. The replay names a new transaction by the id it was
 * just given, which the caller has never seen: that id leaves the message too.
 */
export function asInputError(error: InvalidField, drafts: readonly (PostingDraft & { id: string })[]): InvalidField {
  const message = drafts.reduce((text, draft) => text.replaceAll(`transactions.${draft.id}.`, '').replaceAll(`transaction ${draft.id}`, 'the transaction'), error.message);
  // Of the replay's own kind (OwedBeyondCeiling stays one), for a caller that treats a kind of refusal apart.
  const named = (field: string) => new (error.constructor as typeof InvalidField)(field, message);
  for (const draft of drafts) {
    const prefix = `transactions.${draft.id}.`;
    if (error.field.startsWith(prefix)) {
      const rest = error.field.slice(prefix.length);
      return named(`${draft.field}${rest === 'reverses' ? 'transactionId' : rest}`);
    }
  }
  // Caused by an earlier transaction once the new one was replayed in (e.g. a reversal that would undo money
  // already refunded, or make a later charge take what the loan owes to 10^15): name the new transaction's date
  // or target, which is what the caller can change.
  const last = drafts.at(-1)!;
  return named(`${last.field}${last.kind === 'reversal' ? 'transactionId' : 'valueDate'}`);
}

/**
 * A posting refused after the fact, where what the caller gave names the posting only as a whole (a request being
 * approved, a bank's file of returns): a CONFLICT naming that input `field`, saying what (`words`) cannot be posted
 * and why, since the field the posting engine named is none of the caller's input.
 */
export function unpostableAsItStands(words: string, why: string, field: string): AppError {
  return new AppError('CONFLICT', `${words} cannot be posted against the loan as it stands: ${why}`, { field });
}

interface JournalDraft {
  id: string;
  loan_id: string;
  transaction_id: string | null;
  kind: PostingKind;
  currency: string;
  value_date: string;
  narrative: string;
  posted_by: string;
  posted_at: string;
  ord: number;
}

interface LineDraft {
  journal_id: string;
  line: number;
  account: string;
  debit: string;
  credit: string;
  loan_id: string;
  currency: string;
  value_date: string;
}

/** A loan as the posting's locking read leaves it. */
export type LockedLoan = LoanRow & { checkpoint: string | null };

/** What a replay that reaches before a loan's checkpoint reads: its transactions and what is posted per date and account. */
export interface LoanHistory {
  transactions: StoredTransaction[];
  posted: PostedNet[];
}

/** The rows one posting writes; the postings of a batch are written together (`postingWrite`). */
export interface PostingRows {
  transactions: NewTransactionRow[];
  journals: JournalDraft[];
  lines: LineDraft[];
  loans: Record<string, unknown>[];
}

/** Drafts sorted onto their loans, each with the id its transaction will have. */
export interface PostingPlan {
  loanIds: string[];
  transactions: PostedTransaction[];
  newByLoan: Map<string, (PostingDraft & { id: string })[]>;
  onRecord: Map<string, LoanOnRecord>;
  freshOf: Map<string, LoanTransaction[]>;
}

/** The loans, sorted by id as they are locked. */
export const loanIdsOf = (drafts: readonly PostingDraft[], alsoLoans: readonly string[] = []) => [...new Set([...drafts.map((d) => d.loanId), ...alsoLoans])].sort();

/**
 * Locks the loans in id order and reads what a posting from their checkpoints needs. Under READ COMMITTED a
 * statement that waited for a row lock reads the locked row as the posting it waited for left it, so what is
 * read from the loan's own row here is current.
 */
export async function lockLoans(sql: CommandSql, loanIds: readonly string[]): Promise<Map<string, LockedLoan>> {
  // Ids are UUIDs (checked here), as a uuid[] literal. Prepared once per connection when it opens the transaction
  // (the posting of a batch of single payments): planned for each list of ids, it cost the server more than it
  // took to read the rows; the generic plan reads them by the loan's key all the same.
  const ids = `{${loanIds.filter((id) => isUuid(id)).join(',')}}`;
  const loanRows = await sql.query<LockedLoan>(
    (schema) => `SELECT l.id::text, l.number, l.terms, l.allocation, l.accounts, l.currency, l.principal::text, l.approved_principal::text AS "approvedPrincipal",
            l.disbursement_date::text AS "disbursementDate", l.first_repayment_date::text AS "firstRepaymentDate", l.status, l.as_of::text AS "asOf",
            l.transaction_count AS "transactionCount", l.origination_partner AS "originationPartner", l.replay_checkpoint AS checkpoint,
            ${participationsJson(schema, 'l')} AS participations
       FROM ${schema}.loan l WHERE l.id = ANY($1::uuid[]) ORDER BY l.id FOR UPDATE`, [ids], { shape: 'loan-lock', types: ['uuid[]'] });
  return new Map(loanRows.map((row) => [row.id, row]));
}

/** Puts each draft on its loan (InvalidField naming the draft when there is no such loan). */
export function planPosting(drafts: readonly PostingDraft[], loans: ReadonlyMap<string, LockedLoan>, alsoLoans: readonly string[] = []): PostingPlan {
  const loanIds = loanIdsOf(drafts, alsoLoans);
  drafts.forEach((draft) => {
    if (!loans.has(draft.loanId)) throw new InvalidField(`${draft.field}loanId`, 'no loan with that id');
  });
  const newByLoan = new Map<string, (PostingDraft & { id: string })[]>(loanIds.map((id) => [id, []]));
  const transactions: PostedTransaction[] = [];
  for (const draft of drafts) {
    const id = timeOrderedId();
    newByLoan.get(draft.loanId)!.push({ ...draft, id });
    transactions.push({ id, draft });
  }
  const onRecord = new Map<string, LoanOnRecord>();
  const freshOf = new Map<string, LoanTransaction[]>();
  for (const loanId of loanIds) {
    const loan = loans.get(loanId);
    if (!loan) throw new InvalidField('loanId', 'no loan with that id');
    onRecord.set(loanId, { account: loanAccountOf(loan), replayedTo: loan.asOf, transactionCount: loan.transactionCount, checkpoint: checkpointFromJson(loan.checkpoint) });
    freshOf.set(loanId, newByLoan.get(loanId)!.map((d) => loanTransactionOf({
      id: d.id, kind: d.kind, valueDate: d.valueDate, amount: d.amount ?? null, component: d.component ?? null, instalment: d.instalment ?? null,
      reschedule: d.reschedule ?? null, reverses: d.reverses ?? null, channel: d.channel ?? null, externalReference: d.externalReference ?? null,
      terms: d.terms ?? null,
    })));
  }
  return { loanIds, transactions, newByLoan, onRecord, freshOf };
}

/** The loans of `plan` whose posting reaches before their checkpoint: only these are read whole. */
export const loansNeedingHistory = (plan: PostingPlan) => plan.loanIds.filter((id) => needsHistory(plan.onRecord.get(id)!, plan.freshOf.get(id)!));

/**
 * The whole history of `loanIds`. A separate statement after the lock, because a locking statement's subqueries
 * keep the snapshot taken before it waited (seen as stored balances disagreeing with journals after concurrent
 * postings).
 */
export async function readHistories(sql: CommandSql, loanIds: readonly string[]): Promise<Map<string, LoanHistory>> {
  const histories = new Map<string, LoanHistory>();
  if (loanIds.length === 0) return histories;
  const rows = await sql.query<{ id: string; transactions: StoredTransaction[]; postedNet: { valueDate: string; account: string; net: string }[] }>(
    (schema) => `SELECT l.id::text, ${transactionsJson(schema, 'l')} AS transactions, ${postedNetJson(schema, 'l')} AS "postedNet"
       FROM ${schema}.loan l WHERE l.id = ANY($1::uuid[])`, [`{${loanIds.join(',')}}`]);
  for (const row of rows) {
    histories.set(row.id, { transactions: row.transactions, posted: row.postedNet.map((p) => ({ valueDate: p.valueDate, account: p.account, net: new Decimal(p.net) })) });
  }
  return histories;
}

export interface PostingOptions {
  /** Takes the write instead of running it, for the caller to send with its bookkeeping (one round trip). */
  defer?: (write: Statement) => void;
  /**
   * Lets a large posting be written in parts (with `defer`, on a connection that can send ahead): told of each part
   * as it is sent, with what it posted (its loans, and their new transactions loan by loan, each loan's in the drafts'
   * order), e.g. to stage its events, since the result then keeps no loans. Not called otherwise.
   */
  onPart?: (part: PostedPart) => void;
}

/** What one part of a large posting posted, or a whole posting: its transactions and what they changed in each loan. */
export interface PostedPart {
  transactions: PostedTransaction[];
  loans: ReadonlyMap<string, PostedLoanOutline>;
}

/**
 * Appends `drafts` to their loans (and replays `alsoLoans`, e.g. one just booked), then posts what the replays
 * add to the ledger and stores each loan's replayed sub-ledger. Throws InvalidField naming the caller's field.
 */
export async function postToLoans(
  db: Tx | CommandSql, run: PostingRun, drafts: readonly PostingDraft[], alsoLoans: readonly string[] = [], options: PostingOptions = {},
): Promise<PostingResult> {
  const sql = postingSql(db, run.schema);
  const loans = await lockLoans(sql, loanIdsOf(drafts, alsoLoans));
  const plan = planPosting(drafts, loans, alsoLoans);
  const histories = await readHistories(sql, loansNeedingHistory(plan));
  if (options.defer && options.onPart && sql.send && plan.transactions.length > PART_TRANSACTIONS) return postInParts(sql.send, run, plan, loans, histories, options.onPart);
  const { result, rows } = computePosting(run, plan, loans, histories);
  const write = postingWrite([rows]);
  if (options.defer) options.defer(write);
  else await sql.query(write.text, write.values);
  return result;
}

/** Transactions per part of a large posting (a payment file): enough that a part's statement is worth its round trip. */
export const PART_TRANSACTIONS = 1_000;

/**
 * Transactions replayed between two turns of the event loop while a large posting is written in parts: a part of
 * a few MB goes to the socket only as fast as the event loop comes round to it, so PostgreSQL would otherwise wait
 * for the rest of a part while the gateway replays the next (seen as the server waiting on the client).
 */
const SLICE_TRANSACTIONS = 25;

/**
 * A large posting replayed and written a part at a time on its one connection, in its one transaction: while
 * PostgreSQL writes one part, the gateway replays the next, so a payment file keeps both busy instead of
 * replaying everything and then waiting for the write. Parts follow the loans' order, as one statement would.
 */
async function postInParts(
  send: NonNullable<CommandSql['send']>, run: PostingRun, plan: PostingPlan, loans: ReadonlyMap<string, LockedLoan>, histories: ReadonlyMap<string, LoanHistory>,
  onPart: NonNullable<PostingOptions['onPart']>,
): Promise<PostingResult> {
  // A slice's replays and rows are let go as soon as it is written out as text: held until their part was sent
  // (or, for the result, until the file's end), they outlived the young generation and every collection copied
  // them. Its loans are kept in outline for the part's events only.
  let journals = 0;
  let loanCount = 0;
  let text = new PostingText();
  let partLoans = new Map<string, PostedLoanOutline>();
  let slice: string[] = [];
  let sliceSize = 0;
  let partSize = 0;
  const replaySlice = async () => {
    const computed = computeLoans(run, plan, loans, histories, slice);
    text.add(computed.rows);
    journals += computed.rows.journals.length;
    loanCount += computed.loans.size;
    for (const [loanId, posted] of computed.loans) partLoans.set(loanId, outlineOf(posted));
    slice = [];
    sliceSize = 0;
    // Lets the connection move what is being sent, take PostgreSQL's answer and send what is queued behind it.
    await new Promise((resolve) => setImmediate(resolve));
  };
  const sendPart = () => {
    send(text.statement());
    const transactions = [...partLoans.keys()].flatMap((loanId) => plan.newByLoan.get(loanId)!.map((draft) => ({ id: draft.id, draft })));
    onPart({ transactions, loans: partLoans });
    text = new PostingText();
    partLoans = new Map();
    partSize = 0;
  };
  for (const loanId of plan.loanIds) {
    const added = Math.max(1, plan.newByLoan.get(loanId)!.length);
    slice.push(loanId);
    sliceSize += added;
    partSize += added;
    if (sliceSize >= SLICE_TRANSACTIONS || partSize >= PART_TRANSACTIONS) await replaySlice();
    if (partSize >= PART_TRANSACTIONS) sendPart();
  }
  if (slice.length > 0) await replaySlice();
  if (!text.empty) sendPart();
  return new Posted(run, plan, loans, new Map(), loanCount, journals);
}

const outlineOf = ({ state: _state, ...outline }: PostedLoan): PostedLoanOutline => outline;

/** The replays of `plan`'s loans and the rows they add; throws InvalidField or CONFLICT naming the caller's field. */
export function computePosting(run: PostingRun, plan: PostingPlan, loans: ReadonlyMap<string, LockedLoan>, histories: ReadonlyMap<string, LoanHistory>): { result: PostingResult; rows: PostingRows } {
  const part = computeLoans(run, plan, loans, histories, plan.loanIds);
  return { result: new Posted(run, plan, loans, part.loans, part.loans.size, part.rows.journals.length), rows: part.rows };
}

/** What the replays of some of a plan's loans add. */
interface ComputedPart {
  loans: Map<string, PostedLoan>;
  rows: PostingRows;
}

/**
 * The posting's result, in the drafts' order. Its rows are made when read: a single posting answers with its
 * transaction's row, a payment file with ids alone, and its 100,000 rows were made for nothing. A class rather than
 * an object literal with a getter: V8 gives every such literal a hidden class of its own, made in the old generation
 * and holding the getter's closure, so the posting's plan and loans outlived the young generation and were copied by
 * collections until a full one.
 */
class Posted implements PostingResult {
  readonly transactions: PostedTransaction[];
  #rows: TransactionRow[] | undefined;

  constructor(
    private readonly run: PostingRun, private readonly plan: PostingPlan, private readonly lockedLoans: ReadonlyMap<string, LockedLoan>,
    readonly loans: Map<string, PostedLoan>, readonly loanCount: number, readonly journals: number,
  ) {
    this.transactions = plan.transactions;
  }

  get rows(): TransactionRow[] {
    return (this.#rows ??= transactionRowsOf(this.run, this.plan, this.lockedLoans));
  }
}

/** The rows of a posting's new transactions as the ORM would read them back, in the drafts' order. */
function transactionRowsOf(run: PostingRun, plan: PostingPlan, loans: ReadonlyMap<string, LockedLoan>): TransactionRow[] {
  const nextSeq = new Map<string, number>();
  const enteredAt = run.now.toISOString();
  return plan.transactions.map(({ id, draft }) => {
    const seq = nextSeq.get(draft.loanId) ?? loans.get(draft.loanId)!.transactionCount + 1;
    nextSeq.set(draft.loanId, seq + 1);
    const row = newTransactionRow(run, id, draft, seq, enteredAt);
    return {
      ...row, valueDate: dateColumn(row.valueDate), amount: row.amount === null ? null : new Prisma.Decimal(row.amount), enteredAt: run.now,
      terms: row.terms as TransactionRow['terms'],
    };
  });
}

/**
 * A new transaction's row as the posting's statement takes it: JSON, by the ORM's field names (the statement's
 * recordset names its columns the same way), so its fields are listed here once, for the write and for the answer.
 */
export type NewTransactionRow = Omit<TransactionRow, 'valueDate' | 'amount' | 'enteredAt' | 'terms'> & {
  valueDate: string;
  amount: string | null;
  enteredAt: string;
  terms: RestructureTerms | null;
};

function newTransactionRow(run: PostingRun, id: string, d: PostingDraft, seq: number, enteredAt: string): NewTransactionRow {
  return {
    id, loanId: d.loanId, seq, kind: d.kind, valueDate: d.valueDate, amount: d.amount?.toFixed() ?? null,
    component: d.component ?? null, instalment: d.instalment ?? null, reschedule: d.reschedule ?? null, reverses: d.reverses ?? null,
    channel: d.channel ?? null, externalReference: d.externalReference ?? null, reason: d.reason ?? null, batchId: run.batchId ?? null,
    enteredBy: run.postedBy, enteredAt, terms: d.terms ?? null,
  };
}

function computeLoans(run: PostingRun, plan: PostingPlan, loans: ReadonlyMap<string, LockedLoan>, histories: ReadonlyMap<string, LoanHistory>, loanIds: readonly string[]): ComputedPart {
  const result = new Map<string, PostedLoan>();
  const transactionRows: NewTransactionRow[] = [];
  const journals: JournalDraft[] = [];
  const lines: LineDraft[] = [];
  const loanUpdates: Record<string, unknown>[] = [];
  const postedAt = run.now.toISOString();
  const { newByLoan, onRecord, freshOf } = plan;

  for (const loanId of loanIds) {
    const loan = loans.get(loanId)!;
    const fresh = newByLoan.get(loanId)!;
    const history = histories.get(loanId) ?? null;
    // Without the history, nothing new reverses or adds a tranche (the checkpoint would not do): the drafts are checked among themselves.
    const known = new Map<string, StoredTransaction | (PostingDraft & { id: string })>((history?.transactions ?? []).map((t) => [t.id, t]));
    for (const draft of fresh) {
      checkDraft(draft, loan, run, known);
      known.set(draft.id, draft);
    }
    let replayed: PostingReplay;
    try {
      replayed = replayForPosting(onRecord.get(loanId)!, freshOf.get(loanId)!, run.businessDate,
        history && { transactions: history.transactions.map(loanTransactionOf), posted: history.posted });
    } catch (error) {
      if (error instanceof InvalidField && fresh.length > 0) throw asInputError(error, fresh);
      throw error;
    }
    const { state } = replayed;
    let status: LoanStatus;
    try {
      status = statusAfterReplay(loan.status, state.status);
    } catch (error) {
      if (error instanceof IllegalLoanTransition) throw new AppError('CONFLICT', error.message, fresh[0] ? { field: inputPath(`${fresh[0].field}loanId`) } : {});
      throw error;
    }
    const posted: PostedLoan = {
      loanId, originationPartner: loan.originationPartner, statusBefore: loan.status, status, currency: state.currency, daysPastDue: state.daysPastDue, state, shares: [],
    };
    result.set(loanId, posted);

    fresh.forEach((d, k) => transactionRows.push(newTransactionRow(run, d.id, d, loan.transactionCount + k + 1, postedAt)));

    const toPost = journalsToPost(
      { disbursementDate: loan.disbursementDate, replayedTo: loan.asOf, posted: replayed.posted, booking: replayed.booking }, replayed.journals, fresh, run.businessDate, run.cause,
    );
    const { participations } = onRecord.get(loanId)!.account;
    if (participations && participations.length > 0) posted.shares = shareChanges(participations, toPost);
    for (const journal of toPost) {
      const journalId = timeOrderedId();
      journals.push({
        id: journalId, loan_id: loanId, transaction_id: journal.transactionId, kind: journal.kind, currency: loan.currency,
        value_date: journal.valueDate, narrative: journal.narrative, posted_by: run.postedBy, posted_at: postedAt, ord: journals.length,
      });
      journal.lines.forEach(({ account, debit, credit }, k) => lines.push({
        journal_id: journalId, line: k + 1, account, loan_id: loanId, currency: loan.currency, value_date: journal.valueDate,
        debit: debit.toFixed(), credit: credit.toFixed(),
      }));
    }
    const receivable = state.totals.receivable;
    loanUpdates.push({
      id: loanId, status, as_of: run.businessDate, days_past_due: state.daysPastDue,
      principal_receivable: receivable.principal.toFixed(), interest_receivable: receivable.interest.toFixed(),
      fee_receivable: receivable.fee.toFixed(), penalty_receivable: receivable.penalty.toFixed(),
      held: state.held.advance.plus(state.held.excess).toFixed(), interest_in_advance: state.interestInAdvance.toFixed(),
      transaction_count: loan.transactionCount + fresh.length, replay_checkpoint: checkpointToJson(replayed.checkpoint), updated_at: postedAt, restructured_on: state.restructuredOn,
      ...positionColumns(state, onRecord.get(loanId)!.account.terms),
    });
  }


  return { loans: result, rows: { transactions: transactionRows, journals, lines, loans: loanUpdates } };
}

/**
 * The rows of one or more postings (on distinct loans) as one statement: one round trip for every write. Each part
 * is a separate data-modifying CTE; the foreign keys and the balance check on journal lines are checked at the
 * end of the statement, when all of them are in.
 */
export function postingWrite(parts: readonly PostingRows[]): Statement {
  const text = new PostingText();
  for (const part of parts) text.add(part);
  return text.statement();
}

/**
 * The rows of a posting statement, written out as the JSON it takes as they come, so that the objects they were
 * made from need not live until the statement is sent. Journals are numbered across everything added (`ord`: the
 * order they are inserted in).
 */
class PostingText {
  private readonly lists: [string[], string[], string[], string[]] = [[], [], [], []];
  private journals = 0;

  get empty(): boolean {
    return this.lists.every((items) => items.length === 0);
  }

  add(rows: PostingRows): void {
    const offset = this.journals;
    // Numbered by position whatever the rows say, as they are inserted; copied only when that changes a number.
    const journals = rows.journals.every((journal, k) => journal.ord === offset + k) ? rows.journals : rows.journals.map((journal, k) => ({ ...journal, ord: offset + k }));
    this.journals += rows.journals.length;
    [rows.transactions, journals, rows.lines, rows.loans].forEach((list, k) => {
      // The list's items without its brackets: the statement's array is every addition's items in turn.
      if (list.length > 0) this.lists[k]!.push(JSON.stringify(list).slice(1, -1));
    });
  }

  statement(): Statement {
    return {
      text: (schema) => `WITH new_transactions AS (
       INSERT INTO ${schema}.loan_transaction (id, loan_id, seq, kind, value_date, amount, component, instalment, reschedule, reverses, channel,
              external_reference, reason, batch_id, entered_by, entered_at, terms)
       SELECT id, "loanId", seq, kind, "valueDate", amount, component, instalment, reschedule, reverses, channel, "externalReference", reason,
              "batchId", "enteredBy", "enteredAt", terms
         FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, "loanId" uuid, seq integer, kind text, "valueDate" date, amount numeric, component text,
              instalment integer, reschedule text, reverses uuid, channel text, "externalReference" text, reason text, "batchId" uuid,
              "enteredBy" text, "enteredAt" timestamptz, terms jsonb)
       RETURNING 1
     ), new_journals AS (
       INSERT INTO ${schema}.journal (id, loan_id, transaction_id, kind, currency, value_date, narrative, posted_by, posted_at)
       SELECT id, loan_id, transaction_id, kind, currency, value_date, narrative, posted_by, posted_at
         FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, loan_id uuid, transaction_id uuid, kind text, currency text, value_date date,
              narrative text, posted_by text, posted_at timestamptz, ord integer)
        ORDER BY ord
       RETURNING 1
     ), new_lines AS (
       INSERT INTO ${schema}.journal_line (journal_id, line, account, debit, credit, loan_id, currency, value_date)
       SELECT journal_id, line, account, debit, credit, loan_id, currency, value_date
         FROM jsonb_to_recordset($3::jsonb) AS r(journal_id uuid, line integer, account text, debit numeric, credit numeric, loan_id uuid,
              currency text, value_date date)
       RETURNING 1
     ), updated AS (
       UPDATE ${schema}.loan AS l
          SET status = r.status, as_of = r.as_of, days_past_due = r.days_past_due, principal_receivable = r.principal_receivable,
              interest_receivable = r.interest_receivable, fee_receivable = r.fee_receivable, penalty_receivable = r.penalty_receivable,
              held = r.held, interest_in_advance = r.interest_in_advance, transaction_count = r.transaction_count, updated_at = r.updated_at,
              oldest_due_date = r.oldest_due_date, upcoming_due_dates = r.upcoming_due_dates, upcoming_interest = r.upcoming_interest,
              upcoming_fee = r.upcoming_fee, upcoming_penalty = r.upcoming_penalty, upcoming_owing = r.upcoming_owing, next_instalment = 1,
              next_due_date = r.upcoming_due_dates[1], last_due_date = r.last_due_date, last_due_owing = r.last_due_owing,
              tolerance = r.tolerance, late_fee_grace_days = r.late_fee_grace_days, penalty_interest = r.penalty_interest, replay_on = r.replay_on,
              replay_checkpoint = r.replay_checkpoint, restructured_on = r.restructured_on
         FROM jsonb_to_recordset($4::jsonb) AS r(id uuid, status text, as_of date, days_past_due integer, principal_receivable numeric,
              interest_receivable numeric, fee_receivable numeric, penalty_receivable numeric, held numeric, interest_in_advance numeric,
              transaction_count integer, oldest_due_date date, upcoming_due_dates date[], upcoming_interest numeric[], upcoming_fee numeric[],
              upcoming_penalty numeric[], upcoming_owing numeric[], last_due_date date, last_due_owing numeric, tolerance numeric,
              late_fee_grace_days integer, penalty_interest boolean, replay_on date, replay_checkpoint text, updated_at timestamptz, restructured_on date)
        WHERE l.id = r.id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM new_transactions) + (SELECT count(*) FROM new_journals) + (SELECT count(*) FROM new_lines) + (SELECT count(*) FROM updated)`,
      values: this.lists.map((items) => `[${items.join(',')}]`),
      prepared: { shape: 'posting-write', types: ['jsonb', 'jsonb', 'jsonb', 'jsonb'] },
    };
  }
}

/** Raw SQL on whichever connection carries the posting: a Prisma transaction, or a command's own connection. */
function postingSql(db: Tx | CommandSql, schema: string): CommandSql {
  if ('$queryRawUnsafe' in db) {
    const sql = tenantSql(db, schema);
    return { query: <R>(text: TenantStatement, values: unknown[] = []) => sql.query<R[]>(text, ...values) } as CommandSql;
  }
  return db;
}

/**
 * The loan's position as its replay leaves it (docs/end-of-day.md): what end of day reads to bring it forward
 * without a replay. Arrays go as JSON arrays, which jsonb_to_recordset reads into PostgreSQL arrays.
 */
function positionColumns(state: LoanAccountState, terms: LoanTerms): Record<string, unknown> {
  const { upcoming, lastFallen, oldestDueDate, replayOn } = state.position;
  return {
    oldest_due_date: oldestDueDate,
    upcoming_due_dates: upcoming.map((u) => u.dueDate),
    upcoming_interest: upcoming.map((u) => u.interest.toFixed()),
    upcoming_fee: upcoming.map((u) => u.fee.toFixed()),
    upcoming_penalty: upcoming.map((u) => u.penalty.toFixed()),
    upcoming_owing: upcoming.map((u) => u.owing.toFixed()),
    last_due_date: lastFallen?.dueDate ?? null,
    last_due_owing: (lastFallen?.owing ?? new Decimal(0)).toFixed(),
    tolerance: (terms.underpaymentTolerance ?? new Decimal(0)).toFixed(),
    late_fee_grace_days: terms.lateFee ? terms.lateFee.graceDays : null,
    penalty_interest: (terms.penaltyRatePercent ?? new Decimal(0)).gt(0),
    replay_on: replayOn,
  };
}
