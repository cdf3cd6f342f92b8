// Write-offs (docs/write-off.md). By hand, one person asks and another decides (four eyes): approved, the
// write-off posts as a transaction of the loan through the posting engine, as of the request's value date, and is
// checked then against the loan as it stands (a second request on a loan another already wrote off in full is
// refused at its decision, naming the request). By
// rule, end of day writes a loan off in full once its days past due reach the charge-off rule's threshold (its
// product's rule, else the default), under the rule's own principal and a key per loan, so a run resumed after a crash posts it once.
import { randomUUID } from 'node:crypto';
import { AppError, InvalidField, noSuchCode } from '../../errors.js';
import { assertPositiveAmount, Decimal } from '../../domain/money.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';
import type { Component } from '../../domain/servicing/allocation.js';
import { runCommand, type Actor, type CommandContext } from '../../commands/runCommand.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';
import { poolSql } from '../../tenancy/tenantSql.js';
import { postLoanTransaction } from './loans.js';
import type { PostingDraft } from './postings.js';
import type { LoanWriteOffRequest } from '../../generated/prisma/client.js';
import { askLoanRequest, checkedRequest, decideLoanRequest, type LoanRequestKind } from './loanRequests.js';
import type { StepContext } from '../endOfDay/run.js';

export interface WriteOffAsk {
  loanId: string;
  valueDate: string;
  /** Both absent: a write-off in full; both given: that much of that component. */
  component?: Component | null;
  amount?: Decimal | null;
  reason: string;
}

/** Who posts a charge-off by rule, in the audit trail and on the transaction. */
export const CHARGE_OFF_ACTOR: Omit<Actor, 'requestId'> = { subject: SYSTEM_ACTORS.chargeOffRule, roles: [], partner: null, clientId: null };

function checkedAsk(ask: WriteOffAsk, businessDate: string): { component: Component | null; amount: Decimal | null; reason: string } {
  const reason = checkedRequest(ask, businessDate);
  const component = ask.component ?? null;
  const amount = ask.amount ?? null;
  if ((component === null) !== (amount === null)) {
    throw new InvalidField(component === null ? 'component' : 'amount', 'a write-off in part names both the component and the amount; a write-off in full names neither');
  }
  if (amount !== null) assertPositiveAmount(amount, 'amount');
  return { component, amount, reason };
}

/** A write-off as the posting engine takes it: in full without a component and amount, else that much of it. */
function writeOffDraft(loanId: string, valueDate: string, asked: { component: Component | null; amount: Decimal | null; reason: string }): Omit<PostingDraft, 'field'> {
  return { loanId, kind: 'writeOff', valueDate, amount: asked.amount, component: asked.component, reason: asked.reason };
}

/** Write-offs by hand, as both halves of a request know them. */
const WRITE_OFFS: LoanRequestKind<LoanWriteOffRequest> = {
  kind: 'writeOff', words: 'a write-off', entity: 'LoanWriteOffRequest', stem: 'writeOff',
  find: (tx, id) => tx.loanWriteOffRequest.findUniqueOrThrow({ where: { id } }),
};

/**
 * The maker's half: nothing is written off until another person approves it. The write-off is tried against the
 * loan as it stands, so what its approval would refuse (a date before the loan, more than the books hold) is refused
 * now, naming the request's field.
 */
export async function requestWriteOff(db: TenantDb, command: CommandContext, businessDate: string, ask: WriteOffAsk) {
  const { component, amount, reason } = checkedAsk(ask, businessDate);
  return askLoanRequest(db, command, businessDate, WRITE_OFFS, {
    loanId: ask.loanId, nothing: 'nothing is owed on the books to write off',
    draft: (loanId) => writeOffDraft(loanId, ask.valueDate, { component, amount, reason }),
    create: (tx, row) => tx.loanWriteOffRequest.create({ data: { ...row, valueDate: dateColumn(ask.valueDate), component, amount: amount?.toFixed() ?? null, reason } }),
    shown: { component, amount: amount?.toFixed() ?? null, valueDate: ask.valueDate, reason },
    announce: (shown, loan) => ({
      type: 'loan.writeOffRequested', aggregateType: 'Loan', aggregateId: loan.id,
      payload: { ...shown, amount: amount === null ? null : { amount, currency: loan.currency }, requestedBy: command.actor.subject },
    }),
  });
}

/** The checker's half: someone other than the maker approves (the write-off posts) or rejects it. */
export function decideWriteOff(db: TenantDb, command: CommandContext, businessDate: string, requestId: string, approve: boolean, reason: string | null) {
  return decideLoanRequest(db, command, businessDate, WRITE_OFFS, {
    draft: (request) => writeOffDraft(request.loanId, businessDateOf(request.valueDate), {
      amount: request.amount === null ? null : new Decimal(request.amount.toString()), component: request.component as Component | null, reason: request.reason,
    }),
    decide: (tx, id, data) => tx.loanWriteOffRequest.update({ where: { id }, data }),
    announce: ({ approve, requestId, loanId, transactionId, reason: why }) => (approve
      ? { type: 'loan.writeOffApproved', aggregateType: 'Loan', aggregateId: loanId, payload: { requestId, loanId, transactionId } }
      : { type: 'loan.writeOffRejected', aggregateType: 'Loan', aggregateId: loanId, payload: { requestId, loanId, reason: why } }),
  }, requestId, approve, reason);
}

/**
 * End of day's charge-off: every loan still overdue whose days past due reached its charge-off rule's threshold
 * (its product's rule, else the default rule) is written off in full, valued the business date.
 */
