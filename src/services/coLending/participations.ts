// Participations (docs/co-lending.md): a co-lending partner's share of one loan, taken under the version of an
// arrangement in force, on the disbursement date or within the lender's assignment window after it. The share
// counts from the business date it is assigned; the loan is then replayed from scratch with it, so the partner's
// funding of its share of the principal then owed, and its parts of everything collected from then on, are posted
// by the posting engine as corrections of the loan's books — the same path a backdated payment takes.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, statusInWords } from '../../errors.js';
import { dayNumber, parseDate } from '../../domain/calendar.js';
import { Decimal } from '../../domain/money.js';
import { emiInterestRatio, originatorRatePercent, partnerPrincipal } from '../../domain/servicing/coLending.js';
import { termsFromJson } from '../../domain/servicing/product.js';
import { runCommand, type CommandContext, type EventDraft } from '../../commands/runCommand.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { eventsOf, postingRunOf } from '../servicing/loans.js';
import { postToLoans } from '../servicing/postings.js';
import { coLendingRules, termsOfVersion, versionInForce } from './arrangements.js';
import { isUuid } from '../../domain/globalId.js';
import { isFinalApplicationStatus, type ApplicationStatus } from '../../domain/origination/applicationStatus.js';

const daysBetween = (from: string, to: string) => dayNumber(parseDate(to)) - dayNumber(parseDate(from));

type LoanWithShares = Awaited<ReturnType<Tx['loan']['findUniqueOrThrow']>> & { product: { code: string }; participations: { partnerCode: string; sharePercent: { toString(): string }; partnerRatePercent: { toString(): string } }[] };

/**
 * A share of `loan` for the arrangement's partner, checked against the arrangement's version in force and the
 * lender's rules, and stored from `from` (the caller then replays the loan with it). `owed` is the loan's principal
 * owed on `from`: what the partner funds its share of.
 */
