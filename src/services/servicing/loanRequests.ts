// Loan requests that post a transaction when approved (waivers, write-offs, restructures). The maker's half checks
// what every such request must say and that the loan can take it, and stores it pending; the checker's half: locked so
// it is decided once, never by its maker, posted through the posting engine as of the request's value date and
// checked then against the loan as it stands (the request can only be rejected when that fails), decided, audited
// and announced. Each kind says which table, how its transaction is drafted, and what it is called.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, statusInWords } from '../../errors.js';
import { assertNotAfterBusinessDate } from '../../domain/businessDate.js';
import { lockPendingRequest, refuseMakerAsChecker } from '../../commands/pendingRequests.js';
import { runCommand, type CommandContext, type EventDraft } from '../../commands/runCommand.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import type { Loan } from '../../generated/prisma/client.js';
import { postToLoans, unpostableAsItStands, type PostingDraft, type PostingResult } from './postings.js';
import { eventsOf, postingRunOf } from './loans.js';

/** A value date not after the business date, and a reason (trimmed, 3–1000 characters); returns the reason. */
export function checkedRequest(ask: { valueDate: string; reason: string }, businessDate: string): string {
  assertNotAfterBusinessDate(ask.valueDate, businessDate, 'valueDate');
  const reason = ask.reason.trim();
  if (reason.length < 3 || reason.length > 1000) throw new InvalidField('reason', 'reason must be 3–1000 characters');
  return reason;
}

/**
 * The loan a request is about, else NOT a loan (naming `loanId`). A kind that says what a loan neither active nor
 * overdue has none of (`nothing`) refuses such a loan as a CONFLICT saying why not; a kind that does not leaves it to
 * the try of its posting to say what the loan cannot take.
 */
async function requestedLoan(tx: Tx, loanId: string, nothing: string | null) {
  const loan = await tx.loan.findUnique({ where: { id: loanId } });
  if (!loan) throw new InvalidField('loanId', 'no loan with that id');
  if (nothing !== null && loan.status !== 'active' && loan.status !== 'overdue') {
    throw new AppError('CONFLICT', `the loan is ${statusInWords(loan.status)}: ${nothing}`, { field: inputPath('loanId') });
  }
  return loan;
}

/**
 * The maker's check of a request against the loan as it stands: its transaction replayed in as if approved now,
 * nothing written, so what the loan cannot take is refused naming the request's own field (an instalment the loan
 * does not have, a value date before its disbursement), and what its approval would refuse is refused on asking.
 * The checker's posting checks it again against the loan as it then stands. Returns the posting it tried, for what
 * a kind checks of it (`LoanRequestKind.check`).
 */
async function assertPostable(tx: Tx, command: CommandContext, businessDate: string, draft: Omit<PostingDraft, 'field'>): Promise<PostingResult> {
  return postToLoans(tx, postingRunOf(command, businessDate), [{ ...draft, field: '' }], [], { defer: () => undefined });
}

interface RequestRow {
  id: string;
  loanId: string;
  requestedBy: string;
}

/** A kind of loan request as both its halves know it. */
export interface LoanRequestKind<R extends RequestRow> {
  /** The pending-request kind (its table) and how a person calls it. */
  kind: 'waiver' | 'writeOff' | 'restructure';
  words: string;
  /**
   * The audit's entity type, and the stem of the commands' actions (`loan.request<Stem>`, `loan.approve<Stem>`,
   * `loan.reject<Stem>`).
   */
  entity: string;
  stem: string;
  /** A request by its id: the one to decide, or the one a repeated idempotency key asked for. */
  find(tx: Tx, id: string): Promise<R>;
  /**
   * What the kind refuses of its own posting beyond what the posting engine refuses (InvalidField naming the
   * request's field): run by the maker's half on the posting it tried, and by the checker's on the real one.
   */
  check?(posting: PostingResult, draft: Omit<PostingDraft, 'field'>): void;
}

/** What every request's row holds when asked. */
interface AskedRow {
  id: string;
  loanId: string;
  status: 'pending';
  requestedBy: string;
  requestedAt: Date;
}

/** One request as its maker asks it. */
export interface LoanRequestAsk<R extends RequestRow> {
  loanId: string;
  /** What a loan neither active nor overdue has none of, or null where the try of the posting alone judges the loan. */
  nothing: string | null;
  /** The request's transaction as the posting engine takes it. */
  draft(loanId: string): Omit<PostingDraft, 'field'>;
  /** Writes the request's row: what every request holds, and what the kind keeps of the ask. */
  create(tx: Tx, row: AskedRow): Promise<R>;
  /** What the audit and the event show of the request besides its id and its loan. */
  shown: Record<string, unknown>;
  /** The event that says it was asked (its type written out, as the event catalogue's scan reads it). */
  announce(shown: Record<string, unknown>, loan: Pick<Loan, 'id' | 'currency' | 'originationPartner'>): EventDraft;
}

