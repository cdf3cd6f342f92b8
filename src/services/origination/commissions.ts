// Origination partners' commissions (docs/commissions.md): a rule per partner — a percentage of the principal paid
// out at booking, capped per loan, clawed back when the loan is closed within so many days of its disbursement.
// The commission is accrued when a loan the partner brought is booked, in the booking's own transaction (Dr the
// lender's commission expense, Cr the partner's payable), and clawed back by end of day (the reverse). Commission
// journals name no loan: the loan's own books (and their replay) never see them; the commission row links them.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, noSuchCode } from '../../errors.js';
import { Decimal } from '../../domain/money.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';
import { assertCommissionRule, commissionOn, type CommissionRule } from '../../domain/origination/commission.js';
import { formatNumber } from '../../domain/referenceNumbers.js';
import { runCommand, type CommandContext, type EventDraft } from '../../commands/runCommand.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql, type PoolSql } from '../../tenancy/tenantSql.js';
import { writeEvents } from '../endOfDay/events.js';
import { journalWithoutLoan } from '../servicing/ledger.js';
import type { StepContext } from '../endOfDay/run.js';

export interface CommissionRuleInput extends CommissionRule {
  partnerCode: string;
}

/**
 * Sets an origination partner's commission rule (loans booked from then on); its payable opens with its first rule.
 * `lenderCurrency` is the tenant's: the cap is an amount in it.
 */
export function setOriginationCommission(db: TenantDb, command: CommandContext, lenderCurrency: string, input: CommissionRuleInput) {
  assertCommissionRule(input, lenderCurrency);
  return runCommand(db, { ...command, action: 'originationCommission.setRule' }, async (tx) => {
    const partner = await tx.partner.findUnique({ where: { code: input.partnerCode } });
    if (!partner || partner.kind !== 'origination') throw noSuchCode('partnerCode', 'no origination partner with that code');
    const before = await tx.originationCommissionRule.findUnique({ where: { partnerCode: input.partnerCode } });
    let accounts = before ? { payableAccount: before.payableAccount, expenseAccount: before.expenseAccount } : null;
    if (!accounts) {
      // Rules are opened one at a time: the partner's payable is 2300-<n>, the expense one account for all.
      await tenantSql(tx, schemaForSlug(command.tenant)).execute((s) => `LOCK TABLE ${s}.origination_commission_rule IN SHARE ROW EXCLUSIVE MODE`);
      const number = (await tx.originationCommissionRule.count()) + 1;
      const payable = `2300-${number}`;
      if (await tx.ledgerAccount.findUnique({ where: { code: payable } })) {
        throw new AppError('CONFLICT', `the ledger already has an account ${payable}: the partner's payable cannot be opened`, { field: inputPath('partnerCode') });
      }
      await tx.ledgerAccount.create({ data: { code: payable, name: `Commission payable to ${partner.name}`.slice(0, 200), kind: 'liability', role: null, createdBy: command.actor.subject, createdAt: command.now } });
      if (!await tx.ledgerAccount.findUnique({ where: { code: '5400' } })) {
        await tx.ledgerAccount.create({ data: { code: '5400', name: 'Origination commissions', kind: 'expense', role: null, createdBy: command.actor.subject, createdAt: command.now } });
      }
      accounts = { payableAccount: payable, expenseAccount: '5400' };
    }
    const data = { percent: input.percent.toFixed(), cap: input.cap?.toFixed() ?? null, clawbackDays: input.clawbackDays, ...accounts, changedBy: command.actor.subject, changedAt: command.now };
    const rule = await tx.originationCommissionRule.upsert({ where: { partnerCode: input.partnerCode }, create: { partnerCode: input.partnerCode, ...data }, update: data });
    const shown = (r: { percent: { toString(): string }; cap: { toString(): string } | null; clawbackDays: number } | null) => r && ({ percent: r.percent.toString(), cap: r.cap?.toString() ?? null, clawbackDays: r.clawbackDays });
    return { result: rule, audit: { entityType: 'OriginationCommissionRule', entityId: input.partnerCode, before: shown(before), after: shown(rule) }, events: [] };
  });
}

/**
 * The commission on a loan being booked for the partner that brought it, posted in the booking's transaction; none
 * when the partner has no rule. Returns the event to announce it.
 */