export async function chargeOffByRule(c: StepContext): Promise<number> {
  const sql = poolSql(c.pool, c.schema);
  // A lender that never set a threshold (the built-in default) charges nothing off: the book is not read for it.
  const { rows: rules } = await sql.query((s) => `SELECT 1 FROM ${s}.charge_off_rule WHERE at_days IS NOT NULL LIMIT 1`);
  if (rules.length === 0) return 0;
  // A product's own rule replaces the default, its threshold included (null: its loans are never charged off by rule).
  const { rows } = await sql.query<{ id: string; atDays: number }>((s) => `
    WITH ruled AS (
      SELECT l.id, l.days_past_due,
             CASE WHEN own.id IS NOT NULL THEN own.at_days ELSE fallback.at_days END AS at_days
        FROM ${s}.loan l
        LEFT JOIN ${s}.charge_off_rule own ON own.product_id = l.product_id
        LEFT JOIN ${s}.charge_off_rule fallback ON fallback.product_id IS NULL
       WHERE l.status = 'overdue'
         -- A loan whose write-off was reversed (reinstated by a checker) is left to people, not written off again.
         AND NOT EXISTS (SELECT 1 FROM ${s}.loan_transaction w JOIN ${s}.loan_transaction r ON r.reverses = w.id
                          WHERE w.loan_id = l.id AND w.kind = 'writeOff')
    )
    SELECT id::text, at_days AS "atDays" FROM ruled WHERE at_days IS NOT NULL AND days_past_due >= at_days ORDER BY id`);
  await c.progress(0, rows.length);
  const command = { tenant: c.tenant.slug, now: c.now, actor: { ...CHARGE_OFF_ACTOR, requestId: `end-of-day:${c.businessDate}` } };
  let done = 0;
  for (const [k, loan] of rows.entries()) {
    // Keyed by loan and date: a run resumed after a crash posts it once, and a loan is charged off once a day at most.
    const posted = await postLoanTransaction(c.db, command, c.businessDate, {
      loanId: loan.id, kind: 'writeOff', valueDate: c.businessDate,
      reason: `charged off by rule at ${loan.atDays} days past due`,
    }, `charge-off:${loan.id}:${c.businessDate}`).catch((error: unknown) => {
      // One loan the posting engine refuses does not stop the book's end of day: it stays overdue, and is said.
      if (!(error instanceof AppError) && !(error instanceof InvalidField)) throw error;
      c.rt.log.warn({ tenant: c.tenant.slug, businessDate: c.businessDate, loanId: loan.id, reason: error.message }, 'charge-off refused for one loan');
      return null;
    });
    if (posted) done += 1;
    if ((k + 1) % 100 === 0) await c.progress(k + 1, rows.length);
  }
  return done;
}

export interface ChargeOffRuleView {
  id: string | null;
  productId: string | null;
  productCode: string | null;
  /** Null: never by rule. */
  atDays: number | null;
  changedBy: string | null;
  changedAt: Date | null;
}

/** The rules: the default (as set, or the built-in one: never) first, then each product's. */
export async function chargeOffRules(db: TenantDb): Promise<ChargeOffRuleView[]> {
  const rows = await db.chargeOffRule.findMany();
  const products = await db.loanProduct.findMany({ where: { id: { in: rows.flatMap((r) => (r.productId ? [r.productId] : [])) } }, select: { id: true, code: true } });
  const view = (row: (typeof rows)[number]): ChargeOffRuleView => ({
    id: row.id, productId: row.productId, productCode: products.find((p) => p.id === row.productId)?.code ?? null, atDays: row.atDays,
    changedBy: row.changedBy, changedAt: row.changedAt,
  });
  const fallback = rows.find((r) => r.productId === null);
  return [
    fallback ? view(fallback) : { id: null, productId: null, productCode: null, atDays: null, changedBy: null, changedAt: null },
    ...rows.filter((r) => r.productId !== null).map(view).sort((a, b) => (a.productCode! < b.productCode! ? -1 : 1)),
  ];
}

/** Sets when a product's loans (or by default) are charged off by end of day; null: never. Applied from the next end of day. */
export async function setChargeOffRule(db: TenantDb, command: CommandContext, input: { productCode: string | null; atDays: number | null }): Promise<ChargeOffRuleView> {
  if (input.atDays !== null && (!Number.isInteger(input.atDays) || input.atDays < 1 || input.atDays > 3650)) {
    throw new InvalidField('atDaysPastDue', 'a whole number of days past due from 1 to 3650, or null for never');
  }
  return runCommand(db, { ...command, action: 'chargeOffRule.changed' }, async (tx) => {
    const product = input.productCode === null ? null : await tx.loanProduct.findUnique({ where: { code: input.productCode } });
    if (input.productCode !== null && !product) throw noSuchCode('productCode', 'no loan product with that code');
    const before = await tx.chargeOffRule.findFirst({ where: { productId: product?.id ?? null } });
    const data = { atDays: input.atDays, changedBy: command.actor.subject, changedAt: command.now };
    const row = before
      ? await tx.chargeOffRule.update({ where: { id: before.id }, data })
      : await tx.chargeOffRule.create({ data: { id: randomUUID(), productId: product?.id ?? null, ...data } });
    const result: ChargeOffRuleView = { id: row.id, productId: row.productId, productCode: product?.code ?? null, atDays: row.atDays, changedBy: row.changedBy, changedAt: row.changedAt };
    return {
      result,
      audit: { entityType: 'ChargeOffRule', entityId: row.id, before: before ? { atDays: before.atDays } : null, after: { productCode: result.productCode, atDays: row.atDays } },
      events: [{ type: 'chargeOffRule.changed', aggregateType: 'ChargeOffRule', aggregateId: row.id, payload: { productCode: result.productCode, atDaysPastDue: row.atDays, setBy: command.actor.subject } }],
    };
  });
}
