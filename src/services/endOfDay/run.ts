// End of day for one tenant: brings its books from the business date to the next, one date at a time and in
// order, through recorded steps (docs/end-of-day.md). A run is one per tenant-date (end_of_day_run); each step,
// or each batch of a batched step, commits its writes with what records its progress, and every statement skips
// what is already done, so a run killed at any point and started again posts nothing twice and ends with the
// same books. The date moves first — the day's postings then replay to the new date — and the steps catch the
// positions up behind it. One run per tenant at a time (an advisory lock held by the runner's connection, freed
// by PostgreSQL if the process dies).
import { AppError, InvalidField, statusInWords } from '../../errors.js';
import { addDays } from '../../domain/calendar.js';
import { isBusinessDate } from '../../domain/businessDate.js';
import type { Runtime } from '../../runtime.js';
import type { TenantRecord } from '../../tenancy/registry.js';
import type pg from 'pg';
import { PLATFORM_SCHEMA, quoteIdent } from '../../tenancy/schemaNames.js';
import { MAIN_DATABASE } from '../../tenancy/placement.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { poolSql, tenantSql, withTenantSql, type PoolSql } from '../../tenancy/tenantSql.js';
import { runCommand, type Actor } from '../../commands/runCommand.js';
import { expireStaleApplications } from '../origination/applications.js';
import { advancePositionsBatch, loansToAdvance } from './advancePositions.js';
import { EndOfDayLoanFailure, loansToReplay, replayLoansBatch } from './replayLoans.js';
import { endOfDayEventsStep } from './events.js';
import { classifyLoans, policyChangedSinceLastRun } from './classification.js';
import { postInterestSuspense, postProvisions } from './ledgerSteps.js';
import { delinquencyPolicyOf, type DelinquencyPolicy } from '../servicing/delinquencyPolicy.js';
import { nonAccrualRule } from '../../domain/servicing/classification.js';
import { CURRENCY_MINOR_UNITS } from '../../domain/money.js';
import { writeEndOfDaySummary } from '../reports/endOfDaySummary.js';
import { workCollections } from './collections.js';
import { makeReminders, rescheduleMessages } from './reminders.js';
import { presentDebits } from './presentments.js';
import { settleCoLenders } from '../coLending/settlements.js';
import { invokeGuarantees } from '../coLending/guarantees.js';
import { clawBackCommissions } from '../origination/commissions.js';
import { chargeOffByRule } from '../servicing/writeOffs.js';
import { endOfDayProgressOf, observedEndOfDayRun, observedEndOfDayStep } from '../../observability/backgroundWork.js';

export type EndOfDayRuntime = Pick<Runtime, 'pool' | 'tenantPool' | 'registry' | 'tenantClients' | 'log' | 'now' | 'dataKey'>;

export interface EndOfDayProgress {
  tenant: string;
  businessDate: string;
  step: string;
  done: number;
  total: number | null;
}

export interface EndOfDayOptions {
  /** The date to bring the books to; the day after the business date when absent. */
  to?: string;
  /** Who asked: an operator's subject, or the scheduler. */
  startedBy: string;
  /**
   * The request that asked, when one did (the API): its roles, client and request id go on the run's audit records
   * with its subject, so they can be tied to the request. A scheduled or command-line run has none.
   */
  request?: { roles: readonly string[]; clientId: string | null; requestId: string };
  onProgress?: (progress: EndOfDayProgress) => void;
  /** Loans per batch of the set-based step and of replays (tests make them small to cut runs into many parts). */
  batchSize?: { positions?: number; replays?: number };
  /** Called after each committed step or batch: a test stops the process there. */
  afterCommit?: (where: { businessDate: string; step: string }) => void | Promise<void>;
}

export interface StepOutcome {
  step: string;
  rows: number;
  ms: number;
  /** Already done by an earlier attempt of the run. */
  skipped: boolean;
}

export interface EndOfDayOutcome {
  businessDate: string;
  resumed: boolean;
  steps: StepOutcome[];
  totals: Record<string, number>;
}

/** A run that stopped, naming the tenant, the step and (when one loan caused it) the loan; retried by running again. */
export class EndOfDayFailure extends Error {
  constructor(readonly tenant: string, readonly businessDate: string, readonly step: string, readonly loanId: string | null, message: string) {
    super(`end of day ${businessDate} for ${tenant} stopped at ${step}${loanId ? ` on loan ${loanId}` : ''}: ${message}`);
  }
}

