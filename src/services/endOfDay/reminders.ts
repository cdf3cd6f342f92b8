// End of day's reminders step (after collections): for each reminder rule, the loans it speaks to on the business
// date — an instalment falling due in so many days (0: today), or so many days past due — each get one message,
// rendered from the rule's template. A message waits out the borrower's quiet hours (sent by the dispatcher,
// src/services/reminders/dispatch.ts); one for a channel the borrower opted out of, or has no address on, is kept as
// suppressed. One message per loan, trigger, days, channel and due date, so a run resumed writes none twice; the
// tenant's next send time goes to the platform's message_schedule in the same transaction.
import { randomUUID } from 'node:crypto';
import { formatMoney, Decimal } from '../../domain/money.js';
import { formatNumber } from '../../domain/referenceNumbers.js';
import {
  DEFAULT_QUIET_HOURS, maskDestination, renderTemplate, sendableAt, type ReminderChannel, type ReminderTrigger,
} from '../../domain/servicing/reminders.js';
import { PLATFORM_SCHEMA, quoteIdent } from '../../tenancy/schemaNames.js';
import { MAIN_DATABASE } from '../../tenancy/placement.js';
import type { PoolSql } from '../../tenancy/tenantSql.js';
import type { TenantRecord } from '../../tenancy/registry.js';
import { writeEvents, type EventDraft } from './events.js';
import type { StepContext } from './run.js';
import { nextScheduledMessage } from '../reminders/dispatch.js';

interface RuleRow {
  id: string;
  productId: string | null;
  trigger: ReminderTrigger;
  days: number;
  channel: ReminderChannel;
  template: string;
}

interface Target {
  loanId: string;
  number: number;
  currency: string;
  dueDate: string;
  amount: string | null;
  daysPastDue: number;
  legalName: string | null;
  email: string | null;
  phone: string | null;
  timeZone: string | null;
  optedOut: string[] | null;
}

/** What each trigger selects: the loans, their due date and (before due) the amount. $1 the date, $2 the days, $3 the product or null. */
const TARGETS: Record<ReminderTrigger | 'onDueDate', (s: string) => string> = {
  // The upcoming arrays run from the last replay; next_instalment points at the one due next within them.
  beforeDue: (s) => `l.status IN ('active', 'overdue') AND l.next_due_date = $1::date + $2::int AND l.upcoming_owing[l.next_instalment] > 0`,
  onDueDate: (s) => `l.status IN ('active', 'overdue') AND l.last_due_date = $1::date AND l.last_due_owing > 0 AND $2::int = 0`,
  // Days past due at N are N − the oldest unpaid due date: found through that date's index.
  pastDue: (s) => `l.status = 'overdue' AND l.oldest_due_date = $1::date - $2::int`,
};

const COLUMNS: Record<ReminderTrigger | 'onDueDate', string> = {
  beforeDue: `l.next_due_date::text AS "dueDate", l.upcoming_owing[l.next_instalment]::text AS amount`,
  onDueDate: `l.last_due_date::text AS "dueDate", l.last_due_owing::text AS amount`,
  pastDue: `l.oldest_due_date::text AS "dueDate", NULL AS amount`,
};

