// The hand-off from origination to servicing. A disbursement officer asks for the money to be paid out (the
// maker); a different person approves it (the checker), and approval books the loan in the same database
// transaction as the application's move to `disbursed`: the offer's terms snapshotted, the borrower, decision,
// offer and documents linked by reference (the loan points at its application; nothing is copied), the schedule
// generated and the ledger posted, events emitted. Declined, withdrawn, expired or already disbursed
// applications can never be disbursed: the transition table has no way out of those statuses, and the loan's
// unique application reference refuses a second loan even if two approvals raced.
import { versionInForce } from '../coLending/arrangements.js';
import { shareOfLoan } from '../coLending/participations.js';
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, isUniqueViolation, statusInWords } from '../../errors.js';
import { isBusinessDate } from '../../domain/businessDate.js';
import { Decimal } from '../../domain/money.js';
import { termsFromJson } from '../../domain/servicing/product.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { productVersion } from '../servicing/loanProducts.js';
import { bookLoan, type PlannedTrancheInput } from '../servicing/loans.js';
import { tranchePlanOf } from '../../domain/servicing/tranches.js';
import { assertFirstRepaymentDate } from '../../domain/servicing/dueDates.js';
import { transition } from './applications.js';
import { lockPendingRequest, refuseMakerAsChecker } from '../../commands/pendingRequests.js';
import { documentChecklist } from './applicationDocuments.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';

export interface DisbursementAsk {
  applicationId: string;
  disbursementDate: string;
  firstRepaymentDate?: string | null;
  /**
   * Pays the accepted offer's amount out in tranches: the first on the disbursement date when the loan is booked,
   * the rest later (disburseLoanTranche). None pays it all out at once.
   */
  tranches?: readonly PlannedTrancheInput[] | null;
}