export interface StepContext {
  rt: EndOfDayRuntime;
  tenant: TenantRecord;
  db: TenantDb;
  schema: string;
  /** The pool of the database the tenant's schema is on. */
  pool: pg.Pool;
  businessDate: string;
  startedBy: string;
  /** Who the run's commands are recorded as having been done by (runActor). */
  actor: Actor;
  now: Date;
  batchSize: { positions: number; replays: number };
  /** The lender's delinquency policy, read once per run: every step of a date works with the same one. */
  policy(): Promise<DelinquencyPolicy>;
  /** Whether that policy differs from the last completed run's (then every loan is classified and provisioned). */
  policyChanged(): Promise<boolean>;
  /** Reports progress within the step; `afterCommit` is called by it after each committed batch. */
  progress(done: number, total: number | null): Promise<void>;
}

/**
 * A step of the run. `once` steps run in one transaction together with their record; `own` steps commit their
 * own work (in batches, each idempotent by itself) and are recorded when they return.
 */
export type EndOfDayStep =
  | { name: string; kind: 'once'; run(sql: PoolSql, context: StepContext): Promise<number> }
  | { name: string; kind: 'own'; run(context: StepContext): Promise<number> };

/** The steps, in order. */
export const END_OF_DAY_STEPS: EndOfDayStep[] = [
  {
    name: 'expireApplications', kind: 'own',
    async run(c) {
      const command = { tenant: c.tenant.slug, now: c.now, actor: c.actor };
      const { expired } = await expireStaleApplications(c.db, command, c.businessDate);
      return expired.length;
    },
  },
  {
    name: 'replayLoans', kind: 'own',
    async run(c) {
      const total = await loansToReplay(c.db, c.schema, c.businessDate);
      let done = 0;
      await c.progress(0, total);
      for (;;) {
        const { replayed } = await replayLoansBatch(c.db, c.schema, c.businessDate, c.batchSize.replays, c.now, c.tenant.slug);
        if (replayed === 0) return done;
        done += replayed;
        await c.progress(done, total);
      }
    },
  },
  {
    name: 'advancePositions', kind: 'own',
    async run(c) {
      const ids = await loansToAdvance(poolSql(c.pool, c.schema), c.businessDate);
      let done = 0;
      await c.progress(0, ids.length);
      for (let from = 0; from < ids.length; from += c.batchSize.positions) {
        const batch = ids.slice(from, from + c.batchSize.positions);
        const moved = await withTenantSql(c.pool, c.schema, (_client, sql) => advancePositionsBatch(sql, c.businessDate, batch, c.now));
        done += moved.moved;
        await c.progress(Math.min(from + batch.length, ids.length), ids.length);
      }
      return done;
    },
  },
  { name: 'presentments', kind: 'own', run: (c) => presentDebits(c) },
  // Before charge-off: a loan reaching both the same day is bought back from its co-lenders first.
  { name: 'coLendingGuarantee', kind: 'own', run: (c) => invokeGuarantees(c) },
  { name: 'chargeOff', kind: 'own', run: (c) => chargeOffByRule(c) },
  {
    name: 'classify', kind: 'once',
    async run(sql, c) {
      return classifyLoans(sql, c, await c.policy(), await c.policyChanged());
    },
  },
  {
    name: 'suspense', kind: 'once',
    async run(sql, c) {
      return postInterestSuspense(sql, c.businessDate, c.now, nonAccrualRule(await c.policy()));
    },
  },
  {
    name: 'provisions', kind: 'once',
    async run(sql, c) {
      const policy = await c.policy();
      // Every currency in use, rather than reading the book for the few its loans are in.
      const places = Object.fromEntries(CURRENCY_MINOR_UNITS);
      const { rows: runs } = await sql.query<{ previous: string }>((s) => `SELECT previous_date::text AS previous FROM ${s}.end_of_day_run WHERE business_date = $1`, [c.businessDate]);
      return postProvisions(sql, c.businessDate, c.now, policy.provisions as Record<string, string>, places, runs[0]!.previous, await c.policyChanged());
    },
  },
  // After every posting of the day (replays, presentments, charge-offs): what partners are owed through T−N.
  { name: 'coLendingSettlement', kind: 'once', run: (sql, c) => settleCoLenders(sql, c) },
  { name: 'commissionClawback', kind: 'once', run: (sql, c) => clawBackCommissions(sql, c) },
  {
    name: 'collections', kind: 'once',
    async run(sql, c) {
      const done = await workCollections(sql, c);
      return done.opened + done.closed + done.assigned + done.promisesKept + done.promisesBroken;
    },
  },
  { name: 'reminders', kind: 'once', run: (sql, c) => makeReminders(sql, c) },
  { name: 'summary', kind: 'once', run: (sql, c) => writeEndOfDaySummary(sql, c.businessDate) },
  endOfDayEventsStep,
];

