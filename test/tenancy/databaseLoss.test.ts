// Losing the database: kill -9 of PostgreSQL's postmaster during a burst of repayments. The gateway (a real
// `npm start` process) stays up, says it is not ready within 5 s, is ready again within 30 s of PostgreSQL's
// return without a restart, posts again, has every acknowledged posting in the books exactly once, and a
// subscriber keeps its socket and, like one resuming from its cursor, sees every event once.
// The PostgreSQL killed here is this file's own, so no other test file loses its database.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/tenancy/embeddedPostgres.js';
import { createPool } from '../../src/tenancy/database.js';
import { loadMigrations } from '../../src/tenancy/migrations.js';
import { provisionTenant } from '../../src/tenancy/provisioning.js';
import { schemaForSlug } from '../../src/tenancy/schemaNames.js';
import { loadOrCreateDevKey, signDevToken } from '../../src/authz/devIssuer.js';
import type { Role } from '../../src/authz/roles.js';
import { createLogger } from '../../src/log.js';
import { freePort } from '../support/ports.js';
import { startServer, type RunningServer } from '../support/process.js';
import { subscribe, until, type Subscriber } from '../support/ws.js';
import { USER_ERRORS } from '../support/harness.js';

const log = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`;
const REPAY = `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`;
const EVENTS = 'subscription($after: String) { events(after: $after) { cursor type } }';
const INVARIANTS = '{ ledgerInvariants { holds unbalancedJournals loansOffLedger controlAccountsOff negativeBalances } }';

let root: string;
let pgPort: number;
/** The running PostgreSQL we started (undefined while it is killed: there is nothing to stop). */
let database: EmbeddedServer | undefined;
let databaseUrl: string;
let gateway: RunningServer;
let receiver: Server | undefined;
let base: string;
let slug: string;
let schema: string;
const tokens: Partial<Record<Role, string>> = {};
const loans: string[] = [];

async function startDatabase(): Promise<EmbeddedServer> {
  return startEmbeddedPostgres({ dataDir: root, port: pgPort, log });
}

/** After kill -9 the postmaster's children take a moment to notice and exit; until then a new one refuses to start. */
async function restartDatabase(): Promise<EmbeddedServer> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await startDatabase();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function gql(query: string, role: Role, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[role]}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(20_000),
  });
  return (await response.json()) as { data?: Record<string, any> | null; errors?: { message: string; extensions: Record<string, any> }[] };
}

async function status(route: string): Promise<number | 'no answer'> {
  try {
    return (await fetch(`${base}${route}`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return 'no answer';
  }
}

async function eventually(condition: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Polls until `route` answers `wanted`; returns how long it took, or throws after `withinMs`. */
async function answers(route: string, wanted: number, withinMs: number): Promise<number> {
  const started = Date.now();
  let answer: number | 'no answer';
  while ((answer = await status(route)) !== wanted) {
    if (Date.now() - started > withinMs) {
      const exit = gateway.child.exitCode === null && gateway.child.signalCode === null ? 'still running'
        : `exited (${gateway.child.exitCode ?? gateway.child.signalCode}):\n${gateway.lines.slice(-15).join('\n')}`;
      throw new Error(`${route} answered ${answer}, not ${wanted}, for ${withinMs} ms; the gateway ${exit}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

interface Posting {
  key: string;
  loanId: string;
  acknowledged?: string;
}

function repaymentInput(posting: Posting) {
  return { idempotencyKey: posting.key, loanId: posting.loanId, amount: '1.00', valueDate: '2026-12-01', channel: 'bank-transfer', externalReference: posting.key };
}

/** Posts one repayment; remembers the posting's id only when the gateway acknowledged it. */
async function post(posting: Posting): Promise<void> {
  try {
    const response = await gql(REPAY, 'servicing-agent', { input: repaymentInput(posting) });
    const payload = response.data?.['postRepayment'];
    const id = payload?.loanTransaction?.id as string | undefined;
    if (!response.errors && payload?.userErrors?.length === 0 && id) posting.acknowledged = id;
  } catch {
    // No answer is no acknowledgement.
  }
}

