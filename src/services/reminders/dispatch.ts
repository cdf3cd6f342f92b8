// Sends the messages end of day made, when each is due (docs/reminders.md). The platform's message_schedule says
// which tenants have a message due; a tenant is worked by one dispatcher at a time (its row locked, others skip
// it). Each message is looked at again as it goes: a loan no longer behind or closed, or a borrower who opted out
// since, suppresses it; the borrower's quiet hours now (their time zone, else the lender's) put it off; otherwise
// the provider sends it. A message the provider refuses is tried again after 1, 2, 4 and 8 minutes; the fifth refusal
// fails it. Every outcome is a command: audited, announced (`loanMessage.dispatched`, `.suppressed`, `.failed`).
// A tenant whose turn fails (its database, not a provider) is logged and tried again a minute later; the others go on.
import type pg from 'pg';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';
import { DEFAULT_QUIET_HOURS, sendableAt, type ReminderChannel } from '../../domain/servicing/reminders.js';
import type { Logger } from '../../log.js';
import { PLATFORM_SCHEMA, quoteIdent } from '../../tenancy/schemaNames.js';
import type { Databases } from '../../tenancy/placement.js';
import type { TenantClients } from '../../tenancy/tenantClients.js';
import { poolSql, withTenantSql } from '../../tenancy/tenantSql.js';
import type { NotificationProvider } from './notificationProvider.js';

export const MAX_SEND_ATTEMPTS = 5;
const PER_TURN = 200;

export interface DispatchDeps {
  /** The schedule is on the platform's database; each tenant's messages on the database it is placed on. */
  databases: Databases;
  tenantClients: TenantClients;
  log: Logger;
  provider: NotificationProvider;
}

export interface DispatchOutcome {
  sent: number;
  suppressed: number;
  failed: number;
  postponed: number;
}

interface DueMessage {
  id: string;
  loanId: string;
  trigger: string;
  days: number;
  dueDate: string;
  channel: ReminderChannel;
  destination: string | null;
  body: string;
  attempts: number;
  loanStatus: string;
  daysPastDue: number;
  email: string | null;
  phone: string | null;
  timeZone: string | null;
  optedOut: string[] | null;
}

/** When a tenant's next scheduled message is due, from its committed messages; null when none is scheduled. */
export async function nextScheduledMessage(pool: pg.Pool, schemaName: string): Promise<Date | null> {
  const { rows: [next] } = await poolSql(pool, schemaName).query<{ at: Date | null }>(
    (s) => `SELECT min(send_after) AS at FROM ${s}.loan_message WHERE status = 'scheduled'`);
  return next?.at ?? null;
}

/** Works every tenant with a message due at `now`; returns what became of them. */
export async function dispatchDueMessages(deps: DispatchDeps, now: Date): Promise<DispatchOutcome> {
  const total: DispatchOutcome = { sent: 0, suppressed: 0, failed: 0, postponed: 0 };
  const platform = quoteIdent(PLATFORM_SCHEMA);
  const seen = new Set<string>();
  // One tenant a turn, its schedule row locked in a transaction of its own (other replicas skip it).
  const turn = () => withTenantSql(deps.databases.main.pool, PLATFORM_SCHEMA, async (client) => {
    const { rows } = await client.query<{ id: string; slug: string; schemaName: string; timeZone: string; database: string }>(`
      SELECT t.id::text, t.slug, t.schema_name AS "schemaName", t.time_zone AS "timeZone", t.database
        FROM ${platform}.message_schedule s JOIN ${platform}.tenant t ON t.id = s.tenant_id
       WHERE s.next_at <= $1 AND t.status = 'active' AND NOT (t.id = ANY($2::uuid[]))
       ORDER BY s.next_at LIMIT 1 FOR UPDATE OF s SKIP LOCKED`, [now.toISOString(), [...seen]]);
    const tenant = rows[0];
    if (!tenant) return false;
    seen.add(tenant.id);
    try {
      const outcome = await dispatchTenant(deps, tenant, now);
      for (const key of Object.keys(total) as (keyof DispatchOutcome)[]) total[key] += outcome[key];
      // The next time this tenant has something to send, or nothing.
      const next = await nextScheduledMessage(deps.databases.poolFor(tenant), tenant.schemaName);
      if (next === null) await client.query(`DELETE FROM ${platform}.message_schedule WHERE tenant_id = $1`, [tenant.id]);
      else await client.query(`UPDATE ${platform}.message_schedule SET next_at = $2 WHERE tenant_id = $1`, [tenant.id, next]);
    } catch (error) {
      deps.log.warn({ tenant: tenant.slug, err: { message: (error as Error).message } }, 'message dispatch failed for a tenant');
      await client.query(`UPDATE ${platform}.message_schedule SET next_at = $2 WHERE tenant_id = $1`, [tenant.id, new Date(now.getTime() + 60_000).toISOString()]);
    }
    return true;
  });
  while (await turn()) {
    // the next tenant with a message due
  }
  return total;
}

