// Participations (docs/co-lending.md): a co-lending partner's share of one loan, taken under the version of an
// arrangement in force, on the disbursement date or within the lender's assignment window after it. The share
// counts from the business date it is assigned; the loan is then replayed from scratch with it, so the partner's
// funding of its share of the principal then owed, and its parts of everything collected from then on, are posted
// by the posting engine as corrections of the loan's books — the same path a backdated payment takes.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField } from '../../errors.js';
import { dayNumber, parseDate } from '../../domain/calendar.js';
import { Decimal } from '../../domain/money.js';
import { emiInterestRatio, partnerPrincipal } from '../../domain/servicing/coLending.js';
import { termsFromJson } from '../../domain/servicing/product.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { eventsOf, postingRunOf } from '../servicing/loans.js';
import { postToLoans } from '../servicing/postings.js';
import { coLendingRules, termsOfVersion, versionInForce } from './arrangements.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const daysBetween = (from: string, to: string) => dayNumber(parseDate(to)) - dayNumber(parseDate(from));

/** Gives a co-lending partner its share of a loan under the arrangement's version in force. */
export async function assignParticipation(db: TenantDb, command: CommandContext, businessDate: string, input: { loanId: string; arrangementId: string }) {
  return runCommand(db, { ...command, action: 'loan.assignParticipation' }, async (tx) => {
    const sql = tenantSql(tx, schemaForSlug(command.tenant));
    // The loan is locked first: its shares are added up and its books replayed in this one transaction.
    const [locked] = UUID.test(input.loanId) ? await sql.query<{ id: string }[]>((s) => `SELECT id FROM ${s}.loan WHERE id = $1::uuid FOR UPDATE`, input.loanId) : [];
    if (!locked) throw new InvalidField('loanId', 'no loan with that id');
    const loan = await tx.loan.findUniqueOrThrow({ where: { id: input.loanId }, include: { product: true, participations: true } });
    if (loan.status !== 'active' && loan.status !== 'overdue') {
      throw new AppError('CONFLICT', `the loan is ${loan.status.replace('_', ' ')}: a share is taken of a loan still being repaid`, { field: inputPath('loanId') });
    }
    const version = UUID.test(input.arrangementId) ? await versionInForce(tx, input.arrangementId) : null;
    if (!version) {
      const exists = UUID.test(input.arrangementId) && await tx.coLendingArrangement.findUnique({ where: { id: input.arrangementId } });
      if (!exists) throw new InvalidField('arrangementId', 'no co-lending arrangement with that id');
      throw new AppError('CONFLICT', 'no version of the arrangement is in force: one must be approved first', { field: inputPath('arrangementId') });
    }
    const terms = termsOfVersion(version);
    const { arrangement } = version;
    const refuse = (why: string, field = 'arrangementId') => new AppError('CONFLICT', why, { field: inputPath(field) });
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
    const disbursed = businessDateOf(loan.disbursementDate);
    const late = daysBetween(disbursed, businessDate);
    if (late > rules.assignmentWindowDays) {
      throw refuse(`a share is assigned within ${rules.assignmentWindowDays} days of disbursement (${disbursed}); it is ${late} days now`, 'loanId');
    }
    if (loan.participations.some((p) => p.partnerCode === arrangement.partnerCode)) throw refuse('the partner already has a share of this loan', 'loanId');
    const taken = loan.participations.reduce((sum, p) => sum.plus(p.sharePercent.toString()), new Decimal(0)).plus(terms.sharePercent);
    if (taken.gt(new Decimal(100).minus(rules.minimumRetentionPercent))) {
      throw refuse(`the lender keeps at least ${rules.minimumRetentionPercent.toFixed()} % of every loan; with this share the partners would hold ${taken.toFixed()} %`, 'loanId');
    }
    const funded = partnerPrincipal(terms.sharePercent, new Decimal(loan.principalReceivable.toString()), loan.currency);
    if (terms.totalLimit !== null) {
      const used = await tx.loanParticipation.aggregate({ where: { arrangementId: arrangement.id }, _sum: { funded: true } });
      const after = new Decimal(used._sum.funded?.toString() ?? '0').plus(funded);
      if (after.gt(terms.totalLimit)) throw refuse(`the arrangement funds at most ${terms.totalLimit.toFixed()} ${loan.currency} in all; this share would bring it to ${after.toFixed()}`);
    }
    const ledger = await tx.coLendingPartnerLedger.findUniqueOrThrow({ where: { partnerCode: arrangement.partnerCode } });
    const loanTerms = termsFromJson(loan.terms);
    const ratio = terms.model === 'emiBased'
      ? emiInterestRatio(terms.sharePercent, terms.partnerRatePercent, loanTerms, {
        principal: loan.principal.toString(), disbursementDate: disbursed, firstRepaymentDate: loan.firstRepaymentDate ? businessDateOf(loan.firstRepaymentDate) : undefined,
      })
      : null;
    // Assigned on the disbursement date, the share counts from the payout itself.
    const from = businessDate < disbursed ? disbursed : businessDate;
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
    // The loan's books change from `from` on: its checkpoint no longer stands for them, so it is replayed from scratch.
    await sql.execute((s) => `UPDATE ${s}.loan SET replay_checkpoint = NULL WHERE id = $1::uuid`, loan.id);
    const posting = await postToLoans(tx, postingRunOf(command, businessDate), [], [loan.id]);
    const shown = {
      participationId: participation.id, loanId: loan.id, partnerCode: arrangement.partnerCode, arrangementId: arrangement.id, version: version.version,
      sharePercent: terms.sharePercent.toFixed(), from, funded: funded.toFixed(),
    };
    return {
      result: participation,
      audit: { entityType: 'LoanParticipation', entityId: participation.id, after: shown },
      events: [
        ...eventsOf(posting),
        {
          type: 'loanParticipation.assigned', aggregateType: 'LoanParticipation', aggregateId: participation.id, partnerScope: arrangement.partnerCode,
          payload: { ...shown, funded: { amount: funded, currency: loan.currency } },
        },
      ],
    };
  });
}
