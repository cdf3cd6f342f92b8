// End of day's collections step (after the loans are bucketed and classified, before the day's events): judges
// the promises to pay from the payments that arrived, escalates a case for each broken one, closes the cases of
// loans cured or closed, opens a case on every loan whose days past due reached its rule's threshold, and hands
// unassigned cases, and cases rolled into a bucket other collectors work, to collectors in turn. What each decides
// is the domain's (src/domain/servicing/collections.ts); this reads the rows it needs and writes what changed,
// with a timeline entry for every change and the batched events, in the step's one transaction.
import { randomUUID } from 'node:crypto';
import { Decimal } from '../../domain/money.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';
import {
  assignInTurn, caseMove, collectorsFor, DEFAULT_OPEN_AT_DAYS, handsOn, judgePromise, type CollectorGroup,
} from '../../domain/servicing/collections.js';
import type { PoolSql } from '../../tenancy/tenantSql.js';
import { writeEvents, type EventDraft } from './events.js';
import type { StepContext } from './run.js';

/** Cases per batched event. */
const CASES_PER_EVENT = 500;

interface Rule {
  id: string;
  openAtDays: number;
  collectors: CollectorGroup[];
}

export interface CollectionsOutcome {
  opened: number;
  closed: number;
  assigned: number;
  promisesKept: number;
  promisesBroken: number;
}

interface Entry {
  caseId: string;
  kind: string;
  details: Record<string, unknown>;
}

/** The rules by product, and the default for products without one. */
async function rulesOf(sql: PoolSql): Promise<{ byProduct: Map<string, Rule>; fallback: Rule }> {
  const { rows } = await sql.query<{ id: string; productId: string | null; openAtDays: number; collectors: CollectorGroup[] }>((s) => `
    SELECT id::text, product_id::text AS "productId", open_at_days AS "openAtDays", collectors FROM ${s}.collection_rule`);
  const byProduct = new Map<string, Rule>();
  let fallback: Rule = { id: 'default', openAtDays: DEFAULT_OPEN_AT_DAYS, collectors: [] };
  for (const row of rows) {
    const rule = { id: row.id, openAtDays: row.openAtDays, collectors: row.collectors };
    if (row.productId === null) fallback = rule;
    else byProduct.set(row.productId, rule);
  }
  return { byProduct, fallback };
}

/** What one date's collections work shares: where it writes, the date, the instant, and the timeline so far. */
interface Day {
  sql: PoolSql;
  businessDate: string;
  at: string;
  entries: Entry[];
}

/** The run to the 1st closes the month's last day: every active loan's bucket then is the month's close. */
async function closeMonth({ sql, businessDate }: Day): Promise<void> {
  if (!businessDate.endsWith('-01')) return;
  await sql.query((s) => `
    INSERT INTO ${s}.loan_month_end_bucket (month_end, loan_id, bucket)
    SELECT $1::date - 1, id, delinquency_bucket FROM ${s}.loan WHERE status IN ('active', 'overdue') AND delinquency_bucket IS NOT NULL
    ON CONFLICT DO NOTHING`, [businessDate]);
}

/**
 * Judges each pending promise with what has arrived towards it (money in, valued from the day it was made to the
 * promised date, not reversed since); a broken one raises its case's escalation while the case is open.
 */
