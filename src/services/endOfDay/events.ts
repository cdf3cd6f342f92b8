// What end of day changed, told in a few events rather than one per loan (DESIGN.md, "End of day"): for the run's
// business date, one `tenant.businessDateAdvanced` (every partner may know the lender's date), one staff-only
// `tenant.endOfDayCompleted` with the counts of the whole book, and the per-loan changes coalesced into batches
// of up to 500 loans per partner — the origination partner that brought them, or a co-lending partner with a share
// of them (a shared loan is in each of its partners' batches) — and one set for the lender's own loans:
// `loan.instalmentsFellDue` and `loan.delinquencyChanged`. A partner's batches list only its own loans, so the
// outbox's partner scope keeps doing what it does for every other loan event. A million loans moving is ~2,000 events a type, one statement
// a type, and one wake-up for the settler.
//
// The events are written as runCommand writes them (same columns, the API's form: global ids, the type's schema
// version), the batches built in SQL to the shape the catalogue documents (test/services/endOfDay/
// endOfDayEvents.test.ts runs every stored payload back through `writtenEvent`). The step is `once`: its events
// commit with its record, so a run resumed after a crash writes them exactly once.
import { randomUUID } from 'node:crypto';
import { EVENT_CATALOGUE, EVERY_PARTNER, writtenEvent } from '../../events/catalogue.js';
import { COMMIT_CHANNEL } from '../../events/outboxFeed.js';
import { addDays } from '../../domain/calendar.js';
import type { PoolSql } from '../../tenancy/tenantSql.js';
import type { EndOfDayStep, StepContext } from './run.js';

/** Loans per batch event: a payload of ~60 KB, far below what a webhook receiver or a subscriber chokes on. */
export const LOANS_PER_EVENT = 500;

/**
 * The batch types and where their loans come from: `loans` selects (loan_id, partner, item) for the date ($1),
 * `item` being one entry of the payload's `loans` in the API's form.
 */
const BATCHES = [
  {
    type: 'loan.instalmentsFellDue', aggregateType: 'Loan',
    // The set-based step marks a loan whose instalment fell due with last_due_date = the date; a replay sets it too.
    loans: (s: string) => `
      SELECT l.id AS loan_id, who.partner,
             json_build_object('loan', ${loanGlobalId('l.id')}, 'daysPastDue', l.days_past_due) AS item
        FROM ${s}.loan l CROSS JOIN LATERAL ${partnersOf(s, 'l')} who
       WHERE l.last_due_date = $1::date AND l.status IN ('active', 'overdue')`,
  },
  {
    type: 'loan.delinquencyChanged', aggregateType: 'Loan',
    // What the classify step recorded for the date.
    loans: (s: string) => `
      SELECT c.loan_id, who.partner,
             json_build_object('loan', ${loanGlobalId('c.loan_id')}, 'daysPastDue', c.days_past_due,
                               'bucketBefore', c.bucket_before, 'bucketAfter', c.bucket_after,
                               'classBefore', c.class_before, 'classAfter', c.class_after) AS item
        FROM ${s}.loan_delinquency_change c
        JOIN ${s}.loan l ON l.id = c.loan_id
       CROSS JOIN LATERAL ${partnersOf(s, 'l')} who
       WHERE c.business_date = $1::date`,
  },
] as const;

/**
 * A loan's partners as rows of `partner`: the origination partner that brought it (null for the lender's own, which
 * makes the lender's batch) and each co-lending partner holding a share of it (not one bought back under the guarantee).
 */
function partnersOf(s: string, loan: string): string {
  return `(SELECT ${loan}.origination_partner AS partner UNION ALL SELECT p.partner_code FROM ${s}.loan_participation p WHERE p.loan_id = ${loan}.id AND p.until_date IS NULL)`;
}

/** A loan's global id as globalIdOf writes it (base64 of "Loan:<uuid>", 56 characters: no line breaks). */
function loanGlobalId(column: string): string {
  return `encode(convert_to('Loan:' || ${column}::text, 'UTF8'), 'base64')`;
}

interface Counts {
  fellDue: number;
  becameOverdue: number;
  changedBucket: number;
  changedClass: number;
}

async function countChanges(sql: PoolSql, businessDate: string): Promise<Counts> {
  const { rows } = await sql.query<{ fell_due: number; became_overdue: number; changed_bucket: number; changed_class: number }>((s) => `
    SELECT (SELECT count(*)::int FROM ${s}.loan WHERE last_due_date = $1::date AND status IN ('active', 'overdue')) AS fell_due,
           -- Overdue since today: the oldest unpaid instalment fell due yesterday (RBI's count: 1 day past due).
           (SELECT count(*)::int FROM ${s}.loan WHERE status = 'overdue' AND oldest_due_date = $1::date - 1) AS became_overdue,
           (SELECT count(*)::int FROM ${s}.loan_delinquency_change WHERE business_date = $1::date AND bucket_before IS DISTINCT FROM bucket_after) AS changed_bucket,
           (SELECT count(*)::int FROM ${s}.loan_delinquency_change WHERE business_date = $1::date AND class_before IS DISTINCT FROM class_after) AS changed_class`,
  [businessDate]);
  const row = rows[0]!;
  return { fellDue: row.fell_due, becameOverdue: row.became_overdue, changedBucket: row.changed_bucket, changedClass: row.changed_class };
}

