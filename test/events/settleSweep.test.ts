// The commit settler's periodic sweep: it settles what no wake-up announced, and with thousands of tenants it
// probes only the schemas whose outbox or audit table was written since it last probed them (PostgreSQL's
// per-table write counters), not every schema every 10 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitSettler } from '../../src/events/commitSettler.js';
import { createLogger } from '../../src/log.js';
import type { Runtime } from '../../src/runtime.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import type { Databases } from '../../src/tenancy/placement.js';
import { createTenant, openTestRuntime, uniqueSlug } from '../support/harness.js';

let runtime: Runtime;
let quiet: TenantRecord;
let busy: TenantRecord;

beforeAll(async () => {
  runtime = await openTestRuntime();
  [quiet, busy] = await Promise.all(['sweep-quiet', 'sweep-busy'].map((p) => createTenant(runtime, uniqueSlug(p)))) as [TenantRecord, TenantRecord];
});
afterAll(async () => {
  await runtime.close();
});

/** Repeats `check` until it holds, within a generous bound (statistics reach other sessions within about a second). */
async function until(check: () => Promise<boolean>, withinMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + withinMs; !(await check()); await new Promise((resolve) => setTimeout(resolve, 200))) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms`);
  }
}

/**
 * An audit record committed with nobody told to settle it (a wake-up lost while no process listened). Its session
 * then flushes its statistics at once: PostgreSQL otherwise holds them back for up to ten seconds when other
 * sessions contend for the shared statistics (other test files running beside this one), which is its latency, not
 * the sweep's.
 */
async function unannouncedCommit(schema: string): Promise<void> {
  const client = await runtime.pool.connect();
  try {
    await client.query(
      `INSERT INTO ${schema}.audit_record (occurred_at, actor, roles, action, entity_type, entity_id, request_id)
       VALUES (now(), 'test', '{tenant-admin}', 'party.create', 'Party', 'sweep-probe', 'sweep-probe')`);
    await client.query('SELECT pg_stat_force_next_flush()');
  } finally {
    client.release();
  }
}

async function unsettledAudit(schema: string): Promise<number> {
  const { rows } = await runtime.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.audit_record WHERE seq IS NULL`);
  return rows[0]!.n;
}

describe('settle sweep', () => {
  it('probes every schema at first, then only those written since it last probed them, and settles an unannounced commit', async () => {
    // No sweep here is a periodic full one (one in 30 by default): this test may take dozens on a slow machine.
    const settler = new CommitSettler(runtime.databases, createLogger('silent'), 10_000, 1_000_000);
    const first = await settler.sweep();
    expect(first.probed).toEqual(expect.arrayContaining([quiet.schemaName, busy.schemaName]));
    // Once what created the tenants has reached the statistics, a schema nobody writes is left alone.
    await until(async () => {
      const { probed } = await settler.sweep();
      return !probed.includes(quiet.schemaName) && !probed.includes(busy.schemaName);
    });
    for (let i = 0; i < 3; i += 1) expect((await settler.sweep()).probed).not.toContain(quiet.schemaName);

    await unannouncedCommit(busy.schemaName);
    expect(await unsettledAudit(busy.schemaName)).toBe(1);
    let quietProbed = false;
    await until(async () => {
      const outcome = await settler.sweep();
      quietProbed ||= outcome.probed.includes(quiet.schemaName);
      return outcome.woken.includes(busy.schemaName);
    });
    expect(quietProbed).toBe(false);
    await until(async () => (await unsettledAudit(busy.schemaName)) === 0);
  });

  it('does not wait for a schema whose tables a migration holds: the others are probed and settled, that one on a later sweep', async () => {
    const settler = new CommitSettler(runtime.databases, createLogger('silent'), 10_000, 1_000_000);
    await unannouncedCommit(busy.schemaName);
    const migrating = await runtime.pool.connect();
    try {
      // As a migration dropping one of the outbox's indexes holds it: against every reader, until it commits.
      await migrating.query(`BEGIN; LOCK TABLE ${quiet.schemaName}.outbox_event IN ACCESS EXCLUSIVE MODE`);
      // Answered while the lock is still held (a sweep that waited for it would never return here).
      const outcome = await settler.sweep({ everySchema: true });
      expect(outcome.probed).toContain(busy.schemaName);
      expect(outcome.probed).not.toContain(quiet.schemaName);
      expect(outcome.woken).toContain(busy.schemaName);
    } finally {
      try {
        await migrating.query('ROLLBACK');
      } finally {
        migrating.release();
      }
    }
    await until(async () => (await unsettledAudit(busy.schemaName)) === 0);
    expect((await settler.sweep({ everySchema: true })).probed).toContain(quiet.schemaName);
  });

  it('probes every schema when asked (the listener was lost) and on every n-th sweep, written or not', async () => {
    const settler = new CommitSettler(runtime.databases, createLogger('silent'), 10_000, 3);
    await settler.sweep();
    await until(async () => !(await settler.sweep()).probed.includes(quiet.schemaName));
    expect((await settler.sweep({ everySchema: true })).probed).toContain(quiet.schemaName);
    // Sweeps so far: 1 full, k usual, 1 asked for; the counter runs on: within the next three, one is full.
    const next = [await settler.sweep(), await settler.sweep(), await settler.sweep()];
    expect(next.filter((outcome) => outcome.probed.includes(quiet.schemaName))).toHaveLength(1);
  });
});

describe('stopping the settler', () => {
  /** Work the settler has under way that finishes only when let go. */
  function heldWork() {
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    return { held, letGo };
  }

  /** `stop()` resolves only once the held work is let go. */
  async function stopsAfter(settler: CommitSettler, letGo: () => void): Promise<void> {
    let stopped = false;
    const stopping = settler.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    letGo();
    await stopping;
    expect(stopped).toBe(true);
  }

  it('waits for the sweep under way, so that the pools it reads are closed only after it', async () => {
    // A database whose registry read answers only when let go: the sweep start() begins is under way until then.
    const { held, letGo } = heldWork();
    const reads: string[] = [];
    const databases = {
      main: { pool: { query: async (text: string) => { reads.push(text); await held; return { rows: [] }; } } },
      list: () => [],
    } as unknown as Databases;
    const settler = new CommitSettler(databases, createLogger('silent'), 60_000);
    settler.start();
    expect(reads).toHaveLength(1);
    await stopsAfter(settler, letGo);
  });

  it('waits for the settle passes under way too (a sweep\'s wake-ups start them)', async () => {
    const { held, letGo } = heldWork();
    const databases = {
      poolForSchema: async () => {
        await held;
        throw new Error('the pool has been closed');
      },
    } as unknown as Databases;
    const settler = new CommitSettler(databases, createLogger('silent'), 60_000);
    settler.wake('tenant_waking');
    await stopsAfter(settler, letGo);
  });
});