const DEFAULT_BATCH = { positions: 20_000, replays: 200 };

/** The lock key of a tenant's end of day: one runner per tenant across every process. */
export const endOfDayLockKey = (tenantId: string) => `end-of-day:${tenantId}`;

/**
 * Runs end of day for `slug` up to `options.to` (the next date by default), resuming a run left unfinished.
 * Returns one outcome per date brought to.
 */
export async function runEndOfDay(rt: EndOfDayRuntime, slug: string, options: EndOfDayOptions): Promise<EndOfDayOutcome[]> {
  if (options.to !== undefined && !isBusinessDate(options.to)) throw new InvalidField('to', 'to must be a business date (YYYY-MM-DD)');
  rt.registry.forget(slug);
  const found = await rt.registry.findBySlug(slug);
  if (!found) throw new AppError('NOT_FOUND', `no tenant ${slug}`);
  if (found.status !== 'active') throw new AppError('CONFLICT', `the tenant is ${statusInWords(found.status)}: end of day runs only for active tenants`, { field: 'tenant' });

  return withEndOfDayLock(rt.pool, found.id, () => new AppError('CONFLICT', 'end of day is already running for this tenant'), () => runDates(rt, found, options));
}

/**
 * Runs `work` holding the tenant's end-of-day lock on a connection of `pool` (the registry's) for its whole length:
 * a run, or a tenant's move, which no run may write under. `busy` is the refusal when another session holds it. A
 * failed unlock must not stand in for the work's own outcome (a move may already have repointed the registry): the
 * connection is closed instead, which ends its locks, rather than going back to the pool still holding this one.
 */
export async function withEndOfDayLock<T>(pool: pg.Pool, tenantId: string, busy: () => Error, work: () => Promise<T>): Promise<T> {
  const lock = await pool.connect();
  let broken: Error | undefined;
  try {
    const { rows: [held] } = await lock.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [endOfDayLockKey(tenantId)]);
    if (!held!.locked) throw busy();
    try {
      return await work();
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [endOfDayLockKey(tenantId)]).catch((error: Error) => {
        broken = error;
      });
    }
  } finally {
    lock.release(broken);
  }
}

async function runDates(rt: EndOfDayRuntime, initial: TenantRecord, options: EndOfDayOptions): Promise<EndOfDayOutcome[]> {
  const db = rt.tenantClients.forTenant(initial);
  const sql = poolSql(rt.tenantPool(initial), initial.schemaName);
  const outcomes: EndOfDayOutcome[] = [];
  let tenant = initial;
  const target = options.to ?? null;
  if (target !== null && target < tenant.businessDate) {
    throw new InvalidField('to', `the business date is ${tenant.businessDate}: it never moves back`);
  }
  for (;;) {
    const unfinished = await unfinishedRun(sql, tenant.businessDate);
    const next = unfinished ? tenant.businessDate : addDays(tenant.businessDate, 1);
    if (!unfinished && (target === null ? outcomes.length > 0 : next > target)) return outcomes;
    if (unfinished) await sql.query((s) => `UPDATE ${s}.end_of_day_run SET status = 'running', attempts = attempts + 1, failure = NULL WHERE business_date = $1`, [next]);
    else await openRun(rt, tenant, next, options.startedBy);
    rt.registry.forget(tenant.slug);
    tenant = { ...tenant, businessDate: next };
    const day = tenant;
    outcomes.push(await observedEndOfDayRun(tenant.slug, next, unfinished, () => runSteps(rt, day, db, options, unfinished)));
  }
}

