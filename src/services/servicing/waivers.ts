// Waivers (docs/write-off.md, "Waivers, beside write-offs"): one person asks to forgive interest, fees or penalties
// and another decides (four eyes); approved, the waiver posts as a transaction of the loan as of the request's value
// date. Asked, it is tried against the loan as it stands, so a request its approval would refuse (an instalment the
// loan does not have, a date before the loan, more than is owed) is refused naming its own field and never stored.
import { InvalidField } from '../../errors.js';
import { assertPositiveAmount, Decimal, minorUnits } from '../../domain/money.js';
import type { CommandContext } from '../../commands/runCommand.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';
import type { LoanWaiverRequest } from '../../generated/prisma/client.js';
import { askLoanRequest, checkedRequest, decideLoanRequest, type LoanRequestKind } from './loanRequests.js';
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

/** Waivers, as both halves of a request know them. */
const WAIVERS: LoanRequestKind<LoanWaiverRequest> = {
  kind: 'waiver', words: 'a waiver', entity: 'LoanWaiverRequest', stem: 'waiver',
  find: (tx, id) => tx.loanWaiverRequest.findUniqueOrThrow({ where: { id } }),
  check: assertForgivenInFull,
};

/** The maker's half of a waiver: nothing moves until another person approves it. */
export async function requestWaiver(db: TenantDb, command: CommandContext, businessDate: string, ask: WaiverAsk) {
  const reason = checkedRequest(ask, businessDate);
  const { amount } = ask;
  assertPositiveAmount(amount, 'amount');
  const instalment = ask.instalment ?? null;
  return askLoanRequest(db, command, businessDate, WAIVERS, {
    loanId: ask.loanId, nothing: null,
    draft: (loanId) => waiverDraft(loanId, { ...ask, reason }),
    create: (tx, row) => tx.loanWaiverRequest.create({
      data: { ...row, component: ask.component, amount: amount.toFixed(), instalment, valueDate: dateColumn(ask.valueDate), reason },
    }),
    shown: { component: ask.component, amount: amount.toFixed(), instalment, valueDate: ask.valueDate, reason },
    announce: (shown, loan) => ({
      type: 'loan.waiverRequested', aggregateType: 'Loan', aggregateId: loan.id, partnerScope: loan.originationPartner, payload: { ...shown, amount: { amount, currency: loan.currency } },
    }),
  });
}

/** The checker's half: someone other than the maker approves (the waiver posts) or rejects it. */
export function decideWaiver(db: TenantDb, command: CommandContext, businessDate: string, requestId: string, approve: boolean, reason: string | null) {
  return decideLoanRequest(db, command, businessDate, WAIVERS, {
    draft: (request) => waiverDraft(request.loanId, {
      component: request.component as WaiverAsk['component'], amount: new Decimal(request.amount.toString()), instalment: request.instalment,
      valueDate: businessDateOf(request.valueDate), reason: request.reason,
    }),
    decide: (tx, id, data) => tx.loanWaiverRequest.update({ where: { id }, data }),
    announce: ({ approve, requestId, loanId, transactionId, originationPartner }) => (approve
      ? { type: 'loan.waiverApproved', aggregateType: 'Loan', aggregateId: loanId, partnerScope: originationPartner, payload: { requestId, transactionId } }
      : { type: 'loan.waiverRejected', aggregateType: 'Loan', aggregateId: loanId, partnerScope: originationPartner, payload: { requestId, transactionId } }),
  }, requestId, approve, reason);
}