/** Writes every batch of one type for the date, in one statement; returns how many events. */
async function writeBatches(sql: PoolSql, batch: (typeof BATCHES)[number], tenant: string, businessDate: string, occurredAt: string): Promise<number> {
  const spec = EVENT_CATALOGUE[batch.type]!;
  const { rows } = await sql.query<{ events: number }>((s) => `
    WITH changed AS (${batch.loans(s)}
    ), numbered AS (
      SELECT partner, item, (row_number() OVER (PARTITION BY partner ORDER BY loan_id) - 1) / $2 AS chunk, loan_id
        FROM changed
    ), batches AS (
      SELECT gen_random_uuid() AS id, partner, chunk, json_agg(item ORDER BY loan_id) AS loans
        FROM numbered GROUP BY partner, chunk
    ), written AS (
      INSERT INTO ${s}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, schema_version, payload)
      SELECT id, $3, $4, id::text, $5, partner, $6::timestamptz, $7, json_build_object('businessDate', $1::date, 'loans', loans)::jsonb
        FROM batches ORDER BY partner NULLS FIRST, chunk
      RETURNING 1
    )
    SELECT count(*)::int AS events FROM written`,
  [businessDate, LOANS_PER_EVENT, batch.type, batch.aggregateType, tenant, occurredAt, spec.schemaVersion]);
  return rows[0]!.events;
}

/** An event end of day writes; a batch's id is its aggregate id too. */
export interface EventDraft {
  id?: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  partnerScope: string | null;
  payload: Record<string, unknown>;
}

/** Writes events drafted by end of day's steps through the catalogue, as runCommand does. */
export async function writeEvents(sql: PoolSql, tenant: string, occurredAt: string, drafts: EventDraft[]): Promise<void> {
  const events = drafts.map((draft) => {
    const written = writtenEvent(draft.type, draft.aggregateType, draft.aggregateId, draft.payload);
    return { id: draft.id ?? randomUUID(), type: draft.type, aggregateType: draft.aggregateType, aggregateId: written.aggregateId, partnerScope: draft.partnerScope, schemaVersion: written.schemaVersion, payload: written.payload };
  });
  await sql.query((s) => `
    INSERT INTO ${s}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, schema_version, payload)
    SELECT (e->>'id')::uuid, e->>'type', e->>'aggregateType', e->>'aggregateId', $1, e->>'partnerScope', $2::timestamptz, (e->>'schemaVersion')::int, e->'payload'
      FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS drafts(e, n) ORDER BY n`,
  [tenant, occurredAt, JSON.stringify(events)]);
}

/** The events of one end-of-day date, in the step's transaction; returns how many were written. */
export async function writeEndOfDayEvents(sql: PoolSql, context: Pick<StepContext, 'tenant' | 'businessDate' | 'now'>): Promise<number> {
  const { tenant, businessDate } = context;
  const occurredAt = context.now.toISOString();
  const { rows: runs } = await sql.query<{ previous: string }>((s) => `SELECT previous_date::text AS previous FROM ${s}.end_of_day_run WHERE business_date = $1::date`, [businessDate]);
  const previousDate = runs[0]?.previous ?? addDays(businessDate, -1);
  const counts = await countChanges(sql, businessDate);

  // The date first: partners following the stream learn the date moved before the changes it brought.
  await writeEvents(sql, tenant.slug, occurredAt, [
    { type: 'tenant.businessDateAdvanced', aggregateType: 'Tenant', aggregateId: tenant.id, partnerScope: EVERY_PARTNER, payload: { previousDate, businessDate } },
  ]);
  let written = 1;
  for (const batch of BATCHES) written += await writeBatches(sql, batch, tenant.slug, businessDate, occurredAt);
  await writeEvents(sql, tenant.slug, occurredAt, [
    {
      type: 'tenant.endOfDayCompleted', aggregateType: 'Tenant', aggregateId: tenant.id, partnerScope: null, payload: {
        previousDate, businessDate, loansFellDue: counts.fellDue, loansBecameOverdue: counts.becameOverdue,
        loansChangedBucket: counts.changedBucket, loansChangedClass: counts.changedClass,
      },
    },
  ]);
  written += 1;
  // One wake-up for the whole step, delivered only if it commits: any process's settler numbers the events.
  await sql.query(() => 'SELECT pg_notify($1, $2)', [COMMIT_CHANNEL, tenant.schemaName]);
  return written;
}

/** The step of the run (after 'summary'): the events of the date, committed with the step's record. */
export const endOfDayEventsStep: EndOfDayStep = {
  name: 'events', kind: 'once',
  run: (sql, context) => writeEndOfDayEvents(sql, context),
};