/** The step: returns how many messages it made. */
export async function makeReminders(sql: PoolSql, context: Pick<StepContext, 'tenant' | 'businessDate' | 'now' | 'rt'>): Promise<number> {
  const { tenant, businessDate, now } = context;
  const { rows: rules } = await sql.query<RuleRow>((s) => `
    SELECT id::text, product_id::text AS "productId", trigger, days, channel, template FROM ${s}.reminder_rule ORDER BY product_id IS NULL, position`);
  if (rules.length === 0) return 0;
  const { rows: settings } = await sql.query<{ from: number; to: number }>((s) => `SELECT quiet_from AS "from", quiet_to AS "to" FROM ${s}.reminder_settings`);
  const quiet = settings[0] ?? DEFAULT_QUIET_HOURS;
  // A product's own rule comes before an every-product rule with the same trigger, days and channel: its loan gets
  // the product's message, not both (one message per loan, trigger, days, channel and due date).
  const messages: Record<string, unknown>[] = [];
  const made = new Set<string>();
  for (const rule of rules) {
    const shape = rule.trigger === 'beforeDue' && rule.days === 0 ? 'onDueDate' : rule.trigger;
    const { rows: targets } = await sql.query<Target>((s) => `
      SELECT l.id::text AS "loanId", l.number, l.currency, ${COLUMNS[shape]}, l.days_past_due AS "daysPastDue",
             p.legal_name AS "legalName", p.email, p.phone, cp.time_zone AS "timeZone", cp.opted_out AS "optedOut"
        FROM ${s}.loan l
        LEFT JOIN ${s}.party p ON p.id = l.borrower_party_id
        LEFT JOIN ${s}.party_contact_preference cp ON cp.party_id = l.borrower_party_id
       WHERE ${TARGETS[shape](s)} AND ($3::uuid IS NULL OR l.product_id = $3::uuid)
       ORDER BY l.id`, [businessDate, rule.days, rule.productId]);
    for (const target of targets) {
      const once = JSON.stringify([target.loanId, rule.trigger, rule.days, rule.channel, target.dueDate]);
      if (made.has(once)) continue;
      made.add(once);
      const address = rule.channel === 'email' ? target.email : target.phone;
      const body = renderTemplate(rule.template, {
        borrowerName: target.legalName ?? '', lenderName: tenant.displayName, loanNumber: formatNumber('loan', target.number),
        dueDate: target.dueDate, daysPastDue: String(target.daysPastDue),
        amountDue: target.amount === null ? '' : formatMoney({ amount: new Decimal(target.amount), currency: target.currency }),
      });
      const suppressed = !address ? 'noContact' : (target.optedOut ?? []).includes(rule.channel) ? 'optedOut' : null;
      messages.push({
        id: randomUUID(), loanId: target.loanId, ruleId: rule.id, trigger: rule.trigger, days: rule.days, dueDate: target.dueDate, channel: rule.channel,
        destination: address ? maskDestination(rule.channel, address) : null, body, status: suppressed ? 'suppressed' : 'scheduled', reason: suppressed,
        sendAfter: (suppressed ? now : sendableAt(now, target.timeZone ?? tenant.timeZone, quiet)).toISOString(),
      });
    }
  }
  if (messages.length === 0) return 0;
  const { rows: written } = await sql.query<{ id: string; loanId: string; trigger: string; days: number; dueDate: string; channel: string; destination: string | null; status: string; reason: string | null; sendAfter: Date }>((s) => `
    INSERT INTO ${s}.loan_message (id, loan_id, rule_id, trigger, days, due_date, business_date, channel, destination, body, status, reason, send_after, created_at, updated_at)
    SELECT m.id, m."loanId", m."ruleId", m.trigger, m.days, m."dueDate", $2::date, m.channel, m.destination, m.body, m.status, m.reason, m."sendAfter", $3::timestamptz, $3::timestamptz
      FROM jsonb_to_recordset($1::jsonb) AS m(id uuid, "loanId" uuid, "ruleId" uuid, trigger text, days int, "dueDate" date, channel text, destination text, body text,
                                              status text, reason text, "sendAfter" timestamptz)
    ON CONFLICT DO NOTHING
    RETURNING id::text, loan_id::text AS "loanId", trigger, days, due_date::text AS "dueDate", channel, destination, status, reason, send_after AS "sendAfter"`,
  [JSON.stringify(messages), businessDate, now.toISOString()]);
  // Each suppressed message is announced now; a scheduled one when the dispatcher sends it (or gives up).
  const events: EventDraft[] = written.filter((m) => m.status === 'suppressed').map((m) => ({
    type: 'loanMessage.suppressed', aggregateType: 'LoanMessage', aggregateId: m.id, partnerScope: null,
    payload: { loan: m.loanId, trigger: m.trigger === 'pastDue' ? 'PAST_DUE' : 'BEFORE_DUE', days: m.days, dueDate: m.dueDate, channel: m.channel.toUpperCase(), destination: m.destination, reason: m.reason },
  }));
  if (events.length > 0) await writeEvents(sql, tenant.slug, now.toISOString(), events);
  let next: number | null = null;
  for (const m of written) if (m.status === 'scheduled') next = Math.min(next ?? Infinity, new Date(m.sendAfter).getTime());
  if (next !== null) {
    const values = [tenant.id, new Date(next).toISOString()];
    // With the messages, in their transaction. For a tenant on another database than the registry's, before that
    // transaction commits, and again once the run's steps are done (rescheduleMessages): a dispatcher turn in
    // between cannot see the messages yet and may clear the schedule.
    if (tenant.database === MAIN_DATABASE) await sql.query(() => SCHEDULE, values);
    else await context.rt.pool.query(SCHEDULE, values);
  }
  return written.length;
}

const SCHEDULE = `
  INSERT INTO ${quoteIdent(PLATFORM_SCHEMA)}.message_schedule (tenant_id, next_at) VALUES ($1, $2)
  ON CONFLICT (tenant_id) DO UPDATE SET next_at = LEAST(${quoteIdent(PLATFORM_SCHEMA)}.message_schedule.next_at, EXCLUDED.next_at)`;

/**
 * For a tenant on another database than the registry's: the message schedule as its committed messages say, once
 * the run's steps are done (a resumed run does it again).
 */
export async function rescheduleMessages(rt: Pick<StepContext['rt'], 'pool' | 'tenantPool'>, tenant: TenantRecord): Promise<void> {
  const next = await nextScheduledMessage(rt.tenantPool(tenant), tenant.schemaName);
  if (next) await rt.pool.query(SCHEDULE, [tenant.id, next.toISOString()]);
}
