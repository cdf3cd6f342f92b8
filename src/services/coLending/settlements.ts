// Settlements with co-lending partners (docs/co-lending.md, "Settlement"): end of day settles each partner T+N
// (its settlement lag), and finance may settle one by hand. A settlement pays the partner's payable lines not yet
// settled and valued up to its date (coLendingSettlement.ts says which are adjustments), per currency, by one
// journal (payable debited, cash credited, no loan) and records each line it pays, so no line is paid twice. A
// partner's settlements are numbered in turn; one per partner, currency and date, so a run resumed after a crash
// pays nothing twice.
import { randomUUID } from 'node:crypto';
import { InvalidField, noSuchCode } from '../../errors.js';
import { addDays } from '../../domain/calendar.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';
import { assertNotAfterBusinessDate, isBusinessDate } from '../../domain/businessDate.js';
import { Decimal } from '../../domain/money.js';
import { settlementFigures } from '../../domain/servicing/coLendingSettlement.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql, type PoolSql, type TenantStatement } from '../../tenancy/tenantSql.js';
import { sealSecret, type DataKey } from '../../tenancy/sealing.js';
import { writeEvents, type EventDraft } from '../endOfDay/events.js';
import { journalWithoutLoan } from '../servicing/ledger.js';
import type { StepContext } from '../endOfDay/run.js';

/** Statements returning rows, on whichever connection the caller holds (end of day's, or a command's transaction). */
type Rows = <R>(statement: TenantStatement, values: unknown[]) => Promise<R[]>;
const rowsOfPool = (sql: PoolSql): Rows => async <R>(statement: TenantStatement, values: unknown[]) => (await sql.query(statement, values)).rows as R[];
const rowsOfTx = (tx: Tx, schemaName: string): Rows => <R>(statement: TenantStatement, values: unknown[]) => tenantSql(tx, schemaName).query<R[]>(statement, ...values);

export interface SettlementMade {
  id: string;
  partnerCode: string;
  number: number;
  currency: string;
  through: string;
  amount: Decimal;
  collections: Decimal;
  adjustments: Decimal;
}

/** Settles `partnerCode` through `through`, per currency; returns the settlements made (none when nothing is owed). */
async function settlePartner(rows: Rows, partnerCode: string, through: string, businessDate: string, now: Date, by: string): Promise<SettlementMade[]> {
  // One settlement of a partner at a time: its ledger row is the lock.
  const [ledger] = await rows<{ payable: string; cash: string }>((s) => `
    SELECT payable_account AS payable, (SELECT code FROM ${s}.ledger_account WHERE role = 'cash') AS cash
      FROM ${s}.colending_partner_ledger WHERE partner_code = $1 FOR UPDATE OF colending_partner_ledger`, [partnerCode]);
  if (!ledger) return [];
  const open = await rows<{ journal_id: string; line: number; loan_id: string; value_date: string; currency: string; amount: string }>((s) => `
    SELECT jl.journal_id::text, jl.line, jl.loan_id::text, jl.value_date::text, jl.currency, (jl.credit - jl.debit)::text AS amount
      FROM ${s}.journal_line jl JOIN ${s}.journal j ON j.id = jl.journal_id
     WHERE jl.account = $1 AND jl.loan_id IS NOT NULL AND jl.value_date <= $2::date
       AND NOT EXISTS (SELECT 1 FROM ${s}.colending_settlement_line x WHERE x.journal_id = jl.journal_id AND x.line = jl.line)
     ORDER BY jl.value_date, j.seq, jl.line`, [ledger.payable, through]);
  const made: SettlementMade[] = [];
  for (const currency of [...new Set(open.map((l) => l.currency))].sort()) {
    const [previous] = await rows<{ through: string | null; number: number | null; done: boolean }>((s) => `
      SELECT (SELECT max(through_date)::text FROM ${s}.colending_settlement WHERE partner_code = $1 AND currency = $2) AS through,
             (SELECT max(number) FROM ${s}.colending_settlement WHERE partner_code = $1) AS number,
             EXISTS (SELECT 1 FROM ${s}.colending_settlement WHERE partner_code = $1 AND currency = $2 AND through_date = $3::date) AS done`,
    [partnerCode, currency, through]);
    if (previous!.done) continue;
    const lines = open.filter((l) => l.currency === currency);
    const figures = settlementFigures(lines.map((l) => ({ loanId: l.loan_id, valueDate: l.value_date, amount: new Decimal(l.amount) })), previous!.through);
    if (!figures.pays) continue;
    const id = randomUUID();
    const journalId = randomUUID();
    const number = (previous!.number ?? 0) + 1;
    const amount = figures.amount.toFixed();
    await rows((s) => `
      WITH ${journalWithoutLoan(s, 'settlement')}, settlement AS (
        INSERT INTO ${s}.colending_settlement (id, partner_code, number, currency, through_date, business_date, collections, adjustments, amount, journal_id, created_by, created_at)
        SELECT $10::uuid, $11, $12, $2, $13::date, $3::date, $14::numeric, $15::numeric, $8::numeric, id, $5, $6::timestamptz FROM journal
        RETURNING id
      )
      INSERT INTO ${s}.colending_settlement_line (journal_id, line, settlement_id, loan_id, value_date, amount, adjustment)
      SELECT (e->>'journalId')::uuid, (e->>'line')::int, (SELECT id FROM settlement), (e->>'loanId')::uuid, (e->>'valueDate')::date, (e->>'amount')::numeric, (e->>'adjustment')::boolean
        FROM jsonb_array_elements($16::jsonb) e
      RETURNING 1`,
    [journalId, currency, businessDate, `Settlement ${number} to co-lender ${partnerCode} through ${through}`, by, now.toISOString(), ledger.payable, amount, ledger.cash,
      id, partnerCode, number, through, figures.collections.toFixed(), figures.adjustments.toFixed(),
      JSON.stringify(figures.lines.map((l, k) => ({ journalId: lines[k]!.journal_id, line: lines[k]!.line, loanId: l.loanId, valueDate: l.valueDate, amount: l.amount.toFixed(), adjustment: l.adjustment })))]);
    made.push({ id, partnerCode, number, currency, through, amount: figures.amount, collections: figures.collections, adjustments: figures.adjustments });
  }
  return made;
}

