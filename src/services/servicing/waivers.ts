// Waivers (docs/write-off.md, "Waivers, beside write-offs"): one person asks to forgive interest, fees or penalties
// and another decides (four eyes); approved, the waiver posts as a transaction of the loan as of the request's value
// date. Asked, it is tried against the loan as it stands, so a request its approval would refuse (an instalment the
// loan does not have, a date before the loan, more than is owed) is refused naming its own field and never stored.
import { randomUUID } from 'node:crypto';
import { InvalidField } from '../../errors.js';
import { assertPositiveAmount, Decimal, minorUnits } from '../../domain/money.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';
import { assertPostable, checkedRequest, decideLoanRequest } from './loanRequests.js';
import type { PostingDraft, PostingResult } from './postings.js';

export interface WaiverAsk {
  loanId: string;
  component: 'interest' | 'fee' | 'penalty';
  /** As the Decimal scalar parsed it (a number below 10^15); its sign and the loan's minor units are checked here. */
  amount: Decimal;
  instalment?: number | null;
  valueDate: string;
  reason: string;
}

/** A waiver as the posting engine takes it. */
function waiverDraft(loanId: string, ask: Pick<WaiverAsk, 'component' | 'amount' | 'instalment' | 'valueDate' | 'reason'>): Omit<PostingDraft, 'field'> {
  return { loanId, kind: 'waiver', valueDate: ask.valueDate, amount: ask.amount, component: ask.component, instalment: ask.instalment ?? null, reason: ask.reason };
}

/**
 * The replay forgives at most what is owed: approved for more, the waiver would be on the books for an amount it
 * never forgave. Refused naming the amount (on asking; on approval, when a payment came in since, the request).
 */
function assertForgivenInFull(posting: PostingResult, draft: Omit<PostingDraft, 'field'>): void {
  const waiverId = posting.transactions[0]!.id;
  const loan = posting.loans.get(draft.loanId)!;
  const applied = loan.state.waivers.find((w) => w.waiverId === waiverId);
  if (!applied || !applied.notWaived.gt(0)) return;
  const places = minorUnits(loan.currency);
  const forgiven = draft.amount!.minus(applied.notWaived);
  throw new InvalidField('amount', `only ${forgiven.toFixed(places)} ${loan.currency} of ${draft.component} is owed to waive on ${draft.valueDate}; the waiver asks for ${draft.amount!.toFixed(places)}`);
}

/** The maker's half of a waiver: nothing moves until another person approves it. */
export async function requestWaiver(db: TenantDb, command: CommandContext, businessDate: string, ask: WaiverAsk) {
  const reason = checkedRequest(ask, businessDate);
  const { amount } = ask;
  assertPositiveAmount(amount, 'amount');
  return runCommand(db, { ...command, action: 'loan.requestWaiver' }, async (tx) => {
    const loan = await tx.loan.findUnique({ where: { id: ask.loanId } });
    if (!loan) throw new InvalidField('loanId', 'no loan with that id');
    const draft = waiverDraft(loan.id, { ...ask, reason });
    assertForgivenInFull(await assertPostable(tx, command, businessDate, draft), draft);
    const request = await tx.loanWaiverRequest.create({
      data: {
        id: randomUUID(), loanId: loan.id, component: ask.component, amount: amount.toFixed(), instalment: ask.instalment ?? null,
        valueDate: dateColumn(ask.valueDate), reason, status: 'pending', requestedBy: command.actor.subject, requestedAt: command.now,
      },
    });
    const shown = { requestId: request.id, loanId: loan.id, component: ask.component, amount: amount.toFixed(), instalment: ask.instalment ?? null, valueDate: ask.valueDate, reason };
    return {
      result: request,
      audit: { entityType: 'LoanWaiverRequest', entityId: request.id, after: shown },
      events: [{ type: 'loan.waiverRequested', aggregateType: 'Loan', aggregateId: loan.id, partnerScope: loan.originationPartner, payload: { ...shown, amount: { amount, currency: loan.currency } } }],
      replay: { requestId: request.id },
    };
  }, (stored, tx) => tx.loanWaiverRequest.findUniqueOrThrow({ where: { id: String(stored['requestId']) } }));
}

/** The checker's half: someone other than the maker approves (the waiver posts) or rejects it. */
export function decideWaiver(db: TenantDb, command: CommandContext, businessDate: string, requestId: string, approve: boolean, reason: string | null) {
  return decideLoanRequest(db, command, businessDate, {
    kind: 'waiver', words: 'a waiver', entity: 'LoanWaiverRequest', stem: 'waiver',
    find: (tx, id) => tx.loanWaiverRequest.findUniqueOrThrow({ where: { id } }),
    draft: (request) => waiverDraft(request.loanId, {
      component: request.component as WaiverAsk['component'], amount: new Decimal(request.amount.toString()), instalment: request.instalment,
      valueDate: businessDateOf(request.valueDate), reason: request.reason,
    }),
    check: assertForgivenInFull,
    decide: (tx, id, data) => tx.loanWaiverRequest.update({ where: { id }, data }),
    announce: ({ approve, requestId, loanId, transactionId, originationPartner }) => (approve
      ? { type: 'loan.waiverApproved', aggregateType: 'Loan', aggregateId: loanId, partnerScope: originationPartner, payload: { requestId, transactionId } }
      : { type: 'loan.waiverRejected', aggregateType: 'Loan', aggregateId: loanId, partnerScope: originationPartner, payload: { requestId, transactionId } }),
  }, requestId, approve, reason);
}