async function dispatchTenant(deps: DispatchDeps, tenant: { slug: string; schemaName: string; timeZone: string; database: string }, now: Date): Promise<DispatchOutcome> {
  const outcome: DispatchOutcome = { sent: 0, suppressed: 0, failed: 0, postponed: 0 };
  const sql = poolSql(deps.databases.poolFor(tenant), tenant.schemaName);
  const { rows: settings } = await sql.query<{ from: number; to: number }>((s) => `SELECT quiet_from AS "from", quiet_to AS "to" FROM ${s}.reminder_settings`);
  const quiet = settings[0] ?? DEFAULT_QUIET_HOURS;
  const { rows: due } = await sql.query<DueMessage>((s) => `
    SELECT m.id::text, m.loan_id::text AS "loanId", m.trigger, m.days, m.due_date::text AS "dueDate", m.channel, m.destination, m.body, m.attempts,
           l.status AS "loanStatus", l.days_past_due AS "daysPastDue", p.email, p.phone, cp.time_zone AS "timeZone", cp.opted_out AS "optedOut"
      FROM ${s}.loan_message m JOIN ${s}.loan l ON l.id = m.loan_id
      LEFT JOIN ${s}.party p ON p.id = l.borrower_party_id
      LEFT JOIN ${s}.party_contact_preference cp ON cp.party_id = l.borrower_party_id
     WHERE m.status = 'scheduled' AND m.send_after <= $1 ORDER BY m.send_after, m.id LIMIT ${PER_TURN}`, [now.toISOString()]);
  const db = deps.tenantClients.forTenant(tenant);
  const command: CommandContext = { tenant: tenant.slug, now, actor: { subject: SYSTEM_ACTORS.messageDispatcher, roles: [], partner: null, clientId: null, requestId: `messages:${now.toISOString()}` } };
  for (const message of due) {
    const recipient = message.channel === 'email' ? message.email : message.phone;
    const stale = !['active', 'overdue'].includes(message.loanStatus) || (message.trigger === 'pastDue' && message.daysPastDue === 0);
    const reason = stale ? 'loanNotDue' : !recipient ? 'noContact' : (message.optedOut ?? []).includes(message.channel) ? 'optedOut' : null;
    if (reason) {
      await settle(db, command, message, { status: 'suppressed', reason });
      outcome.suppressed += 1;
      continue;
    }
    const when = sendableAt(now, message.timeZone ?? tenant.timeZone, quiet);
    if (when.getTime() > now.getTime()) {
      await sql.query((s) => `UPDATE ${s}.loan_message SET send_after = $2, updated_at = $3 WHERE id = $1 AND status = 'scheduled'`, [message.id, when.toISOString(), now.toISOString()]);
      outcome.postponed += 1;
      continue;
    }
    let reference: string | null = null;
    try {
      ({ reference } = await deps.provider.send(tenant.schemaName, { id: message.id, channel: message.channel, recipient: recipient!, body: message.body }, now));
    } catch (error) {
      deps.log.warn({ tenant: tenant.slug, message: message.id, provider: deps.provider.name, err: { message: (error as Error).message } }, 'message not sent');
    }
    // Sent: recorded outside the provider's refusal handling, so a failure to record it is never taken for a refusal
    // (the message stays scheduled and goes again: at least once).
    if (reference !== null) {
      await settle(db, command, message, { status: 'sent', reference, provider: deps.provider.name });
      outcome.sent += 1;
    } else {
      if (message.attempts + 1 >= MAX_SEND_ATTEMPTS) {
        await settle(db, command, message, { status: 'failed', reason: 'providerFailed' });
        outcome.failed += 1;
      } else {
        const retry = new Date(now.getTime() + 60_000 * 2 ** message.attempts);
        await sql.query((s) => `UPDATE ${s}.loan_message SET attempts = attempts + 1, send_after = $2, updated_at = $3 WHERE id = $1 AND status = 'scheduled'`, [message.id, retry.toISOString(), now.toISOString()]);
        outcome.postponed += 1;
      }
    }
  }
  return outcome;
}

type Settled = { status: 'sent'; reference: string; provider: string } | { status: 'suppressed' | 'failed'; reason: string };

/** Writes what became of a message, with its audit record and event, if it is still scheduled. */
async function settle(db: ReturnType<TenantClients['forSchema']>, command: CommandContext, message: DueMessage, settled: Settled): Promise<void> {
  const type = settled.status === 'sent' ? 'loanMessage.dispatched' : `loanMessage.${settled.status}`;
  await runCommand(db, { ...command, action: type }, async (tx) => {
    const sent = settled.status === 'sent';
    const changed = await tx.loanMessage.updateMany({
      where: { id: message.id, status: 'scheduled' },
      data: {
        status: settled.status, reason: sent ? null : settled.reason, attempts: { increment: settled.status === 'suppressed' ? 0 : 1 },
        provider: sent ? settled.provider : null, providerReference: sent ? settled.reference : null, sentAt: sent ? command.now : null, updatedAt: command.now,
      },
    });
    if (changed.count === 0) return { result: null, audit: [], events: [] };
    return {
      result: null,
      audit: { entityType: 'LoanMessage', entityId: message.id, after: { status: settled.status, ...(sent ? { providerReference: settled.reference } : { reason: settled.reason }) } },
      events: [{
        type, aggregateType: 'LoanMessage', aggregateId: message.id,
        payload: {
          loan: message.loanId, trigger: message.trigger === 'pastDue' ? 'PAST_DUE' : 'BEFORE_DUE', days: message.days, dueDate: message.dueDate,
          channel: message.channel.toUpperCase(), destination: message.destination, ...(sent ? { providerReference: settled.reference } : { reason: settled.reason }),
        },
      }],
    };
  });
}

/** Runs the dispatcher every `seconds` in a process that works jobs; one turn at a time. */
export class MessageDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly deps: DispatchDeps, private readonly seconds: number, private readonly now: () => Date) {}

  start(): void {
    if (this.seconds <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = dispatchDueMessages(this.deps, this.now())
        .catch((error: unknown) => this.deps.log.warn({ err: { message: (error as Error).message } }, 'message dispatch failed'))
        .finally(() => { this.running = null; });
    }, this.seconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