export async function shareOfLoan(
  tx: Tx, command: CommandContext, businessDate: string, loan: LoanWithShares, arrangementId: string, from: string, owed: Decimal,
  fields: { arrangement: string; loan: string } = { arrangement: 'arrangementId', loan: 'loanId' },
) {
  const field = fields.arrangement;
  // Shares under one arrangement are counted against its total limit one at a time.
  if (isUuid(arrangementId)) await tenantSql(tx, schemaForSlug(command.tenant)).query((s) => `SELECT 1 FROM ${s}.colending_arrangement WHERE id = $1::uuid FOR UPDATE`, arrangementId);
  const version = isUuid(arrangementId) ? await versionInForce(tx, arrangementId) : null;
  if (!version) {
    const exists = isUuid(arrangementId) && await tx.coLendingArrangement.findUnique({ where: { id: arrangementId } });
    if (!exists) throw new InvalidField(field, 'no co-lending arrangement with that id');
    throw new AppError('CONFLICT', 'no version of the arrangement is in force: one must be approved first', { field: inputPath(field) });
  }
  const terms = termsOfVersion(version);
  const { arrangement } = version;
  const refuse = (why: string, on = field) => new AppError('CONFLICT', why, { field: inputPath(on) });
  if (arrangement.currency !== loan.currency) throw refuse(`the arrangement is in ${arrangement.currency}, the loan in ${loan.currency}`);
  if (businessDate < terms.validFrom || (terms.validTo !== null && businessDate > terms.validTo)) {
    throw refuse(`the arrangement's version ${version.version} is valid from ${terms.validFrom}${terms.validTo ? ` to ${terms.validTo}` : ''}, not on ${businessDate}`);
  }
  if (terms.productCodes.length > 0 && !terms.productCodes.includes(loan.product.code)) throw refuse(`the arrangement does not cover loans of the product ${loan.product.code}`);
  const approved = new Decimal(loan.approvedPrincipal.toString());
  if (terms.maxLoanPrincipal !== null && approved.gt(terms.maxLoanPrincipal)) {
    throw refuse(`the arrangement takes shares of loans up to ${terms.maxLoanPrincipal.toFixed()} ${loan.currency}; this one is approved for ${approved.toFixed()}`);
  }
  const rules = await coLendingRules(tx);
  if (loan.participations.some((p) => p.partnerCode === arrangement.partnerCode)) throw refuse('the partner already has a share of this loan', fields.loan);
  const taken = loan.participations.reduce((sum, p) => sum.plus(p.sharePercent.toString()), new Decimal(0)).plus(terms.sharePercent);
  if (taken.gt(new Decimal(100).minus(rules.minimumRetentionPercent))) {
    throw refuse(`the lender keeps at least ${rules.minimumRetentionPercent.toFixed()} % of every loan; with this share the partners would hold ${taken.toFixed()} %`, fields.loan);
  }
  // The partners' rates must leave the lender something of the borrower's interest (its own rate at least zero).
  const loanRate = termsFromJson(loan.terms).annualRatePercent;
  const partners = [
    ...loan.participations.map((p) => ({ sharePercent: new Decimal(p.sharePercent.toString()), partnerRatePercent: new Decimal(p.partnerRatePercent.toString()) })),
    { sharePercent: terms.sharePercent, partnerRatePercent: terms.partnerRatePercent },
  ];
  if (terms.model !== 'collectionShare' && originatorRatePercent(loanRate, partners) === null) {
    throw refuse(`the loan's rate, ${loanRate.toFixed()} %, is less than the partners' rates on their shares would take`);
  }
  const funded = partnerPrincipal(terms.sharePercent, owed, loan.currency);
  if (terms.totalLimit !== null) {
    const used = await tx.loanParticipation.aggregate({ where: { arrangementId: arrangement.id }, _sum: { funded: true } });
    const after = new Decimal(used._sum.funded?.toString() ?? '0').plus(funded);
    if (after.gt(terms.totalLimit)) throw refuse(`the arrangement funds at most ${terms.totalLimit.toFixed()} ${loan.currency} in all; this share would bring it to ${after.toFixed()}`);
  }
  const ledger = await tx.coLendingPartnerLedger.findUniqueOrThrow({ where: { partnerCode: arrangement.partnerCode } });
  const disbursed = businessDateOf(loan.disbursementDate);
  const ratio = terms.model === 'emiBased'
    ? emiInterestRatio(terms.sharePercent, terms.partnerRatePercent, termsFromJson(loan.terms), {
      principal: loan.principal.toString(), disbursementDate: disbursed, firstRepaymentDate: loan.firstRepaymentDate ? businessDateOf(loan.firstRepaymentDate) : undefined,
    })
    : null;
  const participation = await tx.loanParticipation.create({
    data: {
      id: randomUUID(), loanId: loan.id, partnerCode: arrangement.partnerCode, arrangementId: arrangement.id, arrangementVersion: version.version,
      sharePercent: terms.sharePercent.toFixed(), model: terms.model, partnerRatePercent: terms.partnerRatePercent.toFixed(),
      servicingFeePercent: terms.servicingFeePercent.toFixed(), sharesFees: terms.sharesFees, sharesPenalties: terms.sharesPenalties,
      emiInterestRatio: ratio?.toFixed() ?? null, fromDate: dateColumn(from), funded: funded.toFixed(),
      payableAccount: ledger.payableAccount, fundedAccount: ledger.fundedAccount, servicingFeeAccount: ledger.servicingFeeAccount,
      assignedBy: command.actor.subject, assignedAt: command.now,
    },
  });
  const shown = {
    participationId: participation.id, loanId: loan.id, partnerCode: arrangement.partnerCode, arrangementId: arrangement.id, version: version.version,
    sharePercent: terms.sharePercent.toFixed(), from, funded: funded.toFixed(),
  };
  const event: EventDraft = {
    type: 'loanParticipation.assigned', aggregateType: 'LoanParticipation', aggregateId: participation.id, partnerScope: arrangement.partnerCode,
    payload: { ...shown, funded: { amount: funded, currency: loan.currency } },
  };
  return { participation, audit: { entityType: 'LoanParticipation', entityId: participation.id, after: shown }, event };
}