function announced(s: SettlementMade): EventDraft & { partnerScope: string } {
  return {
    type: 'coLendingSettlement.posted', aggregateType: 'CoLendingSettlement', aggregateId: s.id, partnerScope: s.partnerCode,
    payload: {
      settlementId: s.id, partnerCode: s.partnerCode, number: s.number, through: s.through,
      amount: { amount: s.amount, currency: s.currency }, collections: { amount: s.collections, currency: s.currency }, adjustments: { amount: s.adjustments, currency: s.currency },
    },
  };
}

/** End of day: every partner settled T+N (its lag) as of the run's date; returns how many settlements were made. */
export async function settleCoLenders(sql: PoolSql, c: Pick<StepContext, 'tenant' | 'businessDate' | 'now'>): Promise<number> {
  const { rows: partners } = await sql.query<{ partner_code: string; lag: number }>((s) => `SELECT partner_code, settlement_lag_days AS lag FROM ${s}.colending_partner_ledger ORDER BY partner_code`);
  const made: SettlementMade[] = [];
  for (const p of partners) made.push(...await settlePartner(rowsOfPool(sql), p.partner_code, addDays(c.businessDate, -p.lag), c.businessDate, c.now, SYSTEM_ACTORS.endOfDay));
  if (made.length > 0) await writeEvents(sql, c.tenant.slug, c.now.toISOString(), made.map(announced));
  return made.length;
}