async function judgePromises(day: Day) {
  const { sql, businessDate, at, entries } = day;
  const { rows: pending } = await sql.query<{ id: string; caseId: string; loanId: string; amount: string; currency: string; promisedDate: string; tolerance: string; paid: string; caseOpen: boolean }>((s) => `
    SELECT p.id::text, p.case_id::text AS "caseId", p.loan_id::text AS "loanId", p.amount::text, p.currency, p.promised_date::text AS "promisedDate",
           l.tolerance::text, c.status = 'open' AS "caseOpen",
           coalesce((SELECT sum(t.amount) FROM ${s}.loan_transaction t
                      WHERE t.loan_id = p.loan_id AND t.kind IN ('repayment', 'prepayment', 'payoff')
                        AND t.value_date BETWEEN p.made_on AND p.promised_date
                        AND NOT EXISTS (SELECT 1 FROM ${s}.loan_transaction r WHERE r.reverses = t.id)), 0)::text AS paid
      FROM ${s}.promise_to_pay p JOIN ${s}.loan l ON l.id = p.loan_id JOIN ${s}.collection_case c ON c.id = p.case_id
     WHERE p.status = 'pending'
     ORDER BY p.id
       FOR UPDATE OF p`);
  const judged = pending.flatMap((promise) => {
    const outcome = judgePromise({ amount: new Decimal(promise.amount), promisedDate: promise.promisedDate }, new Decimal(promise.paid), new Decimal(promise.tolerance), businessDate);
    return outcome === 'pending' ? [] : [{ ...promise, outcome }];
  });
  if (judged.length > 0) {
    await sql.query((s) => `
      UPDATE ${s}.promise_to_pay p SET status = j.outcome, paid = j.paid, judged_on = $2::date
        FROM jsonb_to_recordset($1::jsonb) AS j(id uuid, outcome text, paid numeric) WHERE p.id = j.id AND p.status = 'pending'`,
    [JSON.stringify(judged.map((p) => ({ id: p.id, outcome: p.outcome, paid: p.paid }))), businessDate]);
  }
  // A broken promise raises its case's escalation, if the case is still open.
  const broken = judged.filter((p) => p.outcome === 'broken' && p.caseOpen).map((p) => p.caseId);
  const levels = new Map<string, number>();
  if (broken.length > 0) {
    const { rows } = await sql.query<{ id: string; level: number }>((s) => `
      UPDATE ${s}.collection_case SET escalation_level = escalation_level + 1, updated_at = $2::timestamptz
       WHERE id = ANY($1::uuid[]) RETURNING id::text, escalation_level AS level`, [broken, at]);
    for (const row of rows) levels.set(row.id, row.level);
  }
  for (const p of judged) {
    entries.push({ caseId: p.caseId, kind: p.outcome === 'kept' ? 'promiseKept' : 'promiseBroken', details: { promiseId: p.id, amount: p.amount, paid: p.paid, promisedDate: p.promisedDate } });
    if (levels.has(p.caseId)) entries.push({ caseId: p.caseId, kind: 'escalated', details: { level: levels.get(p.caseId), promiseId: p.id } });
  }

  return { judged, levels };
}

/** Closes the cases of loans cured or no longer worked, and opens one on each loan whose rule's threshold it reached. */
async function openAndCloseCases(day: Day, ruleOf: (productId: string) => Rule) {
  const { sql, businessDate, at, entries } = day;
  const { rows: open } = await sql.query<{ id: string; loanId: string; status: string; daysPastDue: number }>((s) => `
    SELECT c.id::text, c.loan_id::text AS "loanId", l.status, l.days_past_due AS "daysPastDue"
      FROM ${s}.collection_case c JOIN ${s}.loan l ON l.id = c.loan_id WHERE c.status = 'open' FOR UPDATE OF c`);
  const closing = open.flatMap((c) => {
    const move = caseMove(c, 0, true);
    return move && 'close' in move ? [{ id: c.id, loanId: c.loanId, reason: move.close }] : [];
  });
  if (closing.length > 0) {
    await sql.query((s) => `
      UPDATE ${s}.collection_case c SET status = 'closed', closed_on = $2::date, close_reason = j.reason, updated_at = $3::timestamptz
        FROM jsonb_to_recordset($1::jsonb) AS j(id uuid, reason text) WHERE c.id = j.id`, [JSON.stringify(closing), businessDate, at]);
    for (const c of closing) entries.push({ caseId: c.id, kind: 'closed', details: { reason: c.reason } });
  }
  const { rows: pastDue } = await sql.query<{ loanId: string; productId: string; status: string; daysPastDue: number; bucket: string | null }>((s) => `
    SELECT l.id::text AS "loanId", l.product_id::text AS "productId", l.status, l.days_past_due AS "daysPastDue", l.delinquency_bucket AS bucket
      FROM ${s}.loan l
     WHERE l.days_past_due > 0 AND l.status IN ('active', 'overdue')
       AND NOT EXISTS (SELECT 1 FROM ${s}.collection_case c WHERE c.loan_id = l.id AND c.status = 'open')
     ORDER BY l.id`);
  const opening = pastDue.filter((loan) => caseMove(loan, ruleOf(loan.productId).openAtDays, false) !== null).map((loan) => ({ id: randomUUID(), ...loan }));
  if (opening.length > 0) {
    await sql.query((s) => `
      INSERT INTO ${s}.collection_case (id, loan_id, status, opened_on, opened_days_past_due, opened_bucket, created_at, updated_at)
      SELECT j.id, j."loanId", 'open', $2::date, j."daysPastDue", j.bucket, $3::timestamptz, $3::timestamptz
        FROM jsonb_to_recordset($1::jsonb) AS j(id uuid, "loanId" uuid, "daysPastDue" int, bucket text)`, [JSON.stringify(opening), businessDate, at]);
    for (const c of opening) entries.push({ caseId: c.id, kind: 'opened', details: { daysPastDue: c.daysPastDue, bucket: c.bucket } });
  }

  return { closing, opening };
}

