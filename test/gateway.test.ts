// The gateway over real HTTP and WebSocket: one path for both, health and readiness, the offline explorer,
// tenant onboarding and suspension through the API, error codes and masking, query limits.
import zlib from 'node:zlib';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestServer } from './support/harness.js';
import { codes, createTenant, devToken, gql, openTestRuntime, startTestServer, uniqueSlug, userErrors, USER_ERRORS } from './support/harness.js';
import { startGateway } from '../src/gateway.js';
import { subscribe, until } from './support/ws.js';
import type { TenantRecord } from '../src/tenancy/registry.js';
import { SANDBOX_COUNTS } from '../src/tenancy/sandboxSeed.js';
import { parse } from 'graphql';
import WebSocket from 'ws';
import { importJWK, SignJWT } from 'jose';
import { MAX_NODE_IDS, querySize } from '../src/graph/limits.js';
import { migrateAll } from '../src/tenancy/migrations.js';
import { readinessCheck } from '../src/readiness.js';

let server: TestServer;
let tenant: TenantRecord;
let other: TenantRecord;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  [tenant, other] = await Promise.all([
    createTenant(server.runtime, uniqueSlug('gw'), { sandbox: true }),
    createTenant(server.runtime, uniqueSlug('gw-other'), { sandbox: true }),
  ]);
  admin = await devToken(server.runtime, 'platform-admin');
});
afterAll(async () => {
  await server.close();
});

const PARTIES = '{ parties(first: 5) { edges { node { id legalName } } } }';

