// Loan requests that post a transaction when approved (waivers, write-offs, restructures). The maker's half checks
// what every such request must say and that the loan can take it; the checker's half: locked so
// it is decided once, never by its maker, posted through the posting engine as of the request's value date and
// checked then against the loan as it stands (the request can only be rejected when that fails), decided, audited
// and announced. Each kind says which table, how its transaction is drafted, and what it is called.
import { AppError, inputPath, InvalidField, statusInWords } from '../../errors.js';
import { assertNotAfterBusinessDate } from '../../domain/businessDate.js';
import { lockPendingRequest, refuseMakerAsChecker } from '../../commands/pendingRequests.js';
import { runCommand, type CommandContext, type EventDraft } from '../../commands/runCommand.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { postToLoans, type PostingDraft, type PostingResult } from './postings.js';
import { eventsOf, postingRunOf } from './loans.js';

/** A value date not after the business date, and a reason (trimmed, 3–1000 characters); returns the reason. */
export function checkedRequest(ask: { valueDate: string; reason: string }, businessDate: string): string {
  assertNotAfterBusinessDate(ask.valueDate, businessDate, 'valueDate');
  const reason = ask.reason.trim();
  if (reason.length < 3 || reason.length > 1000) throw new InvalidField('reason', 'reason must be 3–1000 characters');
  return reason;
}

/** The loan a request is about, active or overdue; else NOT a loan (naming `loanId`) or CONFLICT saying why not. */
export async function workableLoan(tx: Tx, loanId: string, nothing: string) {
  const loan = await tx.loan.findUnique({ where: { id: loanId } });
  if (!loan) throw new InvalidField('loanId', 'no loan with that id');
  if (loan.status !== 'active' && loan.status !== 'overdue') {
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
export async function assertPostable(tx: Tx, command: CommandContext, businessDate: string, draft: Omit<PostingDraft, 'field'>): Promise<PostingResult> {
  return postToLoans(tx, postingRunOf(command, businessDate), [{ ...draft, field: '' }], [], { defer: () => undefined });
}

interface RequestRow {
  id: string;
  loanId: string;
  requestedBy: string;
}

export interface LoanRequestKind<R extends RequestRow, D> {
  /** The pending-request kind (its table) and how a person calls it. */
  kind: 'waiver' | 'writeOff' | 'restructure';
  words: string;
  /** The audit's entity type, and the stem of the command's action (`loan.approve<Stem>`, `loan.reject<Stem>`). */
  entity: string;
  stem: string;
  /**
   * The event that says how it was decided (its type written out, as the event catalogue's scan reads it);
   * `originationPartner` is the loan's, for a kind its partner hears of.
   */
  announce(decision: { approve: boolean; requestId: string; loanId: string; transactionId: string | null; reason: string | null; originationPartner: string | null }): EventDraft;
  find(tx: Tx, id: string): Promise<R>;
  draft(request: R): Omit<PostingDraft, 'field'>;
  /**
   * What the kind refuses of its own posting beyond what the posting engine refuses (InvalidField naming the
   * request's field): run by the maker's half on the posting it tried, and by the checker's on the real one.
   */
  check?(posting: PostingResult, draft: Omit<PostingDraft, 'field'>): void;
  decide(tx: Tx, id: string, data: { status: string; decidedBy: string; decidedAt: Date; decisionReason: string | null; transactionId: string | null }): Promise<D>;
}

export async function decideLoanRequest<R extends RequestRow, D>(
  db: TenantDb, command: CommandContext, businessDate: string, spec: LoanRequestKind<R, D>, requestId: string, approve: boolean, reason: string | null,
): Promise<D> {
  const action = `loan.${approve ? 'approve' : 'reject'}${spec.stem[0]!.toUpperCase()}${spec.stem.slice(1)}`;
  return runCommand(db, { ...command, action }, async (tx) => {
    await lockPendingRequest(tx, command.tenant, spec.kind, requestId);
    const request = await spec.find(tx, requestId);
    refuseMakerAsChecker(request.requestedBy, command.actor.subject, spec.kind);
    let transactionId: string | null = null;
    let events: EventDraft[] = [];
    if (approve) {
      const draft = spec.draft(request);
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
    const decided = await spec.decide(tx, requestId, { status, decidedBy: command.actor.subject, decidedAt: command.now, decisionReason: reason, transactionId });
    const { originationPartner } = await tx.loan.findUniqueOrThrow({ where: { id: request.loanId }, select: { originationPartner: true } });
    return {
      result: decided,
      audit: { entityType: spec.entity, entityId: requestId, before: { status: 'pending' }, after: { status, transactionId, reason } },
      events: [...events, spec.announce({ approve, requestId, loanId: request.loanId, transactionId, reason, originationPartner })],
    };
  });
}

/**
 * A posting refused at approval: the loan moved since the request (paid, written off, a backdated payment), so the
 * request can only be rejected now. Whatever the posting named (`instalment`, `valueDate`, `loanId`) is none of the
 * checker's input: the refusal names the request, and its message says why.
 */
function asDecisionRefusal(words: string, error: unknown): unknown {
  const requestId = inputPath('requestId');
  if (error instanceof InvalidField) return new AppError('CONFLICT', `${words} cannot be posted against the loan as it stands: ${error.message}; reject the request`, { field: requestId });
  if (error instanceof AppError && error.details.field !== undefined && error.details.field !== requestId) return new AppError(error.code, error.message, { ...error.details, field: requestId });
  return error;
}
