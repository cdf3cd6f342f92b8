// The default loss guarantee, invoked by end of day (docs/co-lending.md, "Default loss guarantee"): once a shared
// loan is the arrangement's trigger days past due, the lender buys the partner's share back at its principal, so
// the partner is paid out (in its next settlement) and the loan's loss is the lender's alone from then. The total
// paid under one arrangement never passes its cap: the cap's share of the principal the partner funded under it. A
// share the remaining cap cannot buy in full stays with the partner (logged), as the guarantee is exhausted.
// Each buy-back is a command of its own (audited, announced), made only while the share is still the partner's: a
// run resumed after a crash buys nothing twice.
import { AppError, InvalidField } from '../../errors.js';
import { Decimal } from '../../domain/money.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';
import { partnerPrincipal } from '../../domain/servicing/coLending.js';
import { runCommand, type Actor } from '../../commands/runCommand.js';
import { dateColumn } from '../../tenancy/dateColumns.js';
import { poolSql, tenantSql } from '../../tenancy/tenantSql.js';
import { eventsOf, postingRunOf } from '../servicing/loans.js';
import { postToLoans } from '../servicing/postings.js';
import type { StepContext } from '../endOfDay/run.js';

/** Who buys a share back under the guarantee, in the audit trail and on the postings. */
export const GUARANTEE_ACTOR: Omit<Actor, 'requestId'> = { subject: SYSTEM_ACTORS.defaultLossGuarantee, roles: [], partner: null, clientId: null };

interface Candidate {
  id: string;
  loanId: string;
  partnerCode: string;
  arrangementId: string;
  capPercent: string;
  trigger: number;
}

/** End of day: every share whose loan reached its guarantee's trigger, bought back within the cap; returns how many. */
export async function invokeGuarantees(c: StepContext): Promise<number> {
  const { rows } = await poolSql(c.pool, c.schema).query<Candidate>((s) => `
    SELECT p.id::text, p.loan_id::text AS "loanId", p.partner_code AS "partnerCode", p.arrangement_id::text AS "arrangementId",
           v.guarantee_cap_percent::text AS "capPercent", v.guarantee_trigger_days AS trigger
      FROM ${s}.loan_participation p
      JOIN ${s}.colending_arrangement_version v ON v.arrangement_id = p.arrangement_id AND v.version = p.arrangement_version
      JOIN ${s}.loan l ON l.id = p.loan_id
     WHERE p.until_date IS NULL AND p.from_date < $1::date AND v.guarantee_trigger_days IS NOT NULL
       AND l.status IN ('active', 'overdue') AND l.days_past_due >= v.guarantee_trigger_days
     ORDER BY p.loan_id, p.id`, [c.businessDate]);
  await c.progress(0, rows.length);
  const command = { tenant: c.tenant.slug, now: c.now, actor: { ...GUARANTEE_ACTOR, requestId: `end-of-day:${c.businessDate}` } };
  let done = 0;
  for (const [k, share] of rows.entries()) {
    // The share is bought back only while it is still the partner's (read under the loan's lock): a run resumed
    // after a crash finds the ones it bought and moves on.
    const bought = await runCommand(c.db, { ...command, action: 'coLending.invokeGuarantee' }, async (tx) => {
      const sql = tenantSql(tx, c.schema);
      await sql.query((s) => `SELECT 1 FROM ${s}.loan WHERE id = $1::uuid FOR UPDATE`, share.loanId);
      // Buy-backs under one arrangement are counted against its cap one at a time.
      await sql.query((s) => `SELECT 1 FROM ${s}.colending_arrangement WHERE id = $1::uuid FOR UPDATE`, share.arrangementId);
      const participation = await tx.loanParticipation.findUniqueOrThrow({ where: { id: share.id } });
      const loan = await tx.loan.findUniqueOrThrow({ where: { id: share.loanId } });
      const principal = partnerPrincipal(new Decimal(participation.sharePercent.toString()), new Decimal(loan.principalReceivable.toString()), loan.currency);
      const under = await tx.loanParticipation.aggregate({ where: { arrangementId: share.arrangementId }, _sum: { funded: true, guaranteePaid: true } });
      const cap = new Decimal(under._sum.funded?.toString() ?? '0').times(share.capPercent).div(100).toDecimalPlaces(4);
      const left = cap.minus(under._sum.guaranteePaid?.toString() ?? '0');
      if (participation.untilDate !== null) return { result: 'held' as const, audit: { entityType: 'LoanParticipation', entityId: share.id, after: { boughtBack: true } }, events: [] };
      if (principal.gt(left)) {
        return { result: 'exhausted' as const, audit: { entityType: 'LoanParticipation', entityId: share.id, after: { boughtBack: false, principal: principal.toFixed(), capLeft: left.toFixed() } }, events: [] };
      }
      await tx.loanParticipation.update({ where: { id: share.id }, data: { untilDate: dateColumn(c.businessDate), guaranteePaid: principal.toFixed() } });
      // Its books change from today on: replayed from scratch, the partner's principal moves to its payable.
      await sql.execute((s) => `UPDATE ${s}.loan SET replay_checkpoint = NULL WHERE id = $1::uuid`, share.loanId);
      const posting = await postToLoans(tx, { ...postingRunOf(command, c.businessDate), cause: `Share bought back from co-lender ${share.partnerCode} under the default loss guarantee` }, [], [share.loanId]);
      // What the ledger paid is what counts against the cap (the stored principal and the replay agree but for rounding of corrections).
      const moved = posting.loans.get(share.loanId)!.shares.find((x) => x.partnerCode === share.partnerCode);
      const paid = moved ? moved.principal.negated() : principal;
      if (!paid.equals(principal)) await tx.loanParticipation.update({ where: { id: share.id }, data: { guaranteePaid: paid.toFixed() } });
      const payload = { participationId: share.id, loanId: share.loanId, partnerCode: share.partnerCode, paid: { amount: paid, currency: loan.currency }, daysPastDue: loan.daysPastDue };
      return {
        result: 'bought' as const,
        audit: { entityType: 'LoanParticipation', entityId: share.id, after: { boughtBack: true, on: c.businessDate, paid: paid.toFixed(), daysPastDue: loan.daysPastDue, trigger: share.trigger } },
        events: [...eventsOf(posting), { type: 'loanParticipation.repurchased', aggregateType: 'LoanParticipation', aggregateId: share.id, partnerScope: share.partnerCode, payload }],
      };
    }).catch((error: unknown) => {
      // One share the posting engine refuses does not stop the book's end of day: it stays with the partner, and is said.
      if (!(error instanceof AppError) && !(error instanceof InvalidField)) throw error;
      c.rt.log.warn({ tenant: c.tenant.slug, businessDate: c.businessDate, participationId: share.id, reason: error.message }, 'default loss guarantee refused for one share');
      return 'refused' as const;
    });
    if (bought === 'exhausted') c.rt.log.warn({ tenant: c.tenant.slug, businessDate: c.businessDate, participationId: share.id }, 'default loss guarantee exhausted: the share stays with the partner');
    if (bought === 'bought') done += 1;
    if ((k + 1) % 100 === 0) await c.progress(k + 1, rows.length);
  }
  return done;
}