describe('HTTP endpoints', () => {
  it('/healthz says the process is alive and /readyz that the database is reachable and migrated', async () => {
    expect(await (await fetch(`${server.gateway.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('one tenant behind the latest migration keeps the replica ready: that tenant answers TENANT_MIGRATING (503, Retry-After) over HTTP and WebSocket until migrated, the others are served', async () => {
    const lagging = await createTenant(server.runtime, uniqueSlug('gw-lag'), { sandbox: true });
    const staff = await devToken(server.runtime, 'finance', lagging.slug);
    // The registry's record is what a replica reads: a schema the migration job has not reached yet.
    await server.runtime.pool.query('UPDATE platform.tenant SET schema_version = NULL WHERE id = $1', [lagging.id]);
    try {
      const ready = await fetch(`${server.gateway.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', tenantsMigrating: 1 });

      const refused = await gql(server.gateway, PARTIES, { token: staff });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('30');
      expect(refused.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'TENANT_MIGRATING', retryAfter: 30 }) })]);
      expect(refused.data ?? null).toBeNull();
      const ws = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${staff}` }, 'subscription { heartbeat { at } }');
      expect(await ws.closed).toMatchObject({ code: 4503, reason: 'TENANT_MIGRATING' });
      expect((await gql(server.gateway, PARTIES, { token: await devToken(server.runtime, 'finance', tenant.slug) })).errors).toBeUndefined();

      // The migration job reaches it: served again, the replica never having left service.
      const report = await migrateAll(server.runtime.pool, server.runtime.migrations, { concurrency: 1, behindOnly: true });
      expect(report.failed).toEqual([]);
      expect((await gql(server.gateway, PARTIES, { token: staff })).errors).toBeUndefined();
      expect(await (await fetch(`${server.gateway.url}/readyz`)).json()).toEqual({ status: 'ready' });
    } finally {
      await server.runtime.pool.query('UPDATE platform.tenant SET schema_version = $2 WHERE id = $1 AND schema_version IS NULL', [lagging.id, lagging.schemaVersion]);
    }
  });

  it('/readyz fails while the platform schema is behind this build, and a build whose tenant migrations no schema has yet is still ready', async () => {
    const future = (scope: 'platform' | 'tenant') => [...server.runtime.migrations, { id: '99990101000000_future', scope, sql: '', checksum: '' }];
    const platformBehind = await readinessCheck(server.runtime.pool, future('platform'), server.runtime.log)();
    expect(platformBehind).toEqual({ status: 503, body: { status: 'migrating', schemasBehind: 1 } });
    const tenantsBehind = await readinessCheck(server.runtime.pool, future('tenant'), server.runtime.log)();
    expect(tenantsBehind.status).toBe(200);
    expect(tenantsBehind.body.tenantsMigrating).toBeGreaterThanOrEqual(2);
  });

  it('a gateway whose port is taken undoes what it started: the live feed, the settler, the job workers and Apollo stop', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const runtime = await openTestRuntime({ PORT: String((blocker.address() as AddressInfo).port) });
    try {
      const stops = [vi.spyOn(runtime.feed, 'stop'), vi.spyOn(runtime.settler, 'stop'), vi.spyOn(runtime.webhooks, 'stop'), vi.spyOn(runtime.endOfDay, 'stop'), vi.spyOn(runtime.messages, 'stop')];
      await expect(startGateway(runtime)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      for (const stop of stops) expect(stop).toHaveBeenCalled();
    } finally {
      await runtime.close();
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('serves the explorer from local files only, with no CDN', async () => {
    const page = await fetch(server.gateway.explorerUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(references.length).toBeGreaterThan(0);
    for (const ref of references) expect(ref).not.toMatch(/^(https?:)?\/\//);
    const script = references.find((ref) => ref.endsWith('.js'))!;
    const asset = await fetch(new URL(script, server.gateway.explorerUrl));
    expect(asset.status).toBe(200);
    expect(html).toContain(server.gateway.websocketUrl);
  });

  it('echoes the caller\'s request id', async () => {
    const response = await gql(server.gateway, '{ viewer { subject } }', { token: admin, headers: { 'x-request-id': 'partner-req-42' } });
    expect(response.headers.get('x-request-id')).toBe('partner-req-42');
  });
});

describe('GraphQL over HTTP and WebSocket at one path', () => {
  it('answers queries over HTTP with the tenant resolved from the token', async () => {
    const token = await devToken(server.runtime, 'underwriter', tenant.slug);
    const response = await gql(server.gateway, '{ viewer { roles tenants } currentTenant { slug businessDate currency } }', { token });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      viewer: { roles: ['UNDERWRITER'], tenants: [tenant.slug] },
      currentTenant: { slug: tenant.slug, businessDate: tenant.businessDate, currency: 'USD' },
    });
  });

  it('streams subscriptions over graphql-ws on the same path', async () => {
    const token = await devToken(server.runtime, 'servicing-agent', tenant.slug);
    const subscriber = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, 'subscription { heartbeat(everySeconds: 5) { at businessDate } }');
    await until(() => subscriber.results.length > 0);
    expect(subscriber.results[0]).toMatchObject({ data: { heartbeat: { businessDate: tenant.businessDate } } });
    await subscriber.stop();
  });

  it('refuses a WebSocket without a token at connection_init', async () => {
    const subscriber = subscribe(server.gateway.websocketUrl, {}, 'subscription { heartbeat { at } }');
    expect(await subscriber.closed).toMatchObject({ code: 4401, reason: 'UNAUTHENTICATED' });
  });

  /** A graphql-ws socket whose connection_init was acknowledged, and every message it has received. */
  async function acknowledgedSocket(token: string) {
    const socket = new WebSocket(server.gateway.websocketUrl, 'graphql-transport-ws');
    const messages: Record<string, any>[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await until(() => messages.some((m) => m['type'] === 'connection_ack'));
    return { socket, messages };
  }

  it('refuses over WebSocket what HTTP refuses before running it, with the same codes: variables that do not fit, an operation it cannot tell', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    const { socket, messages } = await acknowledgedSocket(token);
    const errorsOf = async (id: string, payload: Record<string, unknown>) => {
      socket.send(JSON.stringify({ id, type: 'subscribe', payload }));
      await until(() => messages.some((m) => m['id'] === id && (m['type'] === 'error' || m['type'] === 'complete')));
      const answer = messages.find((m) => m['id'] === id && m['type'] === 'error');
      return (answer?.['payload'] ?? []).map((e: { extensions: Record<string, unknown> }) => [e.extensions['code'], e.extensions['reason'], e.extensions['field']]);
    };
    const EVENTS_AFTER = 'subscription($a: String) { events(after: $a) { cursor } }';
    expect(await errorsOf('1', { query: EVENTS_AFTER, variables: { a: 123 } })).toEqual([['BAD_USER_INPUT', 'BAD_VARIABLES', 'a']]);
    expect(await errorsOf('2', { query: EVENTS_AFTER, variables: { a: { x: 1 } } })).toEqual([['BAD_USER_INPUT', 'BAD_VARIABLES', 'a']]);
    expect(await errorsOf('3', { query: 'query($x: Int!) { events(first: $x) { edges { cursor } } }', variables: {} })).toEqual([['BAD_USER_INPUT', 'BAD_VARIABLES', 'x']]);
    const manyBad = await errorsOf('3b', { query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids: Array.from({ length: 60 }, () => ({ x: 1 })) } });
    expect(manyBad.length).toBeGreaterThan(50);
    expect(manyBad.filter(([code, reason]: unknown[]) => code !== 'BAD_USER_INPUT' || reason !== 'BAD_VARIABLES')).toEqual([]);
    expect(await errorsOf('4', { query: 'query A { __typename } query B { __typename }' })).toEqual([['BAD_USER_INPUT', 'OPERATION_RESOLUTION_FAILURE', undefined]]);
    expect(await errorsOf('5', { query: 'query A { __typename }', operationName: 'Nope' })).toEqual([['BAD_USER_INPUT', 'OPERATION_RESOLUTION_FAILURE', undefined]]);
    // The socket is still good for what fits.
    socket.send(JSON.stringify({ id: '6', type: 'subscribe', payload: { query: 'query A { __typename }', operationName: 'A' } }));
    await until(() => messages.some((m) => m['id'] === '6' && m['type'] === 'next'));
    socket.close();
  });

  it('names an input field a variable leaves out, or has that its type does not, beneath the variable\'s path', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    const LOAN = 'TG9hbjowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDE';
    const POST = 'mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { userErrors { field } } }';
    const input = { idempotencyKey: 'variable-0001', loanId: LOAN, amount: '1', valueDate: '2026-12-01', channel: 'bank' };
    const { valueDate: _left, ...withoutDate } = input;
    for (const [variables, field] of [
      [{ input: withoutDate }, 'input.valueDate'],
      [{ input: { ...input, valueDay: 1 } }, 'input.valueDay'],
    ] as const) {
      const response = await gql(server.gateway, POST, { token, variables });
      expect(response.status).toBe(400);
      expect(response.errors!.map((e) => [e.extensions?.['code'], e.extensions?.['reason'], e.extensions?.['field']])).toEqual([['BAD_USER_INPUT', 'BAD_VARIABLES', field]]);
    }
  });

  it('names a value written in the query that does not fit its type by its argument path, as it names the same value in a variable, over HTTP and WebSocket alike', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    const LOAN = 'TG9hbjowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDE';
    const cases: [string, string[]][] = [
      // A custom scalar's refusal (a date-time where a Date goes) on a field's own argument.
      [`{ node(id: "${LOAN}") { ... on Loan { statement(from: "2026-12-01", to: "2026-12-06T00:00") { received } } } }`, ['to']],
      // Inside a mutation's input object, and inside a list of them.
      [`mutation { postRepayment(input: { idempotencyKey: "inline-0001", loanId: "${LOAN}", amount: "1", valueDate: "2026-13-01", channel: "bank" }) { userErrors { field } } }`, ['input.valueDate']],
      [`mutation { postRepayments(input: { idempotencyKey: "inline-0002", repayments: [{ loanId: "${LOAN}", amount: "1", valueDate: "2026-12-01", channel: "bank" }, { loanId: "${LOAN}", amount: "1e5", valueDate: "2026-12-01", channel: "bank" }] }) { userErrors { field } } }`, ['input.repayments[1].amount']],
      // graphql's own scalars and enums, an input field not provided, one the type does not have, a variable's default.
      ['{ parties(first: "ten") { totalCount } }', ['first']],
      ['{ applications(status: NOPE) { totalCount } }', ['status']],
      [`mutation { postRepayment(input: { idempotencyKey: "inline-0003", loanId: "${LOAN}", amount: "1", channel: "bank" }) { userErrors { field } } }`, ['input.valueDate']],
      [`mutation { postRepayment(input: { idempotencyKey: "inline-0004", loanId: "${LOAN}", amount: "1", valueDate: "2026-12-01", channel: "bank", valueDay: 1 }) { userErrors { field } } }`, ['input.valueDay']],
      ['query($on: Date = "2026-02-30") { trialBalance(asOf: $on) { asOf } }', ['on']],
    ];
    const http = async (query: string) => {
      const response = await gql(server.gateway, query, { token });
      expect(response.status, query).toBe(400);
      return response.errors!;
    };
    const { socket, messages } = await acknowledgedSocket(token);
    const overSocket = async (id: string, query: string) => {
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
      await until(() => messages.some((m) => m['id'] === id && (m['type'] === 'error' || m['type'] === 'complete')));
      return (messages.find((m) => m['id'] === id && m['type'] === 'error')?.['payload'] ?? []) as { message: string; extensions: Record<string, unknown> }[];
    };
    for (const [index, [query, fields]] of cases.entries()) {
      for (const errors of [await http(query), await overSocket(`inline-${index}`, query)]) {
        expect(errors.map((e) => [e.extensions['code'], e.extensions['reason'], e.extensions['field']]), query).toEqual(fields.map((field) => ['BAD_USER_INPUT', 'BAD_VARIABLES', field]));
      }
    }
    // What is no value at all stays a validation failure naming no field: an argument the field does not take.
    const unknownArgument = await http('{ parties(firstt: 3) { totalCount } }');
    expect(unknownArgument.map((e) => [e.extensions!['reason'], e.extensions!['field']])).toEqual([['GRAPHQL_VALIDATION_FAILED', undefined]]);
    socket.close();
  });

  it('takes no WebSocket message larger than an HTTP request may be', async () => {
    const socket = new WebSocket(server.gateway.websocketUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(server.runtime.config.MAX_REQUEST_BYTES) } }));
    // 1009: the message is too big; ws closes the socket before reading it whole.
    expect(await closed).toBe(1009);
  });

  it('closes the WebSocket when its token expires', async () => {
    const token = await devToken(server.runtime, 'servicing-agent', tenant.slug, { ttlSeconds: 2 });
    const subscriber = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, 'subscription { heartbeat(everySeconds: 5) { at } }');
    await until(() => subscriber.results.length > 0);
    expect(await subscriber.closed).toMatchObject({ code: 4401, reason: 'token expired' });
  });
});

describe('tenants through the API', () => {
  it('a platform admin onboards a sandbox tenant, idempotently; its staff see the demo data', async () => {
    const slug = uniqueSlug('api');
    const mutation = `mutation($input: CreateTenantInput!) { createTenant(input: $input) { created tenant { slug status sandbox currency timeZone businessDate schemaUpToDate } } }`;
    const input = { slug, displayName: 'Tamarind Microfinance', currency: 'KES', timeZone: 'Africa/Nairobi', sandbox: true, businessDate: '2026-11-20' };
    const first = await gql(server.gateway, mutation, { token: admin, variables: { input } });
    expect(first.errors).toBeUndefined();
    expect(first.data!['createTenant']).toEqual({
      created: true,
      tenant: { slug, status: 'ACTIVE', sandbox: true, currency: 'KES', timeZone: 'Africa/Nairobi', businessDate: '2026-11-20', schemaUpToDate: true },
    });
    const again = await gql(server.gateway, mutation, { token: admin, variables: { input } });
    expect(again.data!['createTenant'].created).toBe(false);
    const staff = await devToken(server.runtime, 'loan-officer', slug);
    const parties = await gql(server.gateway, '{ parties(first: 100) { edges { node { legalName } } } }', { token: staff });
    expect(parties.data!['parties'].edges).toHaveLength(SANDBOX_COUNTS.parties);
  });

  it('refuses bad input naming the field, and a clashing repeat as CONFLICT', async () => {
    const mutation = `mutation($input: CreateTenantInput!) { createTenant(input: $input) { created tenant { slug } ${USER_ERRORS} } }`;
    const badSlug = uniqueSlug('api-bad');
    const bad = await gql(server.gateway, mutation, { token: admin, variables: { input: { slug: badSlug, displayName: 'X', currency: 'XXY', timeZone: 'UTC' } } });
    expect(bad.status).toBe(200);
    expect(userErrors(bad, 'createTenant')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.currency' })]);
    expect(bad.data!['createTenant']).toMatchObject({ created: null, tenant: null });
    expect(await server.runtime.registry.findBySlug(badSlug)).toBeNull();
    // A first business date after today in the lender's zone, sandbox or not: a date moves only by end of day.
    const futureSlug = uniqueSlug('api-bad');
    const future = await gql(server.gateway, mutation, { token: admin, variables: { input: { slug: futureSlug, displayName: 'X', currency: 'USD', timeZone: 'UTC', sandbox: true, businessDate: '2199-12-31' } } });
    expect(userErrors(future, 'createTenant')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.businessDate', message: expect.stringMatching(/^businessDate may not be after today in UTC, \d{4}-\d{2}-\d{2}/) })]);
    expect(await server.runtime.registry.findBySlug(futureSlug)).toBeNull();
    // Nor more than 1,827 days (five years) before it (1926 typed for 2026): end of day would run once for every date since.
    const typoSlug = uniqueSlug('api-bad');
    const typo = await gql(server.gateway, mutation, { token: admin, variables: { input: { slug: typoSlug, displayName: 'X', currency: 'USD', timeZone: 'UTC', businessDate: '1926-01-05' } } });
    expect(userErrors(typo, 'createTenant')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.businessDate', message: expect.stringMatching(/^businessDate may not be before \d{4}-\d{2}-\d{2}, 1827 days before today in UTC/) })]);
    expect(await server.runtime.registry.findBySlug(typoSlug)).toBeNull();
    // A value graphql-js itself cannot read (an impossible date in a variable) is refused before the mutation runs,
    // so it stays a GraphQL error, still naming the field.
    const badDate = await gql(server.gateway, mutation, { token: admin, variables: { input: { slug: uniqueSlug('api-bad'), displayName: 'X', currency: 'USD', timeZone: 'UTC', businessDate: '2026-02-30' } } });
    expect(badDate.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.businessDate', reason: 'BAD_VARIABLES' });
    expect(badDate.errors![0]!.message).toMatch(/calendar date/);
    // So is text where an Int goes, which graphql-js refuses by itself.
    const notInt = await gql(server.gateway, 'query($n: Int) { parties(first: $n) { totalCount } }', { token: admin, variables: { n: 'x' } });
    expect([notInt.status, notInt.errors![0]!.extensions]).toEqual([400, expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'n', reason: 'BAD_VARIABLES' })]);
    // More bad values than graphql-js reports (it stops at 50 and adds one error of its own, naming nothing) are
    // still bad input, every error of them, never an internal error.
    const manyBad = await gql(server.gateway, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { token: admin, variables: { ids: Array.from({ length: 60 }, () => ({ x: 1 })) } });
    expect(manyBad.status).toBe(400);
    expect(manyBad.errors!.length).toBeGreaterThan(50);
    expect(manyBad.errors!.filter((e) => e.extensions!['code'] !== 'BAD_USER_INPUT' || e.extensions!['reason'] !== 'BAD_VARIABLES')).toEqual([]);
    const clash = await gql(server.gateway, mutation, { token: admin, variables: { input: { slug: tenant.slug, displayName: 'Someone Else', currency: 'USD', timeZone: 'UTC', sandbox: true } } });
    expect(userErrors(clash, 'createTenant')).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.displayName' })]);
    expect((await server.runtime.registry.findBySlug(tenant.slug))!.displayName).toBe(tenant.displayName);
  });

  it('only platform admins onboard tenants or list them', async () => {
    const tenantAdmin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const create = await gql(server.gateway, `mutation { createTenant(input: { slug: "${uniqueSlug('nope')}", displayName: "X", currency: "USD", timeZone: "UTC" }) { created } }`, { token: tenantAdmin });
    expect(codes(create)).toEqual(['FORBIDDEN']);
    expect(codes(await gql(server.gateway, '{ tenants { edges { node { slug } } } }', { token: tenantAdmin }))).toEqual(['FORBIDDEN']);
    const listed = await gql(server.gateway, '{ tenants(first: 100) { edges { node { slug schemaVersion } } } schemaStatus { tenantsBehind latestTenantVersion } }', { token: admin });
    expect(listed.errors).toBeUndefined();
    expect(listed.data!['schemaStatus'].latestTenantVersion).toBe(server.runtime.migrations.filter((m) => m.scope === 'tenant').at(-1)!.id);
  });

  it('a platform admin sees no tenant\'s borrower data', async () => {
    expect(codes(await gql(server.gateway, PARTIES, { token: admin }))).toEqual(['FORBIDDEN']);
  });

  it('suspending a tenant fails every request for it with TENANT_SUSPENDED, over HTTP and WebSocket; reactivating restores it', async () => {
    const slug = uniqueSlug('susp');
    await createTenant(server.runtime, slug, { sandbox: true });
    const staff = await devToken(server.runtime, 'finance', slug);
    expect((await gql(server.gateway, PARTIES, { token: staff })).errors).toBeUndefined();
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${staff}` }, 'subscription { heartbeat(everySeconds: 5) { at } }');
    await until(() => live.results.length > 0);

    const suspend = await gql(server.gateway, `mutation { suspendTenant(input: { slug: "${slug}", reason: "unpaid invoice" }) { tenant { status statusReason } } }`, { token: admin });
    expect(suspend.data!['suspendTenant'].tenant).toEqual({ status: 'SUSPENDED', statusReason: 'unpaid invoice' });
    const refused = await gql(server.gateway, PARTIES, { token: staff });
    expect(refused.status).toBe(403);
    expect(codes(refused)).toEqual(['TENANT_SUSPENDED']);
    const ws = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${staff}` }, 'subscription { heartbeat { at } }');
    expect(await ws.closed).toMatchObject({ code: 4403, reason: 'TENANT_SUSPENDED' });
    // Other tenants are untouched.
    expect((await gql(server.gateway, PARTIES, { token: await devToken(server.runtime, 'finance', tenant.slug) })).errors).toBeUndefined();

    const reactivate = await gql(server.gateway, `mutation { reactivateTenant(input: { slug: "${slug}", reason: "paid" }) { tenant { status } } }`, { token: admin });
    expect(reactivate.data!['reactivateTenant'].tenant.status).toBe('ACTIVE');
    expect((await gql(server.gateway, PARTIES, { token: staff })).errors).toBeUndefined();
    await live.stop();
  });

  it('suspending an unknown tenant is NOT_FOUND naming the field', async () => {
    const response = await gql(server.gateway, `mutation { suspendTenant(input: { slug: "no-such-lender", reason: "x" }) { tenant { slug } ${USER_ERRORS} } }`, { token: admin });
    expect(response.status).toBe(200);
    expect(userErrors(response, 'suspendTenant')).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.slug' })]);
    expect(response.data!['suspendTenant'].tenant).toBeNull();
    expect(await server.runtime.registry.findBySlug('no-such-lender')).toBeNull();
  });
});

describe('authentication and tenant selection', () => {
  it('requires a token for tenant data and rejects a bad one with 401', async () => {
    // No token at all: the same 401 and challenge, though the refusal is the field's.
    const anonymous = await gql(server.gateway, PARTIES);
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="lendgraph"');
    // What needs no token is answered as ever.
    const open = await gql(server.gateway, '{ __typename }');
    expect([open.status, open.data, open.headers.get('www-authenticate')]).toEqual([200, { __typename: 'Query' }, null]);
    const garbage = await gql(server.gateway, PARTIES, { token: 'not-a-jwt' });
    expect(garbage.status).toBe(401);
    // A 401 says how to answer it (RFC 6750), on GraphQL as on the downloads.
    expect(garbage.headers.get('www-authenticate')).toBe('Bearer realm="lendgraph"');
    expect(codes(garbage)).toEqual(['UNAUTHENTICATED']);
    const expired = await devToken(server.runtime, 'finance', tenant.slug, { now: new Date(Date.now() - 7200_000), ttlSeconds: 60 });
    expect(codes(await gql(server.gateway, PARTIES, { token: expired }))).toEqual(['UNAUTHENTICATED']);
    // Not yet valid: issued (and nbf) an hour from now.
    const early = await devToken(server.runtime, 'finance', tenant.slug, { now: new Date(Date.now() + 3600_000) });
    expect(codes(await gql(server.gateway, PARTIES, { token: early }))).toEqual(['UNAUTHENTICATED']);
  });

  it('a token for tenant A cannot select tenant B, and a tenant the registry does not know is refused', async () => {
    const staffA = await devToken(server.runtime, 'finance', tenant.slug);
    const crossed = await gql(server.gateway, PARTIES, { token: staffA, tenant: other.slug });
    expect(crossed.status).toBe(403);
    expect(codes(crossed)).toEqual(['FORBIDDEN']);
    const ghost = await devToken(server.runtime, 'finance', 'ghost-lender');
    expect(codes(await gql(server.gateway, PARTIES, { token: ghost }))).toEqual(['FORBIDDEN']);
  });

  it('a staff token naming two lenders is refused whichever it selects: its roles could be either\'s', async () => {
    const key = server.runtime.devKey!;
    const now = Math.floor(Date.now() / 1000);
    const both = await new SignJWT({ typ: 'Bearer', azp: 'lendgraph-dev', realm_access: { roles: ['tenant-admin'] }, organization: [tenant.slug, other.slug] })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).setIssuer(server.runtime.config.issuer).setAudience(server.runtime.config.AUTH_AUDIENCE)
      .setSubject('two-lenders').setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 600).sign(await importJWK(key.privateJwk, 'RS256'));
    for (const chosen of [tenant.slug, other.slug, undefined]) {
      const refused = await gql(server.gateway, PARTIES, { token: both, ...(chosen ? { tenant: chosen } : {}) });
      expect(codes(refused)).toEqual(['FORBIDDEN']);
      expect(refused.data ?? null).toBeNull();
    }
  });

  it('node(id:) never returns another tenant\'s object', async () => {
    const tokenA = await devToken(server.runtime, 'finance', tenant.slug);
    const tokenB = await devToken(server.runtime, 'finance', other.slug);
    const ofB = await gql(server.gateway, PARTIES, { token: tokenB });
    const idOfB = ofB.data!['parties'].edges[0].node.id as string;
    const own = await gql(server.gateway, `{ node(id: "${idOfB}") { id ... on Party { legalName } } }`, { token: tokenB });
    expect(own.data!['node']).toMatchObject({ id: idOfB });
    const probe = await gql(server.gateway, `{ node(id: "${idOfB}") { id ... on Party { legalName } } nodes(ids: ["${idOfB}"]) { id } }`, { token: tokenA });
    expect(probe.errors).toBeUndefined();
    expect(probe.data).toEqual({ node: null, nodes: [null] });
  });
});

describe('errors and limits', () => {
  it('masks internal errors as INTERNAL with a correlation id: no SQL, stack or identifiers', async () => {
    const broken = await createTenant(server.runtime, uniqueSlug('broken'), { sandbox: true });
    await server.runtime.pool.query(`ALTER TABLE ${broken.schemaName}.party RENAME COLUMN legal_name TO legal_name_old`);
    const response = await gql(server.gateway, PARTIES, { token: await devToken(server.runtime, 'finance', broken.slug) });
    expect(codes(response)).toEqual(['INTERNAL']);
    const [error] = response.errors!;
    expect(error!.extensions['correlationId']).toMatch(/^[0-9a-f-]{36}$/);
    const text = JSON.stringify(response);
    for (const leak of ['legal_name', broken.schemaName, 'SELECT', 'stack', 'at ', 'prisma']) expect(text).not.toContain(leak);
  });

  it('caps page sizes and rejects forged cursors, naming the argument', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    const big = await gql(server.gateway, '{ parties(first: 1000) { edges { node { id } } } }', { token });
    expect(big.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const forged = await gql(server.gateway, `{ parties(first: 5, after: "'; DROP TABLE party; --") { edges { node { id } } } }`, { token });
    expect(forged.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('pages through a connection with cursors, no item twice', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const response: Awaited<ReturnType<typeof gql>> = await gql(server.gateway, 'query($after: String) { parties(first: 10, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', { token, variables: { after } });
      const connection = (response.data as Record<string, any>)['parties'];
      seen.push(...connection.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(SANDBOX_COUNTS.parties);
    expect(new Set(seen).size).toBe(SANDBOX_COUNTS.parties);
  });

  it('rejects queries deeper or costlier than the limits, over HTTP and WebSocket', async () => {
    const limited = await startTestServer({ MAX_QUERY_DEPTH: '3', MAX_QUERY_NODES: '50' });
    try {
      const token = await devToken(limited.runtime, 'finance', tenant.slug);
      const deep = await gql(limited.gateway, '{ parties(first: 1) { edges { node { legalName } } } }', { token });
      expect(deep.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_DEEP', limit: 3 });
      expect(deep.errors![0]!.message).toMatch(/depth/i);
      const shallowLimit = await startTestServer({ MAX_QUERY_NODES: '50' });
      try {
        // Each server is its own issuer (the URL carries its port), so it needs its own token.
        const shallowToken = await devToken(shallowLimit.runtime, 'finance', tenant.slug);
        const costly = await gql(shallowLimit.gateway, '{ parties(first: 100) { edges { node { legalName } } } }', { token: shallowToken });
        expect(costly.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_LARGE', limit: 50, nodes: 201 });
        expect(costly.errors![0]!.message).toContain('MAX_QUERY_NODES');
        const fine = await gql(shallowLimit.gateway, '{ parties(first: 10) { edges { node { legalName } } } }', { token: shallowToken });
        expect(fine.errors).toBeUndefined();
      } finally {
        await shallowLimit.close();
      }
      const ws = subscribe(limited.gateway.websocketUrl, { authorization: `Bearer ${token}` }, 'subscription { heartbeat { at businessDate } }');
      await until(() => ws.results.length > 0);
      await ws.stop();
      // graphql-ws carries queries too: the same depth rule refuses them there.
      const wsDeep = subscribe(limited.gateway.websocketUrl, { authorization: `Bearer ${token}` }, '{ parties(first: 1) { edges { node { legalName } } } }');
      await until(() => wsDeep.errors.length > 0);
      expect(wsDeep.errors[0]).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_DEEP' }) })]);
      await wsDeep.stop();
    } finally {
      await limited.close();
    }
  });
});

describe('what a query costs (extensions.cost)', () => {
  const limitsOf = () => ({ maxQueryCost: server.runtime.config.MAX_QUERY_COST, maxNodes: server.runtime.config.MAX_QUERY_NODES });

  it('every answer reports the cost the estimator computed and the limits, over HTTP and WebSocket', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    // Five parties and a trial balance, whose price (work over the whole ledger) is more than the one object it returns.
    const query = '{ parties(first: 5) { edges { node { id legalName } } } trialBalance(asOf: "2026-01-31") { asOf } }';
    const estimate = querySize(server.gateway.schema, parse(query), {});
    expect(estimate.cost).toBeGreaterThan(estimate.nodes);
    const expected = { requestedQueryCost: estimate.cost, requestedNodes: estimate.nodes, ...limitsOf() };
    const response = await gql(server.gateway, query, { token });
    expect(response.errors).toBeUndefined();
    expect(response.extensions!['cost']).toEqual(expected);
    const ws = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, query);
    await until(() => ws.results.length > 0);
    expect(ws.results[0]!['errors']).toBeUndefined();
    expect(ws.results[0]!['extensions']).toEqual({ cost: expected });
    await ws.stop();
  });

  it('a refused query says what it would have cost and the limit it passed, and runs nothing', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    const large = '{ loans(first: 100) { edges { node { transactions { id } } } } }';
    const largeSize = querySize(server.gateway.schema, parse(large), {});
    const tooLarge = await gql(server.gateway, large, { token });
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.data ?? null).toBeNull();
    expect(tooLarge.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_LARGE', limit: 10_000, nodes: largeSize.nodes, cost: largeSize.cost });
    expect(tooLarge.extensions!['cost']).toEqual({ requestedQueryCost: largeSize.cost, requestedNodes: largeSize.nodes, ...limitsOf() });
    // Eleven trial balances: few objects, but more work than MAX_QUERY_COST allows.
    const costly = `{ ${Array.from({ length: 11 }, (_, k) => `t${k}: trialBalance(asOf: "2026-01-31") { asOf }`).join(' ')} }`;
    const costlySize = querySize(server.gateway.schema, parse(costly), {});
    const tooCostly = await gql(server.gateway, costly, { token });
    expect(tooCostly.status).toBe(400);
    expect(tooCostly.data ?? null).toBeNull();
    expect(tooCostly.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COSTLY', limit: 20_000, cost: costlySize.cost, nodes: 11 });
    expect(tooCostly.errors![0]!.message).toContain('MAX_QUERY_COST');
    expect(tooCostly.extensions!['cost']).toEqual({ requestedQueryCost: costlySize.cost, requestedNodes: 11, ...limitsOf() });
  });

  it('a variable that does not coerce is refused naming it and costs nothing, before and after the operation\'s size is known', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    // The estimate reads no Date, so a size kept for this text also fits the request with a bad date: that request
    // is still refused by execution (BAD_USER_INPUT, HTTP 400, never 500 from the sizing) and spends nothing of the
    // caller's query budget, whether or not a size was kept before it: before, it is given no size; after, the kept
    // size is used without its date being coerced, and what it took is given back with no cost on the answer
    // (test/graph/exposure.test.ts holds the budget to it).
    const query = 'query TrialBalanceOn($asOf: Date!) { trialBalance(asOf: $asOf) { asOf } }';
    const bad = async () => {
      const refused = await gql(server.gateway, query, { token, variables: { asOf: '2026-02-30' } });
      expect(refused.status).toBe(400);
      expect(refused.data ?? null).toBeNull();
      expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(refused.errors![0]!.message).toContain('$asOf');
      return refused;
    };
    expect((await bad()).extensions?.['cost']).toBeUndefined();
    const good = await gql(server.gateway, query, { token, variables: { asOf: '2026-01-31' } });
    expect(good.errors).toBeUndefined();
    expect(good.extensions!['cost']).toMatchObject({ requestedNodes: 1 });
    expect((await bad()).extensions?.['cost']).toBeUndefined();
  });

  it(`nodes(ids:) takes at most ${MAX_NODE_IDS} ids: more is BAD_USER_INPUT naming ids, and nothing is read`, async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    const page = await gql(server.gateway, PARTIES, { token });
    const id = page.data!['parties'].edges[0].node.id as string;
    const query = 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }';
    const most = await gql(server.gateway, query, { token, variables: { ids: Array(MAX_NODE_IDS).fill(id) } });
    expect(most.errors).toBeUndefined();
    expect(most.data!['nodes']).toHaveLength(MAX_NODE_IDS);
    expect(most.extensions!['cost']).toMatchObject({ requestedNodes: MAX_NODE_IDS });
    const more = await gql(server.gateway, query, { token, variables: { ids: Array(MAX_NODE_IDS + 1).fill(id) } });
    expect(more.status).toBe(400);
    expect(more.data ?? null).toBeNull();
    expect(more.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'ids' }) })]);
    expect(more.errors![0]!.message).toContain(`at most ${MAX_NODE_IDS}`);
  });
});

describe('requests the API cannot read', () => {
  it('answers an oversized or malformed body in the API\'s error shape, never with a stack trace', async () => {
    const big = await fetch(server.gateway.graphqlUrl, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: '{ viewer { subject } }', variables: { padding: 'x'.repeat(server.runtime.config.MAX_REQUEST_BYTES) } }),
    });
    expect(big.status).toBe(413);
    const text = await big.text();
    expect(JSON.parse(text)).toEqual({ errors: [{ message: expect.stringMatching(/larger than/), extensions: { code: 'BAD_USER_INPUT', reason: 'REQUEST_TOO_LARGE', limit: server.runtime.config.MAX_REQUEST_BYTES } }] });
    expect(text).not.toMatch(/at .*\.js|node_modules/);
    const malformed = await fetch(server.gateway.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    const unreadable = await malformed.text();
    expect(unreadable).not.toMatch(/at .*\.js|node_modules/);
    expect(JSON.parse(unreadable)).toEqual({ errors: [{ message: expect.stringMatching(/could not be read/), extensions: { code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST' } }] });
    // A charset or an encoding it does not read: 415, in the same shape.
    for (const headers of [{ 'content-type': 'application/json; charset=latin1' }, { 'content-type': 'application/json', 'content-encoding': 'br-nonsense' }] as Record<string, string>[]) {
      const refused = await fetch(server.gateway.graphqlUrl, { method: 'POST', headers, body: '{"query": "{ __typename }"}' });
      expect(refused.status, JSON.stringify(headers)).toBe(415);
      expect(await refused.json()).toEqual({ errors: [{ message: expect.stringMatching(/could not be read/), extensions: { code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST' } }] });
    }
    // Each encoding the message names is read; one that does not decompress is 400.
    const body = Buffer.from(JSON.stringify({ query: '{ __typename }' }));
    for (const [encoding, compress] of [['gzip', zlib.gzipSync], ['deflate', zlib.deflateSync], ['br', zlib.brotliCompressSync], ['zstd', zlib.zstdCompressSync]] as const) {
      const read = await fetch(server.gateway.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: compress(body) });
      expect(read.status, encoding).toBe(200);
      const broken = await fetch(server.gateway.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body });
      expect(broken.status, encoding).toBe(400);
    }
  });

  /** An answer's status, `Allow` header and JSON body, after checking it is JSON and shows no stack or HTML. */
  async function answerTo(path: string, init: RequestInit = {}) {
    const response = await fetch(`${server.gateway.url}${path}`, init);
    const text = await response.text();
    expect(response.headers.get('content-type'), `${init.method ?? 'GET'} ${path}: ${text}`).toMatch(/^application\/json/);
    expect(text).not.toMatch(/<html|<pre>|at .*\.js|node_modules/i);
    return { status: response.status, allow: response.headers.get('allow'), body: JSON.parse(text) as unknown };
  }

  it('answers a path it does not serve 404 and a method a path does not take 405 with Allow, in the API\'s error shapes', async () => {
    for (const [method, path] of [['GET', '/nope'], ['POST', '/graphq'], ['GET', '/graphql/extra'], ['POST', '/graphql/extra'], ['GET', '/graphql/'],
      ['GET', '/healthz/'], ['GET', '/statements/loans'], ['GET', '/statements/loans/a/b.csv'], ['DELETE', '/nope'], ['GET', '/explorer/no-such-file.js']]) {
      expect(await answerTo(path!, { method }), `${method} ${path}`).toEqual({ status: 404, allow: null, body: { error: { code: 'NOT_FOUND', message: expect.any(String) } } });
    }
    // Without a body, but a 404 all the same.
    expect((await fetch(`${server.gateway.url}/nope`, { method: 'HEAD' })).status).toBe(404);
    for (const [method, path, allow] of [['POST', '/healthz', 'GET, HEAD'], ['OPTIONS', '/readyz', 'GET, HEAD'], ['PUT', '/statements/loans/x.csv', 'GET, HEAD'],
      ['DELETE', '/reports/portfolio/aging.csv', 'GET, HEAD'], ['GET', '/providers/acme/sandbox/callbacks', 'POST'], ['POST', '/dev-issuer/jwks', 'GET, HEAD']]) {
      expect(await answerTo(path!, { method }), `${method} ${path}`).toEqual({
        status: 405, allow, body: { error: { code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST', message: expect.stringContaining(allow!) } },
      });
    }
    // GraphQL's path answers in GraphQL's shape, whatever the method and content type (Apollo's own 405 sits behind
    // its cross-site check, which answered these 400).
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) {
      const response = await fetch(server.gateway.graphqlUrl, { method });
      expect([response.status, response.headers.get('allow')], method).toEqual([405, 'GET, POST']);
      if (method === 'HEAD') continue;
      expect(await response.json()).toEqual({ errors: [{ message: expect.stringContaining('GET, POST'), extensions: { code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST' } }] });
    }
    // GraphQL is served at its path alone: a longer one, or the same in other letters, is not GraphQL.
    for (const path of ['/graphql/extra', '/GRAPHQL', '/GraphQL']) {
      expect(await answerTo(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }), path)
        .toEqual({ status: 404, allow: null, body: { error: { code: 'NOT_FOUND', message: expect.any(String) } } });
    }
    expect((await answerTo('/HEALTHZ')).status).toBe(404);
    // A path past what Node's parser reads never reaches a route: answered all the same, not with an empty body.
    expect(await answerTo(`/${'a'.repeat(20_000)}`)).toEqual({ status: 431, allow: null, body: { error: { code: 'BAD_USER_INPUT', reason: 'REQUEST_TOO_LARGE', message: expect.stringMatching(/headers/) } } });
  });

  it('answers Express\'s own errors off the GraphQL path in the routes\' shape: a path it cannot decode, a body too large', async () => {
    const undecodable = await answerTo('/statements/loans/%E0%A4%A.csv');
    expect(undecodable).toEqual({ status: 400, allow: null, body: { error: { code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST', field: 'path', message: expect.stringMatching(/decoded/) } } });
    const big = await answerTo('/providers/acme/sandbox/callbacks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(1024 * 1024 + 1) });
    expect(big).toEqual({ status: 413, allow: null, body: { error: { code: 'BAD_USER_INPUT', reason: 'REQUEST_TOO_LARGE', limit: 1024 * 1024, message: expect.stringMatching(/larger than/) } } });
  });
});