export async function accrueCommission(tx: Tx, command: CommandContext, businessDate: string, loan: { id: string; number: number; partnerCode: string; currency: string; principal: Decimal }): Promise<EventDraft | null> {
  const rule = await tx.originationCommissionRule.findUnique({ where: { partnerCode: loan.partnerCode } });
  if (!rule) return null;
  const percent = new Decimal(rule.percent.toString());
  const cap = rule.cap === null ? null : new Decimal(rule.cap.toString());
  const amount = commissionOn(loan.principal, { percent, cap }, loan.currency);
  if (!amount.gt(0)) return null;
  const journalId = randomUUID();
  const id = randomUUID();
  await tenantSql(tx, schemaForSlug(command.tenant)).query((s) => `
    WITH ${journalWithoutLoan(s, 'commission')}
    INSERT INTO ${s}.origination_commission (id, loan_id, partner_code, currency, amount, percent, base, cap, clawback_days, accrued_on, journal_id)
    SELECT $10::uuid, $11::uuid, $12, $2, $8::numeric, $13::numeric, $14::numeric, $15::numeric, $16, $3::date, id FROM journal
    RETURNING 1`,
  journalId, loan.currency, businessDate, `Commission to ${loan.partnerCode} on ${formatNumber('loan', loan.number)}`, command.actor.subject, command.now.toISOString(),
  rule.expenseAccount, amount.toFixed(), rule.payableAccount, id, loan.id, loan.partnerCode, percent.toFixed(), loan.principal.toFixed(), cap?.toFixed() ?? null, rule.clawbackDays);
  return {
    type: 'originationCommission.accrued', aggregateType: 'OriginationCommission', aggregateId: id, partnerScope: loan.partnerCode,
    payload: { commissionId: id, loanId: loan.id, partnerCode: loan.partnerCode, amount: { amount, currency: loan.currency }, clawbackDays: rule.clawbackDays },
  };
}

/** End of day: commissions on loans closed within their clawback days of disbursement, reversed; returns how many. */
export async function clawBackCommissions(sql: PoolSql, c: Pick<StepContext, 'tenant' | 'businessDate' | 'now'>): Promise<number> {
  const { rows } = await sql.query<{ id: string; loan_id: string; partner_code: string; currency: string; amount: string }>((s) => `
    WITH due AS (
      SELECT oc.id, oc.loan_id, oc.partner_code, oc.currency, oc.amount, r.payable_account, r.expense_account, gen_random_uuid() AS journal_id, l.number
        FROM ${s}.origination_commission oc
        JOIN ${s}.loan l ON l.id = oc.loan_id
        JOIN ${s}.origination_commission_rule r ON r.partner_code = oc.partner_code
       WHERE oc.clawed_back_on IS NULL AND l.status = 'closed'
         -- Closed on the value date of its last transaction (the payoff), however late it was posted.
         AND (SELECT max(t.value_date) FROM ${s}.loan_transaction t WHERE t.loan_id = l.id) - l.disbursement_date <= oc.clawback_days
    ), journals AS (
      INSERT INTO ${s}.journal (id, loan_id, transaction_id, kind, currency, value_date, narrative, posted_by, posted_at)
      SELECT journal_id, NULL, NULL, 'commission', currency, $1::date, 'Commission clawed back from ' || partner_code || ' on L-' || CASE WHEN number < 1000000 THEN lpad(number::text, 6, '0') ELSE number::text END, '${SYSTEM_ACTORS.endOfDay}', $2::timestamptz
        FROM due RETURNING 1
    ), lines AS (
      INSERT INTO ${s}.journal_line (journal_id, line, account, debit, credit, loan_id, currency, value_date)
      SELECT journal_id, 1, payable_account, amount, 0, NULL::uuid, currency, $1::date FROM due
      UNION ALL SELECT journal_id, 2, expense_account, 0, amount, NULL::uuid, currency, $1::date FROM due
      RETURNING 1
    ), marked AS (
      UPDATE ${s}.origination_commission oc SET clawed_back_on = $1::date, clawback_journal_id = d.journal_id FROM due d WHERE oc.id = d.id RETURNING 1
    )
    SELECT id::text, loan_id::text, partner_code, currency, amount::text FROM due`, [c.businessDate, c.now.toISOString()]);
  if (rows.length > 0) {
    await writeEvents(sql, c.tenant.slug, c.now.toISOString(), rows.map((r) => ({
      type: 'originationCommission.reclaimed', aggregateType: 'OriginationCommission', aggregateId: r.id, partnerScope: r.partner_code,
      payload: { commissionId: r.id, loanId: r.loan_id, partnerCode: r.partner_code, amount: { amount: r.amount, currency: r.currency } },
    })));
  }
  return rows.length;
}