async function unfinishedRun(sql: PoolSql, businessDate: string): Promise<boolean> {
  const { rows } = await sql.query<{ status: string }>((s) => `SELECT status FROM ${s}.end_of_day_run WHERE business_date = $1`, [businessDate]);
  return rows.length > 0 && rows[0]!.status !== 'completed';
}

/**
 * The registry's date moves only from the date the run started from, for a tenant still active on the database
 * the run is writing to (not one suspended or moved meanwhile).
 */
const MOVE_DATE = `UPDATE ${quoteIdent(PLATFORM_SCHEMA)}.tenant SET business_date = $1, updated_at = $2
  WHERE id = $3 AND business_date = $4 AND database = $5 AND status = 'active'`;

/**
 * Records the run and moves the tenant's date in one transaction: no date moves without its run, nor the reverse.
 * A tenant on another database than the registry's cannot have both in one transaction: its run is recorded
 * first (a repeat finds it), then the date moves; a stop in between leaves a run the next attempt opens again.
 */
async function openRun(rt: EndOfDayRuntime, tenant: TenantRecord, businessDate: string, startedBy: string): Promise<void> {
  if (tenant.database !== MAIN_DATABASE) {
    await poolSql(rt.tenantPool(tenant), tenant.schemaName).query((s) => `INSERT INTO ${s}.end_of_day_run (business_date, previous_date, status, started_by, started_at)
      VALUES ($1, $2, 'running', $3, $4) ON CONFLICT (business_date) DO NOTHING`, [businessDate, tenant.businessDate, startedBy, rt.now().toISOString()]);
    const moved = await rt.pool.query(MOVE_DATE, [businessDate, rt.now().toISOString(), tenant.id, tenant.businessDate, tenant.database]);
    if (moved.rowCount !== 1) throw new AppError('CONFLICT', 'the business date moved, or the tenant was suspended or moved, while end of day was starting');
    return;
  }
  await withTenantSql(rt.pool, tenant.schemaName, async (client, sql) => {
    await sql.query((s) => `INSERT INTO ${s}.end_of_day_run (business_date, previous_date, status, started_by, started_at) VALUES ($1, $2, 'running', $3, $4)`,
      [businessDate, tenant.businessDate, startedBy, rt.now().toISOString()]);
    const moved = await client.query(MOVE_DATE, [businessDate, rt.now().toISOString(), tenant.id, tenant.businessDate, tenant.database]);
    if (moved.rowCount !== 1) throw new AppError('CONFLICT', 'the business date moved, or the tenant was suspended or moved, while end of day was starting');
  });
}

