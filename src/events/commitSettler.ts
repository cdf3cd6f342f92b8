// Settling what commands committed: numbering their outbox events (the subscribers' cursor) and linking their
// audit records into the tenant's hash chain, in one short transaction per pass, one pass at a time per tenant
// (the database function `settle_commits()` holds the tenant's settle lock). Doing this inside each command held
// a per-tenant lock from the command's first write to its commit's disk flush, which capped one tenant below
// ~860 commands/s; now commands of a tenant commit in parallel and a pass settles many of them at once.
//
// A command's commit sends a small wake-up (the tenant's schema) on COMMIT_CHANNEL (outboxFeed.ts); any process that hears it
// settles that tenant. Hooks run inside the pass's transaction with the events it numbered, so whatever they
// write (webhook deliveries and their jobs) exists exactly when the numbering does. A periodic sweep settles
// what no wake-up announced (a process stopped between commit and settle; a listener was reconnecting).
import type pg from 'pg';
import type { Logger } from '../log.js';
import type { Databases, PlacedDatabase } from '../tenancy/placement.js';
import { tenantStatement, transaction, withTenantSql } from '../tenancy/tenantSql.js';
import { toEvent, type FeedEvent, type OutboxRow } from './outboxFeed.js';

/**
 * Runs in the settle transaction (search_path = the tenant's schema) with the events just numbered; may return
 * what to do once that transaction has committed.
 */
export type SettledHook = (sql: pg.PoolClient, schema: string, events: FeedEvent[]) => Promise<(() => void) | undefined>;

const PASS_LIMIT = 5_000;
const SWEEP_BATCH = 100;
/** One sweep in this many probes every schema whatever the write counters say (5 minutes at the 10 s default). */
const FULL_SWEEP_EVERY = 30;
/**
 * How long a probe waits for a tenant's table: a migration holds a schema's outbox against every reader for a moment
 * when it drops or swaps an index, and a probe waiting on it would hold up the sweep of every other schema behind it.
 */
const PROBE_LOCK_TIMEOUT_MS = 1_000;

/** What one sweep did: tenants listed, schemas probed (not one whose tables it could not read in time), and those found with something unsettled. */
export interface SweepOutcome {
  listed: number;
  probed: string[];
  woken: string[];
}

interface Settling {
  done: Promise<void>;
  again: boolean;
}

export class CommitSettler {
  private readonly settling = new Map<string, Settling>();
  private readonly hooks: SettledHook[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  /** The timed sweep under way, if any. */
  private sweeping: Promise<unknown> | undefined;
  /** Each schema's outbox and audit write counters when a sweep last probed it. */
  private probedAt = new Map<string, string>();
  private sweeps = 0;

  constructor(
    private readonly databases: Databases,
    private readonly log: Logger,
    private readonly sweepMs = 10_000,
    private readonly fullSweepEvery = FULL_SWEEP_EVERY,
  ) {}

  onSettled(hook: SettledHook): void {
    this.hooks.push(hook);
  }

  /**
   * Settles everything the tenant committed before this call. Calls during a pass share one more pass after
   * it, so a burst of wake-ups costs two passes, not one each.
   */
  settle(schema: string): Promise<void> {
    const current = this.settling.get(schema);
    if (current) {
      current.again = true;
      return current.done;
    }
    const state: Settling = { again: false, done: Promise.resolve() };
    state.done = (async () => {
      try {
        do {
          state.again = false;
          while ((await this.pass(schema)) === PASS_LIMIT);
        } while (state.again);
      } finally {
        this.settling.delete(schema);
      }
    })();
    this.settling.set(schema, state);
    return state.done;
  }

  /** Settles in the background; a failure is logged and left to the sweep. */
  wake(schema: string): void {
    this.settle(schema).catch((error: unknown) => this.log.warn({ err: error, schema }, 'settling failed; the sweep will retry'));
  }

  private async pass(schema: string): Promise<number> {
    const afterCommit: (() => void)[] = [];
    const numbered = await withTenantSql(await this.databases.poolForSchema(schema), schema, async (sql) => {
      const { rows } = await sql.query<OutboxRow>('SELECT * FROM settle_commits($1)', [PASS_LIMIT]);
      const events = rows.map(toEvent);
      for (const hook of this.hooks) {
        const then = await hook(sql, schema, events);
        if (then) afterCommit.push(then);
      }
      return events.length;
    });
    for (const then of afterCommit) then();
    return numbered;
  }

  start(): void {
    // One timed sweep at a time: a slow database must not pile sweeps up behind it.
    const sweep = () => {
      this.sweeping ??= this.sweep().catch((error: unknown) => this.log.warn({ err: error }, 'settle sweep failed')).finally(() => {
        this.sweeping = undefined;
      });
    };
    sweep();
    this.sweepTimer = setInterval(sweep, this.sweepMs);
    this.sweepTimer.unref();
  }

  /**
   * No more timed sweeps; resolves once the one under way, if any, and the settle passes under way (a sweep's
   * wake-ups start them) are over, so that the pools may then be closed.
   */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.sweeping;
    await Promise.allSettled([...this.settling.values()].map((state) => state.done));
  }