/**
 * Hands cases to collectors in turn: cases with nobody on them, cases whose loan is in another bucket than they
 * were assigned for, and cases whose collector may no longer work them (deactivated, or no longer in a
 * collections role).
 */
async function assignCases(day: Day, ruleOf: (productId: string) => Rule) {
  const { sql, businessDate, at, entries } = day;
  const COLLECTORS = (s: string) => `SELECT id FROM ${s}.staff_member WHERE status = 'active' AND roles && ARRAY['collections-agent', 'collections-supervisor']`;
  const { rows: toAssign } = await sql.query<{ id: string; loanId: string; productId: string; bucket: string | null; assignedTo: string | null }>((s) => `
    SELECT c.id::text, c.loan_id::text AS "loanId", l.product_id::text AS "productId", l.delinquency_bucket AS bucket, c.assigned_to::text AS "assignedTo"
      FROM ${s}.collection_case c JOIN ${s}.loan l ON l.id = c.loan_id
     WHERE c.status = 'open' AND (c.assigned_to IS NULL OR c.assigned_bucket IS DISTINCT FROM l.delinquency_bucket
                                  OR c.assigned_to NOT IN (${COLLECTORS(s)}))
     ORDER BY c.opened_on, c.id
       FOR UPDATE OF c`);
  const { rows: active } = await sql.query<{ id: string }>((s) => `SELECT id::text FROM (${COLLECTORS(s)}) collectors`);
  const activeIds = new Set(active.map((m) => m.id));
  // Cases by the group of collectors they go to, in the order found.
  const byPool = new Map<string, { collectors: string[]; cases: typeof toAssign }>();
  const bucketOnly: { id: string; bucket: string | null }[] = [];
  const released: { id: string; from: string; loanId: string; bucket: string | null }[] = [];
  for (const c of toAssign) {
    const rule = ruleOf(c.productId);
    const { pool, collectors } = collectorsFor(rule.collectors, c.bucket);
    const working = collectors.filter((id) => activeIds.has(id));
    // A collector who may no longer work the case gives it up, to the group in turn or else to nobody.
    const gone = c.assignedTo !== null && !activeIds.has(c.assignedTo);
    if (pool === null || working.length === 0 || !handsOn(gone ? null : c.assignedTo, working)) {
      if (gone) released.push({ id: c.id, from: c.assignedTo!, loanId: c.loanId, bucket: c.bucket });
      else if (c.assignedTo !== null) bucketOnly.push({ id: c.id, bucket: c.bucket });
      continue;
    }
    const key = `${rule.id}:${pool}`;
    const group = byPool.get(key) ?? { collectors: working, cases: [] };
    group.cases.push(c);
    byPool.set(key, group);
  }
  const assignments: { id: string; to: string; from: string | null; bucket: string | null; loanId: string }[] = [];
  for (const [pool, group] of byPool) {
    const { rows: turns } = await sql.query<{ next: number }>((s) => `
      INSERT INTO ${s}.collection_turn (pool, next) VALUES ($1, 0) ON CONFLICT (pool) DO UPDATE SET next = ${s}.collection_turn.next RETURNING next`, [pool]);
    const { assignees, next } = assignInTurn(group.cases.length, group.collectors, turns[0]!.next);
    await sql.query((s) => `UPDATE ${s}.collection_turn SET next = $2 WHERE pool = $1`, [pool, next]);
    group.cases.forEach((c, k) => assignments.push({ id: c.id, to: assignees[k]!, from: c.assignedTo, bucket: c.bucket, loanId: c.loanId }));
  }
  if (assignments.length > 0) {
    await sql.query((s) => `
      UPDATE ${s}.collection_case c SET assigned_to = j.to, assigned_bucket = j.bucket, assigned_on = $2::date, updated_at = $3::timestamptz
        FROM jsonb_to_recordset($1::jsonb) AS j(id uuid, "to" uuid, bucket text) WHERE c.id = j.id`, [JSON.stringify(assignments), businessDate, at]);
    for (const a of assignments) entries.push({ caseId: a.id, kind: 'assigned', details: { to: a.to, from: a.from, bucket: a.bucket } });
  }
  if (released.length > 0) {
    await sql.query((s) => `
      UPDATE ${s}.collection_case c SET assigned_to = NULL, assigned_bucket = NULL, assigned_on = NULL, updated_at = $2::timestamptz
        FROM jsonb_to_recordset($1::jsonb) AS j(id uuid) WHERE c.id = j.id`, [JSON.stringify(released), at]);
    for (const r of released) entries.push({ caseId: r.id, kind: 'assigned', details: { to: null, from: r.from, bucket: r.bucket } });
  }
  if (bucketOnly.length > 0) {
    await sql.query((s) => `
      UPDATE ${s}.collection_case c SET assigned_bucket = j.bucket FROM jsonb_to_recordset($1::jsonb) AS j(id uuid, bucket text) WHERE c.id = j.id`, [JSON.stringify(bucketOnly)]);
  }

  return { assignments, released };
}