/** Gives a co-lending partner its share of a loan under the arrangement's version in force. */
export async function assignParticipation(db: TenantDb, command: CommandContext, businessDate: string, input: { loanId: string; arrangementId: string }) {
  return runCommand(db, { ...command, action: 'loan.assignParticipation' }, async (tx) => {
    const sql = tenantSql(tx, schemaForSlug(command.tenant));
    // The loan is locked first: its shares are added up and its books replayed in this one transaction.
    const [locked] = isUuid(input.loanId) ? await sql.query<{ id: string }[]>((s) => `SELECT id FROM ${s}.loan WHERE id = $1::uuid FOR UPDATE`, input.loanId) : [];
    if (!locked) throw new InvalidField('loanId', 'no loan with that id');
    const loan = await tx.loan.findUniqueOrThrow({ where: { id: input.loanId }, include: { product: true, participations: true } });
    if (loan.status !== 'active' && loan.status !== 'overdue') {
      throw new AppError('CONFLICT', `the loan is ${statusInWords(loan.status)}: a share is taken of a loan still being repaid`, { field: inputPath('loanId') });
    }
    const disbursed = businessDateOf(loan.disbursementDate);
    const { assignmentWindowDays } = await coLendingRules(tx);
    const late = daysBetween(disbursed, businessDate);
    if (late > assignmentWindowDays) {
      throw new AppError('CONFLICT', `a share is assigned within ${assignmentWindowDays} days of disbursement (${disbursed}); it is ${late} days now`, { field: inputPath('loanId') });
    }
    // Assigned on the disbursement date, the share counts from the payout itself.
    const from = businessDate < disbursed ? disbursed : businessDate;
    const { participation, audit, event } = await shareOfLoan(tx, command, businessDate, loan, input.arrangementId, from, new Decimal(loan.principalReceivable.toString()));
    // The loan's books change from `from` on: its checkpoint no longer stands for them, so it is replayed from scratch.
    await sql.execute((s) => `UPDATE ${s}.loan SET replay_checkpoint = NULL WHERE id = $1::uuid`, loan.id);
    const posting = await postToLoans(tx, { ...postingRunOf(command, businessDate), cause: `Co-lender ${participation.partnerCode} took its share from ${from}` }, [], [loan.id]);
    return { result: participation, replay: { participationId: participation.id }, audit, events: [...eventsOf(posting), event] };
  }, async (stored, tx) => tx.loanParticipation.findUniqueOrThrow({ where: { id: stored['participationId'] as string } }));
}

/** Statuses an application may still be put under (or taken off) an arrangement in: before its offer is made. */
const BEFORE_OFFER = ['draft', 'submitted', 'under_checks', 'checks_failed', 'information_requested', 'under_review', 'referred'];

/**
 * Puts an application under a co-lending arrangement (or takes it off, with null) before its offer is made: its
 * offer is then priced at the blend of the lender's rate and the partner's, and the partner's share is taken with
 * the payout at disbursement.
 */
export async function coLendApplication(db: TenantDb, command: CommandContext, input: { applicationId: string; arrangementId: string | null }) {
  return runCommand(db, { ...command, action: 'application.setCoLending' }, async (tx) => {
    const application = isUuid(input.applicationId) ? await tx.application.findUnique({ where: { id: input.applicationId }, include: { product: true } }) : null;
    if (!application) throw new InvalidField('applicationId', 'no application with that id');
    if (!BEFORE_OFFER.includes(application.status)) {
      const status = application.status as ApplicationStatus;
      const why = status === 'disbursed' ? 'its loan is booked: a share of it is assigned with assignLoanParticipation'
        : isFinalApplicationStatus(status) ? 'it will never be lent, so there is nothing to lend with a partner'
          : 'its offer is made; co-lending is decided before';
      throw new AppError('CONFLICT', `the application is ${statusInWords(status)}: ${why}`, { field: inputPath('applicationId') });
    }
    if (input.arrangementId !== null) {
      const version = isUuid(input.arrangementId) ? await versionInForce(tx, input.arrangementId) : null;
      if (!version) throw new InvalidField('arrangementId', 'no co-lending arrangement with a version in force under that id');
      const terms = termsOfVersion(version);
      if (version.arrangement.currency !== application.product.currency) throw new AppError('CONFLICT', `the arrangement is in ${version.arrangement.currency}, the application in ${application.product.currency}`, { field: inputPath('arrangementId') });
      if (terms.productCodes.length > 0 && !terms.productCodes.includes(application.product.code)) {
        throw new AppError('CONFLICT', `the arrangement does not cover loans of the product ${application.product.code}`, { field: inputPath('arrangementId') });
      }
    }
    const updated = await tx.application.update({ where: { id: application.id }, data: { coLendingArrangementId: input.arrangementId, updatedAt: command.now } });
    return {
      result: updated,
      audit: { entityType: 'Application', entityId: application.id, before: { coLendingArrangementId: application.coLendingArrangementId }, after: { coLendingArrangementId: input.arrangementId } },
      events: [],
    };
  });
}