/** Finance settles a partner by hand through a date (the business date at most); nothing when nothing is owed. */
export function settleCoLender(db: TenantDb, command: CommandContext, businessDate: string, input: { partnerCode: string; through: string }) {
  if (!isBusinessDate(input.through)) throw new InvalidField('through', 'through must be a business date (YYYY-MM-DD)');
  assertNotAfterBusinessDate(input.through, businessDate, 'through');
  return runCommand(db, { ...command, action: 'coLending.settle' }, async (tx) => {
    if (!await tx.coLendingPartnerLedger.findUnique({ where: { partnerCode: input.partnerCode } })) throw noSuchCode('partnerCode', 'no co-lending partner with an arrangement approved under that code');
    const made = await settlePartner(rowsOfTx(tx, schemaForSlug(command.tenant)), input.partnerCode, input.through, businessDate, command.now, command.actor.subject);
    const settlements = made.length === 0 ? [] : await tx.coLendingSettlement.findMany({ where: { id: { in: made.map((m) => m.id) } }, orderBy: { number: 'asc' } });
    return {
      result: settlements,
      audit: { entityType: 'CoLendingSettlement', entityId: input.partnerCode, after: { through: input.through, settlements: made.map((m) => ({ number: m.number, currency: m.currency, amount: m.amount.toFixed() })) } },
      events: made.map(announced),
      replay: { settlementIds: settlements.map((settlement) => settlement.id) },
    };
  }, async (stored, tx) => {
    const ids = stored['settlementIds'] as string[];
    const rows = await tx.coLendingSettlement.findMany({ where: { id: { in: ids } } });
    return ids.map((id) => rows.find((r) => r.id === id)!);
  });
}

export interface SettlementAccounts {
  partnerCode: string;
  settlementLagDays: number;
  escrowAccount: string | null;
  beneficiaryName: string | null;
  beneficiaryAccount: string | null;
  beneficiaryBankCode: string | null;
}

const ACCOUNT = /^[A-Za-z0-9-]{4,34}$/;
const maskedAccount = (account: string) => `${'•'.repeat(Math.max(account.length - 4, 0))}${account.slice(-4)}`;

/** How the lender settles with a partner: T+N, and the accounts its escrow transfer instructions name (the partner's sealed). */
export function setCoLenderSettlement(db: TenantDb, dataKey: DataKey, command: CommandContext, input: SettlementAccounts) {
  if (!Number.isInteger(input.settlementLagDays) || input.settlementLagDays < 0 || input.settlementLagDays > 30) {
    throw new InvalidField('settlementLagDays', 'settlementLagDays must be a whole number of days from 0 to 30');
  }
  for (const field of ['escrowAccount', 'beneficiaryAccount'] as const) {
    const value = input[field];
    if (value !== null && !ACCOUNT.test(value)) throw new InvalidField(field, `${field} must be 4–34 letters, digits or hyphens`);
  }
  if (input.beneficiaryBankCode !== null && !/^[A-Za-z0-9]{4,15}$/.test(input.beneficiaryBankCode)) throw new InvalidField('beneficiaryBankCode', 'beneficiaryBankCode must be 4–15 letters or digits');
  if (input.beneficiaryName !== null && (input.beneficiaryName.trim().length < 1 || input.beneficiaryName.length > 140)) throw new InvalidField('beneficiaryName', 'beneficiaryName must be 1–140 characters');
  return runCommand(db, { ...command, action: 'coLending.setSettlement' }, async (tx) => {
    const ledger = await tx.coLendingPartnerLedger.findUnique({ where: { partnerCode: input.partnerCode } });
    if (!ledger) throw noSuchCode('partnerCode', 'no co-lending partner with an arrangement approved under that code');
    const updated = await tx.coLendingPartnerLedger.update({
      where: { partnerCode: input.partnerCode },
      data: {
        settlementLagDays: input.settlementLagDays, escrowAccount: input.escrowAccount, beneficiaryName: input.beneficiaryName?.trim() ?? null,
        beneficiaryAccountSealed: input.beneficiaryAccount === null ? null : sealSecret(dataKey, input.beneficiaryAccount),
        beneficiaryAccountMasked: input.beneficiaryAccount === null ? null : maskedAccount(input.beneficiaryAccount),
        beneficiaryBankCode: input.beneficiaryBankCode, settlementChangedBy: command.actor.subject, settlementChangedAt: command.now,
      },
    });
    const shown = {
      partnerCode: input.partnerCode, settlementLagDays: input.settlementLagDays, escrowAccount: input.escrowAccount,
      beneficiaryName: updated.beneficiaryName, beneficiaryAccount: updated.beneficiaryAccountMasked, beneficiaryBankCode: input.beneficiaryBankCode,
    };
    return { result: updated, audit: { entityType: 'CoLendingPartnerLedger', entityId: input.partnerCode, after: shown }, events: [] };
  });
}