/** The step: returns what it did. */
export async function workCollections(sql: PoolSql, context: Pick<StepContext, 'tenant' | 'businessDate' | 'now'>): Promise<CollectionsOutcome> {
  const { businessDate } = context;
  const at = context.now.toISOString();
  const day: Day = { sql, businessDate, at, entries: [] };
  const events: EventDraft[] = [];
  await closeMonth(day);
  const { judged, levels } = await judgePromises(day);
  const { byProduct, fallback } = await rulesOf(sql);
  const ruleOf = (productId: string) => byProduct.get(productId) ?? fallback;
  const { closing, opening } = await openAndCloseCases(day, ruleOf);
  const { assignments, released } = await assignCases(day, ruleOf);
  const { entries } = day;

  // The timeline, in the order things happened, and the day's events.
  if (entries.length > 0) {
    await sql.query((s) => `
      INSERT INTO ${s}.collection_case_entry (id, case_id, kind, business_date, at, by, details)
      SELECT gen_random_uuid(), (e->>'caseId')::uuid, e->>'kind', $2::date, $3::timestamptz, $4, e->'details'
        FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS entries(e, n) ORDER BY n`,
    [JSON.stringify(entries), businessDate, at, SYSTEM_ACTORS.endOfDay]);
  }
  const assignedTo = new Map(assignments.map((a) => [a.id, a.to]));
  const newly = new Set<string>(opening.map((c) => c.id));
  const batches = <T>(items: T[]) => Array.from({ length: Math.ceil(items.length / CASES_PER_EVENT) }, (_, k) => items.slice(k * CASES_PER_EVENT, (k + 1) * CASES_PER_EVENT));
  const batch = (type: string, payload: Record<string, unknown>): EventDraft => {
    const id = randomUUID();
    return { id, type, aggregateType: 'CollectionCase', aggregateId: id, partnerScope: null, payload: { businessDate, ...payload } };
  };
  for (const cases of batches(opening)) {
    events.push(batch('collectionCase.opened', { cases: cases.map((c) => ({ case: c.id, loan: c.loanId, daysPastDue: c.daysPastDue, bucket: c.bucket, assignedTo: assignedTo.get(c.id) ?? null })) }));
  }
  const handedOn = [...assignments.filter((a) => !newly.has(a.id)), ...released.map((r) => ({ ...r, to: null }))];
  for (const cases of batches(handedOn)) {
    events.push(batch('collectionCase.reassigned', { cases: cases.map((a) => ({ case: a.id, loan: a.loanId, bucket: a.bucket, assignedTo: a.to, previouslyAssignedTo: a.from })) }));
  }
  for (const cases of batches(closing)) {
    events.push(batch('collectionCase.closed', { cases: cases.map((c) => ({ case: c.id, loan: c.loanId, reason: c.reason === 'cured' ? 'CURED' : c.reason === 'writtenOff' ? 'WRITTEN_OFF' : 'LOAN_CLOSED' })) }));
  }
  for (const promises of batches(judged)) {
    events.push({
      ...batch('promiseToPay.judged', {}), aggregateType: 'PromiseToPay',
      payload: {
        businessDate,
        promises: promises.map((p) => ({
          promise: p.id, case: p.caseId, loan: p.loanId, outcome: p.outcome === 'kept' ? 'KEPT' : 'BROKEN', promisedDate: p.promisedDate,
          amount: { amount: p.amount, currency: p.currency }, paid: { amount: p.paid, currency: p.currency }, escalationLevel: levels.get(p.caseId) ?? null,
        })),
      },
    });
  }
  if (events.length > 0) await writeEvents(sql, context.tenant.slug, at, events);
  return {
    opened: opening.length, closed: closing.length, assigned: assignments.length,
    promisesKept: judged.filter((p) => p.outcome === 'kept').length, promisesBroken: judged.filter((p) => p.outcome === 'broken').length,
  };
}