export async function requestDisbursement(db: TenantDb, command: CommandContext, businessDate: string, ask: DisbursementAsk) {
  if (!isBusinessDate(ask.disbursementDate)) throw new InvalidField('disbursementDate', 'disbursementDate must be a business date (YYYY-MM-DD)');
  if (ask.firstRepaymentDate != null && !isBusinessDate(ask.firstRepaymentDate)) throw new InvalidField('firstRepaymentDate', 'firstRepaymentDate must be a business date (YYYY-MM-DD)');
  return runCommand(db, { ...command, action: 'application.requestDisbursement' }, async (tx) => {
    // Held to the business date only here: a repeat under the caller's key gets the request made the first time,
    // even once the date has moved past the payout's.
    if (ask.disbursementDate < businessDate) throw new InvalidField('disbursementDate', `disbursementDate may not be before the business date, ${businessDate}`);
    const application = await tx.application.findUnique({ where: { id: ask.applicationId } });
    if (!application) throw new InvalidField('applicationId', 'no application with that id');
    const missing = (await documentChecklist(tx as unknown as TenantDb, application.id)).filter((item) => item.required && item.status !== 'satisfied');
    if (missing.length > 0) {
      throw new AppError('CONFLICT', `required documents are not verified: ${missing.map((m) => `${m.kind} (${statusInWords(m.status)})`).join(', ')}`, { field: inputPath('applicationId'), reason: 'DOCUMENTS_MISSING' });
    }
    const tranches = ask.tranches?.length ? ask.tranches : null;
    // What the booking will hold the request to is checked against the accepted offer now, so the checker approves
    // a request that books: its first repayment date under the offer's frequency, and a plan within the offer's amount.
    const offer = await tx.applicationOffer.findFirst({ where: { applicationId: application.id, status: 'accepted' } });
    if (offer) {
      const terms = termsFromJson(offer.terms);
      assertFirstRepaymentDate(terms.repaymentEvery, ask.disbursementDate, ask.firstRepaymentDate);
      if (tranches) tranchePlanOf({ approvedPrincipal: new Decimal(offer.amount.toString()), tranches }, terms.currency, ask.disbursementDate);
    }
    const moved = await transition(tx, application, 'request_disbursement', inputPath('applicationId'), command.actor.subject, command.now);
    const id = randomUUID();
    try {
      await tx.disbursementRequest.create({
        data: {
          id, applicationId: application.id, disbursementDate: dateColumn(ask.disbursementDate),
          firstRepaymentDate: ask.firstRepaymentDate ? dateColumn(ask.firstRepaymentDate) : null,
          ...(tranches ? { tranchePlan: tranches.map((t) => ({ expectedDate: t.expectedDate, amount: t.amount.toFixed() })) } : {}),
          status: 'pending', requestedBy: command.actor.subject, requestedAt: command.now,
        },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'a disbursement request for this application is already pending', { field: inputPath('applicationId') });
      throw error;
    }
    return {
      result: { requestId: id }, replay: { requestId: id },
      audit: { ...moved.audit, after: { ...(moved.audit.after as object), requestId: id, disbursementDate: ask.disbursementDate } }, events: [moved.event],
    };
  }, async (stored) => ({ requestId: stored['requestId'] as string }));
}

/**
 * The checker's decision on a disbursement request. Approval books the loan in this same transaction; it is
 * idempotent under the caller's key, and a second approval of the same request finds it decided.
 */
export async function decideDisbursement(db: TenantDb, command: CommandContext, businessDate: string, requestId: string, approve: boolean, reason: string | null, idempotencyKey?: string | null) {
  const idempotency = idempotencyKey != null ? { key: idempotencyKey, input: { requestId, approve, reason } } : undefined;
  return runCommand(db, { ...command, action: approve ? 'application.disburse' : 'application.rejectDisbursement', ...(idempotency ? { idempotency } : {}) }, async (tx) => {
    await lockPendingRequest(tx, command.tenant, 'disbursement', requestId);
    const request = await tx.disbursementRequest.findUniqueOrThrow({ where: { id: requestId } });
    refuseMakerAsChecker(request.requestedBy, command.actor.subject, 'disbursement');
    const application = await tx.application.findUniqueOrThrow({ where: { id: request.applicationId } });
    if (!approve) {
      const moved = await transition(tx, application, 'reject_disbursement', inputPath('requestId'), command.actor.subject, command.now, reason);
      await tx.disbursementRequest.update({ where: { id: requestId }, data: { status: 'rejected', decidedBy: command.actor.subject, decidedAt: command.now, decisionReason: reason } });
      return { result: { loanId: null as string | null }, replay: { loanId: null }, audit: moved.audit, events: [moved.event] };
    }
    const disbursementDate = businessDateOf(request.disbursementDate);
    if (disbursementDate > businessDate) throw new AppError('CONFLICT', `the disbursement is dated ${disbursementDate}, after the business date`, { field: inputPath('requestId') });
    const offer = await tx.applicationOffer.findFirstOrThrow({ where: { applicationId: application.id, status: 'accepted' } });
    const product = await tx.loanProduct.findUniqueOrThrow({ where: { id: application.productId } });
    const version = (await productVersion(tx as unknown as TenantDb, product, application.productVersion))!;
    const borrower = await tx.applicationParty.findFirstOrThrow({ where: { applicationId: application.id, role: 'applicant' } });
    const moved = await transition(tx, application, 'disburse', inputPath('requestId'), command.actor.subject, command.now);
    // Offered co-lent: the partner's share is taken with the payout, under the version the offer's rate blended.
    const coLent = offer.coLending as { arrangementId: string; version: number } | null;
    if (coLent) {
      const inForce = await versionInForce(tx, coLent.arrangementId);
      if (inForce?.version !== coLent.version) {
        throw new AppError('CONFLICT', `the offer's rate blends version ${coLent.version} of its co-lending arrangement, which is no longer in force: make a new offer`, { field: inputPath('requestId') });
      }
    }
    const booked = await bookLoan(tx, command, businessDate, {
      product, productVersion: version.version, terms: termsFromJson(offer.terms), allocation: version.allocation, principal: new Decimal(offer.amount.toString()),
      tranches: plannedOf(request.tranchePlan),
      disbursementDate, firstRepaymentDate: request.firstRepaymentDate ? businessDateOf(request.firstRepaymentDate) : null, borrowerPartyId: borrower.partyId,
      originationPartner: application.originationPartner, externalReference: application.externalReference ?? application.reference,
      applicationId: application.id, decisionId: offer.decisionId, offerId: offer.id,
      ...(coLent ? {
        beforePosting: async (inner: Tx, loanId: string, owed: Decimal) => {
          const loan = await inner.loan.findUniqueOrThrow({ where: { id: loanId }, include: { product: true, participations: true } });
          const { audit, event } = await shareOfLoan(inner, command, businessDate, loan, coLent.arrangementId, disbursementDate, owed, { arrangement: 'requestId', loan: 'requestId' });
          return { audit, event };
        },
      } : {}),
    }).catch((error: unknown) => {
      throw asRequestRefusal(error, disbursementDate);
    });
    await tx.disbursementRequest.update({ where: { id: requestId }, data: { status: 'approved', decidedBy: command.actor.subject, decidedAt: command.now, loanId: booked.loanId } });
    return {
      result: { loanId: booked.loanId as string | null },
      replay: { loanId: booked.loanId },
      audit: [{ ...moved.audit, after: { ...(moved.audit.after as object), loanId: booked.loanId, requestId } }, booked.audit, ...(booked.shareAudit ? [booked.shareAudit] : [])],
      events: [{ ...moved.event, payload: { ...moved.event.payload, loanId: booked.loanId } }, ...booked.events],
    };
  }, async (stored) => ({ loanId: (stored['loanId'] as string | null) ?? null }));
}

/**
 * A booking refused for what the request and its offer hold (a schedule that on the disbursement date would
 * repay 10^15 or more, whose instalment multiple is too coarse, or that repays no principal before its last
 * instalment; dates the terms cannot schedule): none of it is the checker's input, so the refusal names the
 * request, NOT_BOOKABLE, with the booking's own words. What names the request already (a co-lending share that
 * cannot be taken) stays as it is.
 */
function asRequestRefusal(error: unknown, disbursementDate: string): unknown {
  if (!(error instanceof InvalidField) || error.field === 'requestId') return error;
  return new AppError('CONFLICT', `the loan cannot be booked as requested, paid out on ${disbursementDate}: ${error.message}; reject the request, and ask again for another date or after a new offer`, {
    field: inputPath('requestId'), reason: 'NOT_BOOKABLE',
  });
}

/** The plan a disbursement request stored, as the booking takes it. */
function plannedOf(stored: unknown): PlannedTrancheInput[] | null {
  if (!Array.isArray(stored)) return null;
  return (stored as { expectedDate: string; amount: string }[]).map((t) => ({ expectedDate: t.expectedDate, amount: new Decimal(t.amount) }));
}
