// Tenants placed on more than one PostgreSQL server by the registry, served by one set of gateways. The registry
// (the platform schema, in a database of this file's own on the test run's server: `main`) names a database for
// each tenant; a gateway given a second
// embedded server as `east` (TENANT_DATABASES) onboards a lender there, and serves it and a lender on `main` side
// by side: writes land on the tenant's own server, its commits are settled there (events numbered, the audit chain
// linked), its subscribers and its webhooks hear them, end of day moves its date, the migration runner and
// readiness reach it. `npm run backup -- move --to-database` then brings it to `main` while repayments keep
// arriving, without losing one, and the same gateway serves it from there. A database that is down fails only its
// own tenants.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/tenancy/embeddedPostgres.js';
import { createPool } from '../../src/tenancy/database.js';
import { createLogger } from '../../src/log.js';
import { migrateAll } from '../../src/tenancy/migrations.js';
import { readinessCheck } from '../../src/readiness.js';
import { schemaDigests } from '../../src/operations/tenantTables.js';
import { sealedUnderOtherKeys } from '../../src/operations/resealing.js';
import { schemaForSlug } from '../../src/tenancy/schemaNames.js';
import { devToken, gql, startTestServer, testEnv, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';
import { freePort } from '../support/ports.js';
import { ownDatabase, type OwnDatabase } from '../support/ownDatabase.js';
import { runScript } from '../support/process.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { subscribe, until } from '../support/ws.js';

const log = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
const DATE = '2026-03-02';
const CREATE = `mutation($input: CreateTenantInput!) { createTenant(input: $input) { created tenant { slug status database schemaVersion schemaUpToDate businessDate } ${USER_ERRORS} } }`;
const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`;
const REPAY = `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`;
const LOAN = `query($id: ID!) { node(id: $id) { ... on Loan { id number status account { outstanding { principal interest } instalments { number dueDate paid { principal interest } } }
  transactions { id kind amount valueDate } } } }`;
const CHECKS = '{ ledgerInvariants { holds loans journals } auditChainVerification { intact records } }';
const EVENTS = 'subscription { events(types: ["loan.*"]) { cursor type aggregateId } }';

let root: string;
let east: EmbeddedServer;
let eastStopped = false;
let eastPool: ReturnType<typeof createPool>;
let server: TestServer;
let receiver: Receiver;
// A registry of this file's own, in a database of its own on the test run's server: other files' processes share
// the run's registry, and one of them started while a tenant here is placed on `east` would (rightly) refuse to start.
let mainDatabase: OwnDatabase;
let mainUrl: string;
const placed = uniqueSlug('placed');
const local = uniqueSlug('local');
const keys = () => `placement-${randomUUID()}`;

const tokenFor = (role: Parameters<typeof devToken>[1], slug: string) => devToken(server.runtime, role, slug);
async function ask(slug: string, query: string, variables: Record<string, unknown> = {}) {
  return gql(server.gateway, query, { token: await tokenFor('tenant-admin', slug), variables });
}
async function bookLoan(slug: string): Promise<string> {
  const booked = await ask(slug, DISBURSE, { input: { idempotencyKey: keys(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 12, disbursementDate: '2026-01-02' } });
  expect(booked.errors).toBeUndefined();
  expect(userErrors(booked, 'disburseLoan')).toEqual([]);
  return booked.data!['disburseLoan'].loan.id as string;
}
async function repay(slug: string, loanId: string, amount = '100') {
  return ask(slug, REPAY, { input: { loanId, amount, valueDate: DATE, channel: 'test', idempotencyKey: keys() } });
}
async function schemaOn(pool: { query: ReturnType<typeof createPool>['query'] }, schema: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return Boolean(rowCount);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'lendgraph-placement-'));
  chmodSync(root, 0o755);
  east = await startEmbeddedPostgres({ dataDir: path.join(root, 'east'), port: await freePort(), log, ephemeral: true });
  eastPool = createPool(east.url, 2);
  receiver = await startReceiver();
  mainDatabase = await ownDatabase('placement');
  mainUrl = mainDatabase.url;
  // Webhook workers on a queue schema of this file's own (on both databases), so no other file's process takes its jobs.
  server = await startTestServer({
    DATABASE_URL: mainUrl, TENANT_DATABASES: `east=${east.url}`, JOBS_ENABLED: 'true', JOBS_SCHEMA: 'pgboss_placement_test',
    OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: 'true', OUTBOUND_ALLOWED_PORTS: '1024-65535',
  });
  const platform = await devToken(server.runtime, 'platform-admin');
  for (const [slug, database] of [[placed, 'east'], [local, undefined]] as const) {
    const created = await gql(server.gateway, CREATE, {
      token: platform,
      variables: { input: { slug, displayName: `Lender ${slug}`, currency: 'USD', timeZone: 'UTC', sandbox: true, businessDate: DATE, ...(database ? { database } : {}) } },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data!['createTenant']).toMatchObject({ created: true, tenant: { status: 'ACTIVE', database: database ?? 'main', schemaUpToDate: true, businessDate: DATE } });
  }
}, 180_000);

afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await eastPool?.end();
  if (!eastStopped) await east?.stop();
  await mainDatabase?.drop();
  rmSync(root, { recursive: true, force: true });
});

describe('tenants placed on two PostgreSQL servers, served by one gateway', () => {
  it('onboards a lender onto the named database: its schema there only, the registry entry on the platform database', async () => {
    const schema = schemaForSlug(placed);
    expect(await schemaOn(eastPool, schema)).toBe(true);
    expect(await schemaOn(server.runtime.pool, schema)).toBe(false);
    expect(await schemaOn(server.runtime.pool, schemaForSlug(local))).toBe(true);
    expect(await schemaOn(eastPool, schemaForSlug(local))).toBe(false);
    // The sandbox's seed went with the schema: its products are there.
    const { rows } = await eastPool.query(`SELECT code FROM ${schema}.loan_product WHERE code = 'PL-STD'`);
    expect(rows).toHaveLength(1);
    // A repeat of the same request finds it made; a database this platform does not have is refused, naming the field, writing nothing.
    const platform = await devToken(server.runtime, 'platform-admin');
    const again = await gql(server.gateway, CREATE, { token: platform, variables: { input: { slug: placed, displayName: `Lender ${placed}`, currency: 'USD', timeZone: 'UTC', sandbox: true, businessDate: DATE, database: 'east' } } });
    expect(again.data!['createTenant']).toMatchObject({ created: false, tenant: { database: 'east' } });
    const elsewhere = await gql(server.gateway, CREATE, { token: platform, variables: { input: { slug: placed, displayName: `Lender ${placed}`, currency: 'USD', timeZone: 'UTC', sandbox: true, businessDate: DATE } } });
    expect(elsewhere.data!['createTenant'].userErrors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.database' })]);
    const nowhere = uniqueSlug('nowhere');
    const refused = await gql(server.gateway, CREATE, { token: platform, variables: { input: { slug: nowhere, displayName: 'Nowhere', currency: 'USD', timeZone: 'UTC', database: 'west' } } });
    expect(refused.data!['createTenant'].userErrors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.database' })]);
    expect(refused.data!['createTenant'].userErrors[0].message).not.toContain('postgres://');
    expect(await server.runtime.registry.findBySlug(nowhere)).toBeNull();
  });

  it('finds each tenant\'s schema on its own database when keys are rotated', async () => {
    // Every tenant is looked for on the database the registry places it on: both are counted, each where it lives.
    const counted = await sealedUnderOtherKeys(server.runtime.databases, server.runtime.dataKey, [placed, local]);
    expect(counted).toEqual([placed, local].sort().map((slug) => ({ slug, left: 0 })));
  });

  it('a gateway not told where a tenant is placed refuses to start, naming the database and no URL', async () => {
    const started = await runScript('src/main.ts', [], await testEnv({ DATABASE_URL: mainUrl, MIGRATE_ON_START: 'false' }));
    expect(started.code).not.toBe(0);
    expect(started.stdout + started.stderr).toMatch(/tenants are placed on "east", which TENANT_DATABASES does not name/);
    expect(started.stdout + started.stderr).not.toContain(east.url);
  }, 60_000);

  it('keeps where a tenant lives to platform admins: its own staff and partners are refused the field', async () => {
    const own = await ask(placed, '{ currentTenant { slug database } }');
    expect(own.errors?.map((e) => e.extensions['code'])).toEqual(['FORBIDDEN']);
    const other = await ask(local, `{ tenants(first: 5) { edges { node { slug database } } } }`);
    expect(other.errors?.map((e) => e.extensions['code'])).toEqual(['FORBIDDEN']);
    const platform = await gql(server.gateway, `{ tenants(first: 100) { edges { node { slug database } } } }`, { token: await devToken(server.runtime, 'platform-admin') });
    const nodes = (platform.data!['tenants'].edges as { node: { slug: string; database: string } }[]).map((edge) => edge.node);
    expect(nodes).toEqual(expect.arrayContaining([{ slug: placed, database: 'east' }, { slug: local, database: 'main' }]));
  });

  it('serves both: writes land on each tenant\'s own server, settled there, heard by its subscribers and webhooks; neither sees the other', async () => {
    const endpoint = await ask(placed, `mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { webhookEndpoint { id } ${USER_ERRORS} } }`,
      { input: { url: receiver.url('/east'), eventTypes: ['loan.*'] } });
    expect(userErrors(endpoint, 'registerWebhookEndpoint')).toEqual([]);
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${await tokenFor('tenant-admin', placed)}` }, EVENTS);
    const localLive = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${await tokenFor('tenant-admin', local)}` }, EVENTS);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const eastLoan = await bookLoan(placed);
      const localLoan = await bookLoan(local);
      const paid = await repay(placed, eastLoan);
      expect(userErrors(paid, 'postRepayment')).toEqual([]);
      expect(userErrors(await repay(local, localLoan, '55'), 'postRepayment')).toEqual([]);

      const eastSchema = schemaForSlug(placed);
      const { rows: onEast } = await eastPool.query(`SELECT kind, amount::text FROM ${eastSchema}.loan_transaction WHERE kind = 'repayment'`);
      expect(onEast).toEqual([{ kind: 'repayment', amount: '100.0000' }]);
      // The subscription and the webhook hear the east tenant's commit (LISTEN there; its job queue there).
      await until(() => live.results.some((r) => r['data']?.['events']?.type === 'loan.repaymentPosted'), 15_000);
      await until(() => receiver.received.some((r) => r.path === '/east' && JSON.parse(r.body).type === 'loan.repaymentPosted'), 30_000);
      await until(() => localLive.results.some((r) => r['data']?.['events']?.type === 'loan.repaymentPosted'), 15_000);
      const { rows: [queued] } = await eastPool.query<{ n: string }>(`SELECT count(*)::text AS n FROM pgboss_placement_test.job WHERE name = 'webhook-delivery'`);
      expect(Number(queued!.n)).toBeGreaterThan(0);
      // Each subscriber saw its own tenant's events, once each, and none of the other's.
      const eastCursors = live.results.map((r) => r['data']['events'].cursor);
      expect(eastCursors.length).toBe(new Set(eastCursors).size);
      const mentions = (results: Record<string, any>[], loan: string) => JSON.stringify(results).includes(decodeGlobalID(loan).id) || JSON.stringify(results).includes(loan);
      expect(mentions(live.results, eastLoan)).toBe(true);
      expect(mentions(live.results, localLoan)).toBe(false);
      expect(mentions(localLive.results, localLoan)).toBe(true);
      expect(mentions(localLive.results, eastLoan)).toBe(false);
  
      // The settler numbered and chained the east tenant's commits on its server.
      const { rows: [unsettled] } = await eastPool.query<{ n: string }>(
        `SELECT ((SELECT count(*) FROM ${eastSchema}.outbox_event WHERE seq IS NULL) + (SELECT count(*) FROM ${eastSchema}.audit_record WHERE seq IS NULL))::text AS n`);
      expect(unsettled!.n).toBe('0');
      for (const slug of [placed, local]) {
        expect((await ask(slug, CHECKS)).data).toMatchObject({ ledgerInvariants: { holds: true }, auditChainVerification: { intact: true } });
      }
      // A tenant's loan is not found through the other tenant's token.
      const crossed = await ask(local, LOAN, { id: eastLoan });
      expect(crossed.data?.['node'] ?? null).toBeNull();
    } finally {
      await live.stop();
      await localLive.stop();
    }
  }, 120_000);

  it('runs end of day for the east tenant: its run on its server, its date moved in the registry', async () => {
    const ran = await ask(placed, `mutation { runEndOfDay(input: {}) { endOfDayRuns { businessDate status } ${USER_ERRORS} } }`);
    expect(userErrors(ran, 'runEndOfDay')).toEqual([]);
    expect(ran.data!['runEndOfDay'].endOfDayRuns).toEqual([{ businessDate: '2026-03-03', status: 'COMPLETED' }]);
    const { rows } = await eastPool.query(`SELECT business_date::text, status FROM ${schemaForSlug(placed)}.end_of_day_run`);
    expect(rows).toEqual([{ business_date: '2026-03-03', status: 'completed' }]);
    server.runtime.registry.forget(placed);
    expect((await server.runtime.registry.findBySlug(placed))!.businessDate).toBe('2026-03-03');
  }, 120_000);

  it('migrates the east tenant on its server and keeps the registry\'s version in step', async () => {
    const report = await migrateAll(server.runtime.databases, server.runtime.migrations, { concurrency: 2, only: [placed, local] });
    expect(report.failed).toEqual([]);
    expect(report.tenants.map((t) => t.tenant).sort()).toEqual([placed, local].sort());
    const { rows: [version] } = await eastPool.query<{ v: string }>(`SELECT max(id) AS v FROM ${schemaForSlug(placed)}.schema_migration`);
    expect((await server.runtime.registry.findBySlug(placed))!.schemaVersion).toBe(version!.v);
  });

  it('moves the east tenant to main while repayments arrive: every acknowledged one is there, and the same gateway serves it', async () => {
    const loanId = await bookLoan(placed);
    const quiet = await bookLoan(placed);
    const before = (await ask(placed, LOAN, { id: quiet })).data;
    const acknowledged: string[] = [];
    const refusals: string[] = [];
    let moving = true;
    const pay = async () => {
      const response = await repay(placed, loanId, '1.00');
      if (response.data?.['postRepayment']?.loanTransaction) acknowledged.push(response.data['postRepayment'].loanTransaction.id as string);
      else refusals.push(...(response.errors ?? []).map((e) => e.extensions['code'] as string), ...(response.data?.['postRepayment']?.userErrors ?? []).map((e: { code: string }) => e.code));
    };
    // A dashboard subscribed before the move: its stream, reading through a context made for east, must not go on
    // past the move; it ends saying where to resume, and a new subscription from there reads from main.
    const watching = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${await tokenFor('tenant-admin', placed)}` }, EVENTS);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await pay();
    const writer = (async () => { while (moving) await pay(); })();
    const env = await testEnv({ DATABASE_URL: mainUrl, TENANT_DATABASES: `east=${east.url}`, TENANT_REGISTRY_TTL_MS: '500' });
    const moved = await runScript('src/cli/backup.ts', ['move', placed, '--to-database', 'main', '--via', path.join(root, 'via')], env)
      .finally(() => { moving = false; });
    await writer;
    expect(moved.stderr).toBe('');
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(new RegExp(`moved ${placed} from east to main: \\d+ tables, \\d+ rows, the same on both; active there`));
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['TENANT_SUSPENDED']));

    const schema = schemaForSlug(placed);
    server.runtime.registry.forget(placed);
    expect(await server.runtime.registry.findBySlug(placed)).toMatchObject({ database: 'main', status: 'active', statusReason: null });
    // The command compared every table on both servers before switching (its output says so). The old copy is left
    // on east, unused, for an operator to drop: everything in it is on main, which has since taken the repayments
    // that arrived after the switch.
    const [mainTables, eastTables] = await Promise.all([schemaDigests(server.runtime.pool, schema), schemaDigests(eastPool, schema)]);
    expect(Object.keys(mainTables).sort()).toEqual(Object.keys(eastTables).sort());
    for (const table of Object.keys(eastTables)) expect(mainTables[table]!.rows).toBeGreaterThanOrEqual(eastTables[table]!.rows);
    const idsOn = async (pool: { query: ReturnType<typeof createPool>['query'] }) =>
      (await pool.query<{ id: string }>(`SELECT id::text FROM ${schema}.loan_transaction`)).rows.map((row) => row.id);
    const [mainIds, eastIds] = await Promise.all([idsOn(server.runtime.pool), idsOn(eastPool)]);
    expect(mainIds).toEqual(expect.arrayContaining(eastIds));
    for (const id of acknowledged) expect(mainIds).toContain(decodeGlobalID(id).id);

    expect((await ask(placed, LOAN, { id: quiet })).data).toEqual(before);
    const after = await repay(placed, quiet, '100');
    expect(after.errors).toBeUndefined();
    expect(userErrors(after, 'postRepayment')).toEqual([]);
    const { rows: onMain } = await server.runtime.pool.query(`SELECT 1 FROM ${schema}.loan_transaction WHERE loan_id = $1 AND kind = 'repayment'`,
      [decodeGlobalID(quiet).id]);
    expect(onMain).toHaveLength(1);

    const ended = () => (watching.errors[0] as { extensions?: Record<string, any> }[] | undefined)
      ?? (watching.results.find((r) => r['errors'])?.['errors'] as { extensions?: Record<string, any> }[] | undefined);
    await until(() => ended() !== undefined, 15_000);
    const [stop] = ended()!;
    expect(['TENANT_SUSPENDED', 'TENANT_MIGRATING']).toContain(stop!.extensions!['code']);
    const resumeAfter = String(stop!.extensions!['resumeAfter']);
    expect(resumeAfter).toMatch(/^\d+$/);
    await watching.stop();
    const resumed = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${await tokenFor('tenant-admin', placed)}` },
      'subscription($after: String) { events(after: $after, types: ["loan.*"]) { cursor type aggregateId } }', { after: resumeAfter });
    try {
      await until(() => resumed.results.some((r) => r['data']?.['events']?.aggregateId === quiet && r['data']['events'].type === 'loan.repaymentPosted'), 15_000);
      expect(resumed.errors).toEqual([]);
    } finally {
      await resumed.stop();
    }
    const { rows: notOnEast } = await eastPool.query(`SELECT 1 FROM ${schema}.loan_transaction WHERE loan_id = $1 AND kind = 'repayment'`,
      [decodeGlobalID(quiet).id]);
    expect(notOnEast).toHaveLength(0);
    expect((await ask(placed, CHECKS)).data).toMatchObject({ ledgerInvariants: { holds: true }, auditChainVerification: { intact: true } });
  }, 300_000);

  it('stays ready, and starts, when a database tenants are placed on is down: only its tenants fail', async () => {
    const platform = await devToken(server.runtime, 'platform-admin');
    const again = uniqueSlug('placed-again');
    const created = await gql(server.gateway, CREATE, { token: platform, variables: { input: { slug: again, displayName: 'Again', currency: 'USD', timeZone: 'UTC', sandbox: true, businessDate: DATE, database: 'east' } } });
    expect(created.data!['createTenant'].tenant).toMatchObject({ database: 'east', status: 'ACTIVE' });
    await eastPool.end();
    await east.stop();
    eastStopped = true;
    const readiness = await readinessCheck(server.runtime.databases, server.runtime.migrations, server.runtime.log)();
    expect(readiness).toMatchObject({ status: 200, body: { status: 'ready', databasesUnreachable: 1 } });
    const down = await ask(again, '{ loans(first: 1) { edges { node { id } } } }');
    expect(down.errors?.[0]?.extensions['code']).toBe('INTERNAL');
    expect(JSON.stringify(down)).not.toMatch(/postgres:|ECONNREFUSED|at .*\.ts/);
    const up = await ask(local, '{ loans(first: 1) { edges { node { id } } } }');
    expect(up.errors).toBeUndefined();
    // The settle sweep still sweeps main; the migration runner reports east's tenant and goes on.
    await expect(server.runtime.settler.sweep({ everySchema: true })).resolves.toMatchObject({ listed: expect.any(Number) });
    const report = await migrateAll(server.runtime.databases, server.runtime.migrations, { concurrency: 2, only: [again, local] });
    expect(report.failed.map((f) => f.tenant)).toEqual([again]);
    expect(report.tenants.find((t) => t.tenant === local)?.error).toBeUndefined();
    // A replica started while east is down starts (its listener and job queue there are opened when east answers)
    // and serves main's tenants.
    const another = await startTestServer({ DATABASE_URL: mainUrl, TENANT_DATABASES: `east=${east.url}`, JOBS_ENABLED: 'true', JOBS_SCHEMA: 'pgboss_placement_test' });
    try {
      const served = await gql(another.gateway, '{ loans(first: 1) { edges { node { id } } } }', { token: await devToken(another.runtime, 'tenant-admin', local) });
      expect(served.errors).toBeUndefined();
      expect((await fetch(`${another.gateway.url}/readyz`)).status).toBe(200);
    } finally {
      await another.close();
    }
    eastPool = createPool(east.url, 1);
  }, 60_000);
});