  /**
   * Finds tenants with anything unsettled (cheap per schema: partial indexes on the unsettled rows) and settles
   * them. A schema is probed only when its outbox or audit table has been written since it was last probed, by
   * PostgreSQL's own per-table write counters: probing every schema every 10 s cost thousands of relations
   * opened per sweep and filled each pool connection's relation cache with every tenant's tables (docs/
   * tenancy-scale.md). Counters reach the statistics within a second or so of a commit (up to about ten seconds
   * when sessions contend for the shared statistics), so a row they have not shown yet is found by a later sweep;
   * a counter reset changes the signature too. The first sweep, one in every `fullSweepEvery`, and `everySchema`
   * (after the listener was lost) probe every schema regardless.
   */
  async sweep(options: { everySchema?: boolean } = {}): Promise<SweepOutcome> {
    const everySchema = options.everySchema === true || this.sweeps % this.fullSweepEvery === 0;
    this.sweeps += 1;
    // The registry is on the platform's database; each tenant's counters are on the database holding its schema.
    const { rows: tenants } = await this.databases.main.pool.query<{ schema_name: string; database: string }>(
      `SELECT schema_name, database FROM platform.tenant WHERE status IN ('active', 'suspended') ORDER BY schema_name`);
    const seen = new Map<string, string>();
    const probed: string[] = [];
    const woken: string[] = [];
    // Each database on its own and at once: one that cannot be reached (or hangs) is swept again next time, its
    // schemas not marked probed, and delays none of the others.
    await Promise.all(this.databases.list().map(async (database) => {
      const schemas = tenants.filter((t) => t.database === database.name).map((t) => t.schema_name);
      if (schemas.length === 0) return;
      await this.sweepDatabase(database, schemas, everySchema, seen, probed, woken)
        .catch((error: unknown) => this.log.warn({ err: error instanceof Error ? { message: error.message } : { message: String(error) }, database: database.name }, 'settle sweep of a database failed'));
    }));
    this.probedAt = seen;
    return { listed: tenants.length, probed, woken };
  }

  /** One database's part of a sweep: its schemas' write counters, then a probe of those due; adds to the three lists. */
  private async sweepDatabase(database: PlacedDatabase, schemas: string[], everySchema: boolean, seen: Map<string, string>, probedHere: string[], woken: string[]): Promise<void> {
    const { rows } = await database.pool.query<{ schema_name: string; writes: string | null }>(
      `SELECT t.schema_name,
              CASE WHEN current_setting('track_counts')::boolean THEN
                (SELECT sum(pg_stat_get_tuples_inserted(c.oid) + pg_stat_get_tuples_updated(c.oid) + pg_stat_get_tuples_deleted(c.oid))::text
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = t.schema_name AND c.relname IN ('outbox_event', 'audit_record'))
                || '/' || d.reset
              END AS writes
         FROM unnest($1::text[]) AS t(schema_name),
              (SELECT coalesce(max(stats_reset)::text, '') AS reset FROM pg_stat_database WHERE datname = current_database()) d`,
      [schemas]);
    const writesOf = new Map(rows.map((row) => [row.schema_name, row.writes]));
    const dueHere: string[] = [];
    for (const { schema_name: schema, writes } of rows) {
      const last = this.probedAt.get(schema);
      if (!everySchema && writes !== null && last === writes) seen.set(schema, writes);
      else dueHere.push(schema);
    }
    for (let i = 0; i < dueHere.length; i += SWEEP_BATCH) {
      const batch = dueHere.slice(i, i + SWEEP_BATCH);
      const { found, probed } = await this.unsettled(database.pool, batch);
      for (const schema of found) this.wake(schema);
      woken.push(...found);
      probedHere.push(...probed);
      // What the probe saw is settled or being settled; a later write changes the counters again.
      for (const schema of probed) {
        const writes = writesOf.get(schema);
        if (writes) seen.set(schema, writes);
      }
    }
  }

  private async unsettled(pool: pg.Pool, schemas: string[]): Promise<{ found: string[]; probed: string[] }> {
    const probe = (schema: string, index: number) => tenantStatement(schema, (s) => `SELECT $${index + 1}::text AS schema_name WHERE
      EXISTS (SELECT 1 FROM ${s}.outbox_event WHERE seq IS NULL)
      OR EXISTS (SELECT 1 FROM ${s}.audit_record WHERE seq IS NULL)`);
    try {
      const rows = await probing(pool, schemas.map(probe).join(' UNION ALL '), schemas);
      return { found: rows.map((row) => row.schema_name), probed: schemas };
    } catch {
      // A schema mid-migration (its tables locked, or changed under the statement) fails the batch; probe one by
      // one so the others are still settled. One that fails is not counted as probed: the next sweep tries it again.
      const found: string[] = [];
      const probed: string[] = [];
      for (const schema of schemas) {
        const rows = await probing(pool, probe(schema, 0), [schema]).catch(() => null);
        if (rows === null) continue;
        probed.push(schema);
        found.push(...rows.map((row) => row.schema_name));
      }
      return { found, probed };
    }
  }
}

/** A sweep's probe, waiting at most PROBE_LOCK_TIMEOUT_MS for any table it reads. */
function probing(pool: pg.Pool, text: string, values: string[]): Promise<{ schema_name: string }[]> {
  return transaction(pool, async (client) => (await client.query<{ schema_name: string }>(text, values)).rows, { readOnly: true, lockTimeout: PROBE_LOCK_TIMEOUT_MS });
}
