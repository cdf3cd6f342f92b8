// End of day on the job queue: tenants whose local midnight has passed are each brought to their local date; one
// tenant failing (a loan the replay refuses) is named in its run's failure while the others complete, and once
// fixed it completes on the queue's retry; runs at once never exceed the share of the pool.
// The process works jobs in its own pg-boss schema and its clock is set in 2001, where no other test file's
// tenant is due, so its workers touch only this file's tenants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTIONS_PER_RUN, endOfDayConcurrency, tenantsDue } from '../../../src/services/endOfDay/scheduler.js';
import { tenantSql } from '../../../src/tenancy/tenantSql.js';
import { createLogger } from '../../../src/log.js';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { startTestServer, type TestServer } from '../../support/harness.js';
import { breakLoan, tenantWithLoan as books } from '../../support/endOfDayBooks.js';

const NOW = new Date('2001-02-10T03:00:00Z');
let server: TestServer;
/** What the process logged at error level: the workers log each failure there. */
const logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = await startTestServer({
    JOBS_ENABLED: 'true', JOBS_SCHEMA: 'pgboss_end_of_day_test',
    // Two runs at once: 8 connections × 0.5 = 4, two per run.
    PG_POOL_MAX: '8', END_OF_DAY_POOL_SHARE: '0.5',
    END_OF_DAY_MAX_DATES_PER_JOB: '2', END_OF_DAY_RETRY_LIMIT: '20', END_OF_DAY_RETRY_DELAY_SECONDS: '1',
  });
  server.runtime.now = () => NOW;
  server.runtime.log = createLogger('error', { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function businessDate(slug: string): Promise<string> {
  server.runtime.registry.forget(slug);
  return (await server.runtime.registry.findBySlug(slug))!.businessDate;
}

/** Whether the tenant is at `date` with every run completed (the date moves first, the steps follow). */
async function broughtTo(tenant: TenantRecord, date: string): Promise<boolean> {
  if ((await businessDate(tenant.slug)) !== date) return false;
  const sql = tenantSql(server.runtime.tenantClients.forSchema(tenant.schemaName), tenant.schemaName);
  const [open] = await sql.query<{ n: number }[]>((s) => `SELECT count(*)::int AS n FROM ${s}.end_of_day_run WHERE status <> 'completed'`);
  return open!.n === 0;
}

const tenantWithLoan = (prefix: string, timeZone: string, businessDate: string) => books(server.runtime, prefix, { timeZone, businessDate, now: NOW });

describe('the end-of-day schedule', () => {
  it('works out which tenants are due from their own time zones', () => {
    expect(tenantsDue([
      { slug: 'kolkata', timeZone: 'Asia/Kolkata', businessDate: '2001-02-09' },
      { slug: 'new-york', timeZone: 'America/New_York', businessDate: '2001-02-09' },
      { slug: 'kiritimati', timeZone: 'Pacific/Kiritimati', businessDate: '2001-02-08' },
    ], NOW)).toEqual([{ tenant: 'kolkata', to: '2001-02-10' }, { tenant: 'kiritimati', to: '2001-02-10' }]);
    // The share of the pool is counted in connections, two per run, and never below one run.
    expect(CONNECTIONS_PER_RUN).toBe(2);
    expect([endOfDayConcurrency(10, 0.25), endOfDayConcurrency(8, 0.5), endOfDayConcurrency(40, 0.25), endOfDayConcurrency(2, 0.1)]).toEqual([1, 2, 5, 1]);
    expect(server.runtime.endOfDay.schedule.concurrency).toBe(2);
  });

  it('brings each tenant to its local date, names the one that fails, and completes it on retry once fixed', { timeout: 240_000 }, async () => {
    const { runtime } = server;
    // At 03:00 UTC: 08:30 on the 10th in Kolkata, 22:00 on the 9th in New York, 17:00 on the 10th in Kiritimati,
    // 16:00 on the 9th in Pago Pago.
    const kolkata = await tenantWithLoan('eod-kolkata', 'Asia/Kolkata', '2001-02-07');
    const newYork = await tenantWithLoan('eod-new-york', 'America/New_York', '2001-02-04');
    const kiritimati = await tenantWithLoan('eod-kiritimati', 'Pacific/Kiritimati', '2001-02-09');
    const pagoPago = await tenantWithLoan('eod-pago-pago', 'Pacific/Pago_Pago', '2001-02-09');
    const broken = await tenantWithLoan('eod-broken', 'UTC', '2001-02-08');
    const brokenSql = tenantSql(runtime.tenantClients.forSchema(broken.tenant.schemaName), broken.tenant.schemaName);
    // Terms the replay cannot read, on a loan end of day must replay on the 9th.
    const mend = await breakLoan(runtime, broken.tenant, broken.loanId, '2001-02-09');

    const queued = await runtime.endOfDay.tick();
    expect(queued).toBeGreaterThanOrEqual(4);
    // Ticking again queues nothing more: one job per tenant and local date.
    expect(await runtime.endOfDay.tick()).toBe(0);

    const failure = await until('the broken tenant to fail', async () => {
      const [run] = await brokenSql.query<{ status: string; failure: Record<string, unknown> | null }[]>((s) =>
        `SELECT status, failure FROM ${s}.end_of_day_run WHERE business_date = '2001-02-09'`);
      return run?.status === 'failed' ? run.failure : null;
    });
    expect(failure).toMatchObject({ step: 'replayLoans', loanId: broken.loanId });
    expect(String(failure!['message'])).not.toMatch(/\bat \w+ \(|SELECT|\.ts:/);
    // The worker logs the failure with the tenant, date, step and loan, and the attempt against the retry limit.
    const entry = await until('the failure to be logged', async () => logged.find((e) => e['msg'] === 'end of day failed; the job queue retries it' && e['tenant'] === broken.tenant.slug));
    expect(entry).toMatchObject({ businessDate: '2001-02-09', step: 'replayLoans', loanId: broken.loanId, to: '2001-02-10', attempt: 1, retryLimit: 20 });

    // The others complete while it fails: New York five dates (three jobs of at most two), the rest theirs.
    await until('the other tenants to reach their local dates', async () =>
      (await broughtTo(kolkata.tenant, '2001-02-10')) && (await broughtTo(newYork.tenant, '2001-02-09')) && (await broughtTo(kiritimati.tenant, '2001-02-10')));
    expect(await businessDate(pagoPago.tenant.slug)).toBe('2001-02-09');
    const newYorkSql = tenantSql(runtime.tenantClients.forSchema(newYork.tenant.schemaName), newYork.tenant.schemaName);
    const runs = await newYorkSql.query<{ business_date: string; status: string; started_by: string }[]>((s) =>
      `SELECT business_date::text, status, started_by FROM ${s}.end_of_day_run ORDER BY business_date`);
    expect(runs.map((r) => [r.business_date, r.status])).toEqual(['2001-02-05', '2001-02-06', '2001-02-07', '2001-02-08', '2001-02-09'].map((d) => [d, 'completed']));
    expect(new Set(runs.map((r) => r.started_by))).toEqual(new Set(['system:end-of-day-schedule']));
    expect(await businessDate(broken.tenant.slug)).toBe('2001-02-09');

    // Fixed, it completes on the queue's retry, and goes on to its local date.
    await mend();
    await until('the broken tenant to complete on retry', () => broughtTo(broken.tenant, '2001-02-10'));
    const [retried] = await brokenSql.query<{ attempts: number; failure: unknown }[]>((s) => `SELECT attempts, failure FROM ${s}.end_of_day_run WHERE business_date = '2001-02-09'`);
    expect(retried!.attempts).toBeGreaterThan(1);
    expect(retried!.failure).toBeNull();
  });

  it('never runs more tenants at once than its share of the pool allows', { timeout: 240_000 }, async () => {
    const { runtime } = server;
    const tenants = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => tenantWithLoan(`eod-share-${n}`, 'UTC', '2001-02-06')));
    const slugs = tenants.map((t) => t.tenant.slug);
    // Runs in flight are counted by the database: each holds its tenant's end-of-day advisory lock.
    const locksHeld = async () => {
      const { rows } = await runtime.pool.query<{ n: number }>(`
        WITH keys AS (SELECT hashtextextended('end-of-day:' || id, 0) AS k FROM platform.tenant WHERE slug = ANY($1))
        SELECT count(*)::int AS n FROM pg_locks l JOIN keys ON l.locktype = 'advisory' AND l.granted
           AND l.classid::bigint = (keys.k >> 32) & 4294967295 AND l.objid::bigint = keys.k & 4294967295`, [slugs]);
      return rows[0]!.n;
    };
    let peak = 0;
    runtime.endOfDay.observer = {
      async afterCommit() {
        peak = Math.max(peak, await locksHeld());
        // Until the bound has been reached once, a run waits at its commit for another to start (for a while at
        // most), so that runs overlap; from then on every commit counts the runs in flight.
        const deadline = Date.now() + 10_000;
        while (peak < 2 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          peak = Math.max(peak, await locksHeld());
        }
      },
    };
    try {
      await runtime.endOfDay.tick();
      for (const { tenant } of tenants) await until(`${tenant.slug} to reach its local date`, () => broughtTo(tenant, '2001-02-10'));
    } finally {
      runtime.endOfDay.observer = {};
    }
    expect(peak).toBe(2);
  });

  it('leaves a tenant the migration job has not reached, and closes its days once it has', { timeout: 240_000 }, async () => {
    const { runtime } = server;
    const { tenant } = await tenantWithLoan('eod-lagging', 'UTC', '2001-02-08');
    await runtime.pool.query('UPDATE platform.tenant SET schema_version = NULL WHERE id = $1', [tenant.id]);
    expect(await runtime.endOfDay.tick()).toBe(0);
    expect(await businessDate(tenant.slug)).toBe('2001-02-08');
    await runtime.pool.query('UPDATE platform.tenant SET schema_version = $2 WHERE id = $1', [tenant.id, tenant.schemaVersion]);
    expect(await runtime.endOfDay.tick()).toBe(1);
    await until(`${tenant.slug} to reach its local date`, () => broughtTo(tenant, '2001-02-10'));
  });
});
