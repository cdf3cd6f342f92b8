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
import { tenantStatement, withTenantSql } from '../tenancy/tenantSql.js';
import { toEvent, type FeedEvent, type OutboxRow } from './outboxFeed.js';

/**
 * Runs in the settle transaction (search_path = the tenant's schema) with the events just numbered; may return
 * what to do once that transaction has committed.
 */
export type SettledHook = (sql: pg.PoolClient, schema: string, events: FeedEvent[]) => Promise<(() => void) | undefined>;

const PASS_LIMIT = 5_000;
const SWEEP_BATCH = 100;

interface Settling {
  done: Promise<void>;
  again: boolean;
}

export class CommitSettler {
  private readonly settling = new Map<string, Settling>();
  private readonly hooks: SettledHook[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    private readonly sweepMs = 10_000,
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
    const numbered = await withTenantSql(this.pool, schema, async (sql) => {
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
    const sweep = () => void this.sweep().catch((error: unknown) => this.log.warn({ err: error }, 'settle sweep failed'));
    sweep();
    this.sweepTimer = setInterval(sweep, this.sweepMs);
    this.sweepTimer.unref();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
  }

  /** Finds tenants with anything unsettled (cheap: partial indexes on the unsettled rows) and settles them. */
  async sweep(): Promise<void> {
    const { rows } = await this.pool.query<{ schema_name: string }>(
      `SELECT schema_name FROM platform.tenant WHERE status IN ('active', 'suspended') ORDER BY schema_name`);
    const schemas = rows.map((row) => row.schema_name);
    for (let i = 0; i < schemas.length; i += SWEEP_BATCH) {
      const batch = schemas.slice(i, i + SWEEP_BATCH);
      for (const schema of await this.unsettled(batch)) this.wake(schema);
    }
  }

  private async unsettled(schemas: string[]): Promise<string[]> {
    const probe = (schema: string, index: number) => tenantStatement(schema, (s) => `SELECT $${index + 1}::text AS schema_name WHERE
      EXISTS (SELECT 1 FROM ${s}.outbox_event WHERE seq IS NULL)
      OR EXISTS (SELECT 1 FROM ${s}.audit_record WHERE seq IS NULL)`);
    try {
      const { rows } = await this.pool.query<{ schema_name: string }>(schemas.map(probe).join(' UNION ALL '), schemas);
      return rows.map((row) => row.schema_name);
    } catch {
      // A schema mid-migration fails the batch; probe one by one so the others are still settled.
      const found: string[] = [];
      for (const schema of schemas) {
        const rows = await this.pool.query<{ schema_name: string }>(probe(schema, 0), [schema]).then((r) => r.rows, () => []);
        found.push(...rows.map((row) => row.schema_name));
      }
      return found;
    }
  }
}