/**
 * The maker's half: the loan tried with the request's transaction, the request stored pending (nothing moves until
 * another person approves it), audited and announced; a repeated idempotency key answers the request it made.
 */
export async function askLoanRequest<R extends RequestRow>(
  db: TenantDb, command: CommandContext, businessDate: string, spec: LoanRequestKind<R>, ask: LoanRequestAsk<R>,
): Promise<R> {
  return runCommand(db, { ...command, action: actionOf('request', spec.stem) }, async (tx) => {
    const loan = await requestedLoan(tx, ask.loanId, ask.nothing);
    const draft = ask.draft(loan.id);
    const tried = await assertPostable(tx, command, businessDate, draft);
    spec.check?.(tried, draft);
    const request = await ask.create(tx, { id: randomUUID(), loanId: loan.id, status: 'pending', requestedBy: command.actor.subject, requestedAt: command.now });
    const shown = { requestId: request.id, loanId: loan.id, ...ask.shown };
    return {
      result: request,
      audit: { entityType: spec.entity, entityId: request.id, after: shown },
      events: [ask.announce(shown, loan)],
      replay: { requestId: request.id },
    };
  }, (stored, tx) => spec.find(tx, String(stored['requestId'])));
}

/** How a kind's requests are decided. */
export interface LoanRequestDecision<R extends RequestRow, D> {
  draft(request: R): Omit<PostingDraft, 'field'>;
  decide(tx: Tx, id: string, data: { status: string; decidedBy: string; decidedAt: Date; decisionReason: string | null; transactionId: string | null }): Promise<D>;
  /**
   * The event that says how it was decided (its type written out, as the event catalogue's scan reads it);
   * `originationPartner` is the loan's, for a kind its partner hears of.
   */
  announce(decision: { approve: boolean; requestId: string; loanId: string; transactionId: string | null; reason: string | null; originationPartner: string | null }): EventDraft;
}

export async function decideLoanRequest<R extends RequestRow, D>(
  db: TenantDb, command: CommandContext, businessDate: string, spec: LoanRequestKind<R>, decision: LoanRequestDecision<R, D>,
  requestId: string, approve: boolean, reason: string | null,
): Promise<D> {
  return runCommand(db, { ...command, action: actionOf(approve ? 'approve' : 'reject', spec.stem) }, async (tx) => {
    await lockPendingRequest(tx, command.tenant, spec.kind, requestId);
    const request = await spec.find(tx, requestId);
    refuseMakerAsChecker(request.requestedBy, command.actor.subject, spec.kind);
    let transactionId: string | null = null;
    let events: EventDraft[] = [];
    if (approve) {
      const draft = decision.draft(request);
      const posting = await postToLoans(tx, postingRunOf(command, businessDate), [{ ...draft, field: '' }]).then((posted) => {
        spec.check?.(posted, draft);
        return posted;
      }).catch((error: unknown) => {
        throw asDecisionRefusal(spec.words, error);
      });
      transactionId = posting.transactions[0]!.id;
      events = eventsOf(posting);
    }
    const status = approve ? 'approved' : 'rejected';
    const decided = await decision.decide(tx, requestId, { status, decidedBy: command.actor.subject, decidedAt: command.now, decisionReason: reason, transactionId });
    const { originationPartner } = await tx.loan.findUniqueOrThrow({ where: { id: request.loanId }, select: { originationPartner: true } });
    return {
      result: decided,
      audit: { entityType: spec.entity, entityId: requestId, before: { status: 'pending' }, after: { status, transactionId, reason } },
      events: [...events, decision.announce({ approve, requestId, loanId: request.loanId, transactionId, reason, originationPartner })],
    };
  });
}

/** A command's action: `loan.` and the verb, then the kind's stem (`loan.requestWriteOff`, `loan.approveWaiver`). */
function actionOf(verb: 'request' | 'approve' | 'reject', stem: string): string {
  return `loan.${verb}${stem[0]!.toUpperCase()}${stem.slice(1)}`;
}

/**
 * A posting refused at approval: the loan moved since the request (paid, written off, a backdated payment), so the
 * request can only be rejected now. Whatever the posting named (`instalment`, `valueDate`, `loanId`) is none of the
 * checker's input: the refusal names the request, and its message says why.
 */
function asDecisionRefusal(words: string, error: unknown): unknown {
  const requestId = inputPath('requestId');
  if (error instanceof InvalidField) return unpostableAsItStands(words, `${error.message}; reject the request`, requestId);
  if (error instanceof AppError && error.details.field !== undefined && error.details.field !== requestId) return new AppError(error.code, error.message, { ...error.details, field: requestId });
  return error;
}