async function runSteps(rt: EndOfDayRuntime, tenant: TenantRecord, db: TenantDb, options: EndOfDayOptions, resumed: boolean): Promise<EndOfDayOutcome> {
  const schema = tenant.schemaName;
  const businessDate = tenant.businessDate;
  const pool = rt.tenantPool(tenant);
  const sql = poolSql(pool, schema);
  const { rows: done } = await sql.query<{ step: string }>((s) => `SELECT step FROM ${s}.end_of_day_step WHERE business_date = $1 AND part = 0`, [businessDate]);
  const finished = new Set(done.map((d) => d.step));
  const steps: StepOutcome[] = [];
  let policy: Promise<DelinquencyPolicy> | undefined;
  let policyChanged: Promise<boolean> | undefined;
  const policyOf = () => (policy ??= delinquencyPolicyOf(sql, tenant.currency));
  const changedOf = () => (policyChanged ??= policyOf().then((p) => policyChangedSinceLastRun(sql, businessDate, p.version)));
  for (const step of END_OF_DAY_STEPS) {
    if (finished.has(step.name)) {
      steps.push({ step: step.name, rows: 0, ms: 0, skipped: true });
      continue;
    }
    const started = performance.now();
    const progressed = endOfDayProgressOf(step.name);
    const context: StepContext = {
      rt, tenant, db, schema, pool, businessDate, startedBy: options.startedBy, actor: runActor(options, businessDate), now: rt.now(),
      batchSize: { ...DEFAULT_BATCH, ...options.batchSize },
      policy: policyOf,
      policyChanged: changedOf,
      async progress(count, total) {
        progressed(count);
        options.onProgress?.({ tenant: tenant.slug, businessDate, step: step.name, done: count, total });
        if (count > 0) await options.afterCommit?.({ businessDate, step: step.name });
      },
    };
    let rows: number;
    try {
      rows = await observedEndOfDayStep(step.name, async () => {
        if (step.kind === 'once') {
          return withTenantSql(pool, schema, async (_client, stepSql) => {
            const n = await step.run(stepSql, context);
            await recordStep(stepSql, businessDate, step.name, n, context.now);
            return n;
          });
        }
        const n = await step.run(context);
        await recordStep(sql, businessDate, step.name, n, context.now);
        return n;
      });
    } catch (error) {
      throw await failed(rt, tenant, step.name, error);
    }
    steps.push({ step: step.name, rows, ms: Math.round(performance.now() - started), skipped: false });
    options.onProgress?.({ tenant: tenant.slug, businessDate, step: step.name, done: rows, total: rows });
    await options.afterCommit?.({ businessDate, step: step.name });
  }
  if (tenant.database !== MAIN_DATABASE) await rescheduleMessages(rt, tenant);
  // The run closes as a command: its completion, totals and who started it go on the audit trail with it.
  const command = { tenant: tenant.slug, action: 'endOfDay.complete', now: rt.now(), actor: runActor(options, businessDate) };
  const totals = await runCommand(db, command, async (tx) => {
    const [row] = await tenantSql(tx, schema).query<{ totals: Record<string, number>; previous: string; attempts: number }[]>((s) => `
      UPDATE ${s}.end_of_day_run r SET status = 'completed', finished_at = $2::timestamptz,
             -- A batched step's work is the sum of its batches (each recorded with its writes, whichever attempt did it).
             totals = r.totals || coalesce((
               SELECT jsonb_object_agg(step, n) FROM (
                 SELECT step, CASE WHEN count(*) FILTER (WHERE part > 0) > 0 THEN sum(rows) FILTER (WHERE part > 0) ELSE sum(rows) FILTER (WHERE part = 0) END AS n
                   FROM ${s}.end_of_day_step WHERE business_date = $1::date GROUP BY step) per_step), '{}')
       WHERE business_date = $1::date RETURNING totals, previous_date::text AS previous, attempts`, businessDate, rt.now().toISOString());
    return {
      result: row!.totals,
      audit: { entityType: 'EndOfDayRun', entityId: businessDate, before: { businessDate: row!.previous }, after: { businessDate, attempts: row!.attempts, totals: row!.totals } },
      events: [],
    };
  });
  return { businessDate, resumed, steps, totals };
}

async function recordStep(sql: PoolSql, businessDate: string, step: string, rows: number, now: Date): Promise<void> {
  await sql.query((s) => `INSERT INTO ${s}.end_of_day_step (business_date, step, part, rows, completed_at) VALUES ($1, $2, 0, $3, $4)
                          ON CONFLICT DO NOTHING`, [businessDate, step, rows, now.toISOString()]);
}

/** Records why the run stopped — what an operator can act on, never SQL or a stack — and names it. */
async function failed(rt: EndOfDayRuntime, tenant: TenantRecord, step: string, error: unknown): Promise<EndOfDayFailure> {
  const loanId = error instanceof EndOfDayLoanFailure ? error.loanId : null;
  const safe = error instanceof AppError || error instanceof InvalidField || error instanceof EndOfDayLoanFailure;
  const message = safe ? (error as Error).message : 'an internal error stopped the step (the logs have its details)';
  rt.log.error({ tenant: tenant.slug, businessDate: tenant.businessDate, step, loanId, err: error }, 'end of day step failed');
  await poolSql(rt.tenantPool(tenant), tenant.schemaName).query((s) => `UPDATE ${s}.end_of_day_run SET status = 'failed', failure = $2 WHERE business_date = $1`,
    [tenant.businessDate, JSON.stringify({ step, loanId, message })]).catch(() => undefined);
  return new EndOfDayFailure(tenant.slug, tenant.businessDate, step, loanId, message);
}

/** Who a run's commands are done by: whoever started it, with the request that asked when one did. */
function runActor(options: EndOfDayOptions, businessDate: string): Actor {
  return {
    subject: options.startedBy, roles: [...(options.request?.roles ?? [])], partner: null, clientId: options.request?.clientId ?? null,
    requestId: options.request?.requestId ?? `end-of-day:${businessDate}`,
  };
}