beforeAll(async () => {
  root = path.join(inject('dataDir'), `database-loss-${randomBytes(4).toString('hex')}`);
  // As root, PostgreSQL runs as the postgres user, which must be able to enter every folder on the way.
  mkdirSync(root, { recursive: true, mode: 0o755 });
  pgPort = await freePort();
  database = await startDatabase();
  databaseUrl = database.url;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const gatewayData = path.join(root, 'gateway');
  gateway = await startServer({
    DATABASE_URL: database.url, DATA_DIR: gatewayData, PORT: String(port), NODE_ENV: 'test', LOG_LEVEL: 'info',
    // Its own database: the job queue's workers run too, as in production, and must ride out the loss as well,
    // with webhook turns in flight when it goes (to a receiver on loopback that takes its time to answer).
    JOBS_ENABLED: 'true', TENANT_REGISTRY_TTL_MS: '0', OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: 'true', OUTBOUND_ALLOWED_PORTS: '1024-65535',
  });
  slug = `loss-${randomBytes(4).toString('hex')}`;
  schema = schemaForSlug(slug);
  const pool = createPool(database.url, 2);
  try {
    await provisionTenant(pool, loadMigrations(), { slug, displayName: 'Loss Lender', currency: 'USD', timeZone: 'UTC', sandbox: true, businessDate: '2026-12-01' }, new Date());
  } finally {
    await pool.end();
  }
  const key = await loadOrCreateDevKey(gatewayData, 'test');
  for (const role of ['disbursement-officer', 'servicing-agent', 'tenant-admin', 'finance'] as const) {
    tokens[role] = await signDevToken(key, { issuer: `${base}/dev-issuer`, audience: 'lendgraph-api', role, tenant: slug, subject: `${role}-1`, now: new Date() });
  }
  const slowReceiver = createServer((request, response) => {
    request.resume();
    setTimeout(() => response.writeHead(200).end(), 150);
  });
  receiver = slowReceiver;
  await new Promise<void>((resolve) => slowReceiver.listen(0, '127.0.0.1', resolve));
  const endpoint = await gql(`mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { webhookEndpoint { id } ${USER_ERRORS} } }`, 'tenant-admin', {
    input: { url: `http://127.0.0.1:${(slowReceiver.address() as AddressInfo).port}/hooks`, eventTypes: ['loan.*'] },
  });
  expect(endpoint.data!['registerWebhookEndpoint'].userErrors).toEqual([]);
  for (let i = 0; i < 4; i += 1) {
    const response = await gql(DISBURSE, 'disbursement-officer', {
      input: { idempotencyKey: `loss-loan-${slug}-${i}`, productCode: 'PL-STD', principal: '10000', numberOfRepayments: 12, disbursementDate: '2026-12-01' },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!['disburseLoan'].userErrors).toEqual([]);
    loans.push(response.data!['disburseLoan'].loan.id as string);
  }
});

afterAll(async () => {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  await database?.stop().catch(() => undefined);
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('losing PostgreSQL', () => {
  it('kill -9 of the postmaster mid-burst: the gateway stays up, is unready then ready again, posts again, loses and doubles nothing; subscribers miss nothing', async () => {
    // A subscriber from the beginning of the tenant's events, connected through the whole outage.
    const live: Subscriber = subscribe(`${base.replace('http', 'ws')}/graphql`, { authorization: `Bearer ${tokens['tenant-admin']}` }, EVENTS, { after: '0' });
    let liveClosed = false;
    void live.closed.then(() => (liveClosed = true));
    await until(() => live.results.length >= loans.length, 20_000);
    const cursorBeforeLoss = live.results.at(-1)!['data'].events.cursor as string;

    const pgData = (await sql<{ data_directory: string }>('SHOW data_directory'))[0]!.data_directory;
    const postmaster = Number(readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]);

    // The burst: eight at a time across four loans; PostgreSQL is killed once 30 have been acknowledged.
    const postings: Posting[] = Array.from({ length: 200 }, (_, i) => ({ key: `loss-${slug}-${i}`, loanId: loans[i % loans.length]! }));
    let next = 0;
    let killedAt = 0;
    const worker = async () => {
      while (next < postings.length) {
        const posting = postings[next++]!;
        await post(posting);
        if (!killedAt && postings.filter((p) => p.acknowledged).length >= 30) {
          killedAt = Date.now();
          process.kill(postmaster, 'SIGKILL');
          database = undefined;
        }
      }
    };
    const burst = Promise.all(Array.from({ length: 8 }, worker));

    await until(() => killedAt > 0, 60_000);
    // Not ready within 5 s of the loss; alive and healthy all along.
    await answers('/readyz', 503, 5_000);
    const unreadyMs = Date.now() - killedAt;
    expect(unreadyMs).toBeLessThan(5_000);
    await burst;
    expect(gateway.child.exitCode).toBeNull();
    expect(await status('/healthz')).toBe(200);
    expect(await status('/readyz')).toBe(503);
    const acknowledgedBeforeLoss = postings.filter((p) => p.acknowledged).length;
    expect(acknowledgedBeforeLoss).toBeGreaterThanOrEqual(30);
    expect(acknowledgedBeforeLoss).toBeLessThan(postings.length);
    // While the database is gone the process keeps retrying its LISTEN connection, and stays alive.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(gateway.child.exitCode).toBeNull();

    // PostgreSQL returns on the same data folder and port: ready again within 30 s, no restart of the gateway.
    database = await restartDatabase();
    const readyMs = await answers('/readyz', 200, 30_000);
    expect(readyMs).toBeLessThan(30_000);
    process.stdout.write(`database loss: /readyz 503 ${unreadyMs} ms after the kill, 200 ${readyMs} ms after PostgreSQL was back; ${postings.filter((p) => p.acknowledged).length} of ${postings.length} acknowledged before\n`);
    await until(() => gateway.logs.some((l) => l['msg'] === 'outbox listener re-established'), 30_000);
    expect(gateway.logs.some((l) => l['msg'] === 'database connection lost')).toBe(true);

    // Postings resume. A client that had no answer repeats its request with the same idempotency key: the
    // gateway either posts it now or returns what it had committed before the loss, never a second posting.
    const unanswered = postings.filter((p) => !p.acknowledged);
    for (const posting of unanswered) await post(posting);
    expect(unanswered.filter((p) => !p.acknowledged).map((p) => p.key)).toEqual([]);
    const fresh: Posting[] = Array.from({ length: 10 }, (_, i) => ({ key: `loss-${slug}-after-${i}`, loanId: loans[i % loans.length]! }));
    await Promise.all(fresh.map(post));
    expect(fresh.every((p) => p.acknowledged)).toBe(true);

    // The job queue's workers (webhook delivery) poll again without errors from here on.
    const sinceRecovery = { logs: gateway.logs.length, at: Date.now() };

    // Every acknowledged posting is in the books exactly once, under the id the gateway gave.
    const all = [...postings, ...fresh];
    const rows = await sql<{ id: string; external_reference: string }>(
      `SELECT id, external_reference FROM "${schema}".loan_transaction WHERE external_reference LIKE $1`, [`loss-${slug}-%`]);
    expect(rows.length).toBe(all.length);
    const byReference = new Map(rows.map((row) => [row.external_reference, row.id]));
    expect(byReference.size).toBe(all.length);
    for (const posting of all) expect(byReference.get(posting.key)).toBe(decodeGlobalID(posting.acknowledged!).id);
    const invariants = await gql(INVARIANTS, 'finance');
    expect(invariants.data?.['ledgerInvariants'], JSON.stringify(invariants.data)).toMatchObject({ holds: true });

    // The subscriber kept its socket and received every committed event once, in order, no gap: the same as
    // the table once everything committed has been settled (numbered).
    let settled: number[] = [];
    await eventually(async () => {
      const events = await sql<{ seq: string | null }>(`SELECT seq FROM "${schema}".outbox_event ORDER BY seq NULLS LAST`);
      settled = events.every((row) => row.seq !== null) ? events.map((row) => Number(row.seq)) : [];
      return settled.length > 0 && live.results.length >= settled.length;
    }, 30_000);
    expect(liveClosed).toBe(false);
    const received = live.results.map((r) => Number(r['data'].events.cursor));
    expect(received).toEqual(settled);

    // Resuming from a cursor taken before the loss: everything after it, once, in order.
    const resumed = subscribe(`${base.replace('http', 'ws')}/graphql`, { authorization: `Bearer ${tokens['tenant-admin']}` }, EVENTS, { after: cursorBeforeLoss });
    const expected = settled.filter((seq) => seq > Number(cursorBeforeLoss));
    await until(() => resumed.results.length >= expected.length, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(resumed.results.map((r) => Number(r['data'].events.cursor))).toEqual(expected);
    await resumed.stop();
    await live.stop();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, sinceRecovery.at + 5_000 - Date.now())));
    expect(gateway.logs.slice(sinceRecovery.logs).filter((l) => l['msg'] === 'job queue error')).toEqual([]);
    expect(gateway.child.exitCode).toBeNull();
  }, 240_000);
});
