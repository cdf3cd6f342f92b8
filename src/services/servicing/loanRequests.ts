// Loan requests that post a transaction when approved (write-offs, restructures). The maker's half checks what
// every such request must say and that the loan can take it; the checker's half: locked so
// it is decided once, never by its maker, posted through the posting engine as of the request's value date and
// checked then against the loan as it stands (the request can only be rejected when that fails), decided, audited
// and announced. Each kind says which table, how its transaction is drafted, and what it is called.
import { AppError, inputPath, InvalidField } from '../../errors.js';
import { lockPendingRequest, refuseMakerAsChecker } from '../../commands/pendingRequests.js';
import { runCommand, type CommandContext, type EventDraft } from '../../commands/runCommand.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { postToLoans, type PostingDraft } from './postings.js';
import { eventsOf, postingRunOf } from './loans.js';

/** The loan a request is about, active or overdue; else NOT a loan (naming `loanId`) or CONFLICT saying why not. */
export async function workableLoan(tx: Tx, loanId: string, nothing: string) {
  const loan = await tx.loan.findUnique({ where: { id: loanId } });
  if (!loan) throw new InvalidField('loanId', 'no loan with that id');
  if (loan.status !== 'active' && loan.status !== 'overdue') {
    throw new AppError('CONFLICT', `the loan is ${loan.status.replace('_', ' ')}: ${nothing}`, { field: inputPath('loanId') });
  }
  return loan;
}

/**
 * The maker's check of a request against the loan as it stands: its transaction replayed in as if approved now,
 * nothing written, so what the loan cannot take is refused naming the request's own field. The checker's posting
 * checks it again against the loan as it then stands.
 */
export async function assertPostable(tx: Tx, command: CommandContext, businessDate: string, draft: Omit<PostingDraft, 'field'>): Promise<void> {
  await postToLoans(tx, postingRunOf(command, businessDate), [{ ...draft, field: '' }], [], { defer: () => undefined });
}

interface RequestRow {
  id: string;
  loanId: string;
  requestedBy: string;
}

export interface LoanRequestKind<R extends RequestRow, D> {
  /** The pending-request kind (its table) and how a person calls it. */
  kind: 'writeOff' | 'restructure';
  words: string;
  /** The audit's entity type, and the stem of the command's action (`loan.approve<Stem>`, `loan.reject<Stem>`). */
  entity: string;
  stem: string;
  /** The event that says how it was decided (its type written out, as the event catalogue's scan reads it). */
  announce(decision: { approve: boolean; requestId: string; loanId: string; transactionId: string | null; reason: string | null }): EventDraft;
  find(tx: Tx, id: string): Promise<R>;
  draft(request: R): Omit<PostingDraft, 'field'>;
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
      const posting = await postToLoans(tx, postingRunOf(command, businessDate), [{ ...spec.draft(request), field: '' }]).catch((error: unknown) => {
        // The loan moved since the request (paid, written off, a backdated payment): the request can only be rejected now.
        if (error instanceof InvalidField) throw new AppError('CONFLICT', `${spec.words} cannot be posted against the loan as it stands: ${error.message}`, { field: inputPath('requestId') });
        throw error;
      });
      transactionId = posting.transactions[0]!.id;
      events = eventsOf(posting);
    }
    const status = approve ? 'approved' : 'rejected';
    const decided = await spec.decide(tx, requestId, { status, decidedBy: command.actor.subject, decidedAt: command.now, decisionReason: reason, transactionId });
    return {
      result: decided,
      audit: { entityType: spec.entity, entityId: requestId, before: { status: 'pending' }, after: { status, transactionId, reason } },
      events: [...events, spec.announce({ approve, requestId, loanId: request.loanId, transactionId, reason })],
    };
  });
}
