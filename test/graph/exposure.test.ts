// What the gateway shows and allows to callers it does not trust: introspection and suggestions by caller, the
// limits every operation passes before it runs (tokens, aliases, directives, answer size, cost), the node ceiling
// while an answer is built, request rate limits, and INTERNAL errors found in the log by their correlation id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/harness.js';
import { codes, createTenant, devToken, gql, startLoggedServer, startTestServer, uniqueSlug } from '../support/harness.js';
import { subscribe, until } from '../support/ws.js';
import { runScript, tempDataDir } from '../support/process.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';


const INTROSPECTION = '{ __schema { queryType { name } } }';
const MISSPELT = '{ partie { edges { node { id } } } }';

let server: TestServer;
let tenant: TenantRecord;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('exposure'), { sandbox: true });
});
afterAll(async () => {
  await server.close();
});

describe('introspection and suggestions', () => {
  it('in production, callers without a token get neither; INTROSPECTION=staff lets staff introspect, never partners', async () => {
    const production = {
      NODE_ENV: 'production',
      // Tokens of the test server's development issuer, verified over loopback like any identity provider's.
      AUTH_ISSUER: server.runtime.config.issuer,
      AUTH_JWKS_URL: server.runtime.config.jwksUrl,
      DATA_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    };
    const closed = await startTestServer(production);
    try {
      expect(closed.runtime.config.INTROSPECTION).toBe('off');
      const schema = await gql(closed.gateway, INTROSPECTION);
      expect(schema.status).toBe(400);
      expect(schema.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INTROSPECTION_DISABLED' });
      expect(schema.data ?? null).toBeNull();
      const typeProbe = await gql(closed.gateway, '{ __type(name: "Party") { fields { name } } }');
      expect(typeProbe.errors![0]!.extensions).toMatchObject({ reason: 'INTROSPECTION_DISABLED' });
      // What a document asks is found once per parsed text and kept: the same texts again get the same answers.
      for (let again = 0; again < 2; again += 1) {
        expect((await gql(closed.gateway, INTROSPECTION)).errors![0]!.extensions).toMatchObject({ reason: 'INTROSPECTION_DISABLED' });
        expect((await gql(closed.gateway, '{ __type(name: "Party") { fields { name } } }')).errors![0]!.extensions).toMatchObject({ reason: 'INTROSPECTION_DISABLED' });
        const plain = await gql(closed.gateway, '{ __typename }');
        expect(plain.errors).toBeUndefined();
        expect(plain.data).toEqual({ __typename: 'Query' });
      }
      const misspelt = await gql(closed.gateway, MISSPELT);
      expect(codes(misspelt)).toEqual(['BAD_USER_INPUT']);
      expect(misspelt.errors![0]!.message).toContain('Cannot query field "partie"');
      expect(JSON.stringify(misspelt)).not.toMatch(/Did you mean|parties/);
      // Off means off, for staff too.
      const staff = await devToken(server.runtime, 'tenant-admin', tenant.slug);
      expect((await gql(closed.gateway, INTROSPECTION, { token: staff })).errors![0]!.extensions).toMatchObject({ reason: 'INTROSPECTION_DISABLED' });
      // Over graphql-ws the same, the first time a socket sends the text and again.
      for (let again = 0; again < 2; again += 1) {
        const ws = subscribe(closed.gateway.websocketUrl, { authorization: `Bearer ${staff}` }, INTROSPECTION);
        await until(() => ws.errors.length > 0);
        expect(ws.errors[0]).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'INTROSPECTION_DISABLED' }) })]);
        await ws.stop();
      }
    } finally {
      await closed.close();
    }

    const staffOnly = await startTestServer({ ...production, INTROSPECTION: 'staff' });
    try {
      const staff = await devToken(server.runtime, 'underwriter', tenant.slug);
      const allowed = await gql(staffOnly.gateway, INTROSPECTION, { token: staff });
      expect(allowed.errors).toBeUndefined();
      expect(allowed.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
      expect((await gql(staffOnly.gateway, MISSPELT, { token: staff })).errors![0]!.message).toMatch(/Did you mean "parties"/);
      const partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'sandbox-marketplace', kind: 'origination' } });
      const fromPartner = await gql(staffOnly.gateway, INTROSPECTION, { token: partner });
      expect(fromPartner.errors?.[0]?.extensions).toMatchObject({ code: expect.stringMatching(/BAD_USER_INPUT|FORBIDDEN/) });
      expect(fromPartner.data ?? null).toBeNull();
      expect((await gql(staffOnly.gateway, INTROSPECTION)).errors![0]!.extensions).toMatchObject({ reason: 'INTROSPECTION_DISABLED' });
      // The same text refused just before, for callers who may not introspect, is still answered to staff.
      const again = await gql(staffOnly.gateway, INTROSPECTION, { token: staff });
      expect(again.errors).toBeUndefined();
      expect(again.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await staffOnly.close();
    }
  });

  it('outside production everyone may introspect (the explorer needs it) and suggestions help', async () => {
    expect(server.runtime.config.INTROSPECTION).toBe('public');
    expect((await gql(server.gateway, INTROSPECTION)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect((await gql(server.gateway, MISSPELT)).errors![0]!.message).toMatch(/Did you mean/);
  });
});

describe('limits checked before an operation runs', () => {
  it('refuses 100,000 aliases of __typename unread without a token, at the parser with one, and /healthz keeps answering', async () => {
    const hostile = `{ ${Array.from({ length: 100_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const attacks = Array.from({ length: 3 }, () => gql(server.gateway, hostile));
    const health = await fetch(`${server.gateway.url}/healthz`);
    expect(health.status).toBe(200);
    for (const refused of await Promise.all(attacks)) {
      expect(refused.status).toBe(413);
      expect(refused.errors).toEqual([{ message: `the request body is larger than ${server.runtime.config.MAX_ANONYMOUS_REQUEST_BYTES} bytes`,
        extensions: { code: 'BAD_USER_INPUT', reason: 'REQUEST_TOO_LARGE', limit: server.runtime.config.MAX_ANONYMOUS_REQUEST_BYTES } }]);
    }
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    const parsed = await gql(server.gateway, hostile, { token });
    expect(parsed.status).toBe(400);
    expect(parsed.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_MANY_TOKENS', limit: server.runtime.config.MAX_QUERY_TOKENS });
    // Within the token limit, aliases of __typename still count against the alias limit.
    const aliases = `{ ${Array.from({ length: 60 }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    expect((await gql(server.gateway, aliases)).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_MANY_ALIASES', limit: 50 });
  });

  it('prices verifying the audit chain: 2,000 aliases are refused unrun, and three in one request cost too much', async () => {
    const auditor = await devToken(server.runtime, 'auditor', tenant.slug);
    const many = `{ ${Array.from({ length: 2_000 }, (_, i) => `v${i}: auditChainVerification { intact }`).join(' ')} }`;
    const refused = await gql(server.gateway, many, { token: auditor });
    expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: expect.stringMatching(/QUERY_TOO_MANY_(TOKENS|ALIASES)/) });
    expect(refused.data ?? null).toBeNull();
    const three = await gql(server.gateway, '{ a: auditChainVerification { intact } b: auditChainVerification { intact } c: auditChainVerification { intact } }', { token: auditor });
    expect(three.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COSTLY', limit: 20_000 });
    expect(three.errors![0]!.message).toContain('MAX_QUERY_COST');
    const one = await gql(server.gateway, '{ auditChainVerification { intact } }', { token: auditor });
    expect(one.errors).toBeUndefined();
    expect(one.data).toEqual({ auditChainVerification: { intact: true } });
  });

  it('bounds directives', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    const directives = `{ viewer { ${Array.from({ length: 60 }, () => 'subject @include(if: true)').join(' ')} } }`;
    expect((await gql(server.gateway, directives, { token })).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_MANY_DIRECTIVES', limit: 50 });
  });

  it('answers variables that do not fit their types as bad input, not HTTP 500', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    const response = await gql(server.gateway, 'query($n: Int) { parties(first: $n) { edges { node { id } } } }', { token, variables: { n: 'many' } });
    expect(response.status).toBe(400);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('the node ceiling (MAX_QUERY_NODES)', () => {
  it('refuses a query whose size is known from its arguments before it runs, naming the ceiling, logged with the correlation id', async () => {
    const logged = await startLoggedServer();
    try {
      const token = await devToken(logged.runtime, 'finance', tenant.slug);
      // 100 loans × the transactions a long loan holds: far past 10,000 objects, although it asks for one page.
      const response = await gql(logged.gateway, '{ loans(first: 100) { edges { node { id transactions { id } } } } }', { token, headers: { 'x-request-id': 'too-large-1' } });
      expect(response.status).toBe(400);
      const [error] = response.errors!;
      expect(error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_LARGE', limit: 10_000 });
      expect(error!.message).toContain('MAX_QUERY_NODES');
      const correlationId = error!.extensions['correlationId'] as string;
      expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(logged.logs).toContainEqual(expect.objectContaining({ correlationId, requestId: 'too-large-1', reason: 'QUERY_TOO_LARGE', limit: 10_000 }));
    } finally {
      await logged.close();
    }
  });

  it('never answers a list longer than its bound, so the estimate made before a query runs is a ceiling', async () => {
    const big = await createTenant(server.runtime, uniqueSlug('exposure-chart'));
    // A chart of accounts larger than the 200 a list of accounts may hold.
    await server.runtime.pool.query(
      `INSERT INTO ${big.schemaName}.ledger_account (code, name, kind, created_by, created_at)
       SELECT 'X' || lpad(n::text, 3, '0'), 'Account ' || n, 'asset', 'test', now() FROM generate_series(1, 300) AS n`,
    );
    const logged = await startLoggedServer({ MAX_QUERY_NODES: '250' });
    try {
      const token = await devToken(logged.runtime, 'finance', big.slug);
      const response = await gql(logged.gateway, '{ ledgerAccounts { code name } }', { token, headers: { 'x-request-id': 'bounded-1' } });
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      const codes = (response.data!['ledgerAccounts'] as { code: string }[]).map((a) => a.code);
      const all = await server.runtime.pool.query<{ code: string }>(`SELECT code FROM ${big.schemaName}.ledger_account ORDER BY code`);
      expect(all.rows.length).toBeGreaterThan(300);
      // The first 200 in the list's own order, no more: what the estimate counted.
      expect(codes).toEqual(all.rows.slice(0, 200).map((row) => row.code));
      expect(response.extensions!['cost']).toMatchObject({ requestedNodes: 200, maxNodes: 250 });
      // Past the ceiling it is refused before anything runs, naming the ceiling, logged with the correlation id.
      const refused = await gql(logged.gateway, '{ a: ledgerAccounts { code } b: ledgerAccounts { code } }', { token, headers: { 'x-request-id': 'too-large-2' } });
      expect(refused.status).toBe(400);
      expect(refused.data ?? null).toBeNull();
      const [error] = refused.errors!;
      expect(error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_LARGE', limit: 250, nodes: 400 });
      expect(error!.message).toContain('MAX_QUERY_NODES');
      const correlationId = error!.extensions['correlationId'] as string;
      expect(logged.logs).toContainEqual(expect.objectContaining({ correlationId, requestId: 'too-large-2', reason: 'QUERY_TOO_LARGE' }));
    } finally {
      await logged.close();
    }
  });
});

describe('request rate limits', () => {
  it('refuses part of a 300-request burst with RATE_LIMITED, HTTP 429 and Retry-After, per principal and per address', async () => {
    const limited = await startTestServer({ RATE_LIMIT_PER_MINUTE: '100', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '50' });
    try {
      const token = await devToken(limited.runtime, 'finance', tenant.slug);
      const burst = await Promise.all(Array.from({ length: 300 }, () => gql(limited.gateway, '{ viewer { subject } }', { token })));
      const refused = burst.filter((response) => response.status === 429);
      expect(burst.filter((response) => response.status === 200)).toHaveLength(100);
      expect(refused).toHaveLength(200);
      expect(refused[0]!.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
      expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another principal has a budget of its own.
      const other = await devToken(limited.runtime, 'underwriter', tenant.slug, { subject: 'another-person' });
      expect((await gql(limited.gateway, '{ viewer { subject } }', { token: other })).status).toBe(200);
      // Callers without a token are counted by address, before their body is read; with no proxy trusted
      // (TRUST_PROXY unset) a forwarded address is ignored, so rotating it buys nothing.
      const anonymous = await Promise.all(Array.from({ length: 300 }, (_, i) => gql(limited.gateway, '{ __typename }', { headers: { 'x-forwarded-for': `198.51.100.${i % 250}` } })));
      expect(anonymous.filter((response) => response.status === 429).length).toBe(250);
      const refusal = anonymous.find((response) => response.status === 429)!;
      expect(refusal.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      expect(refusal.headers.get('retry-after')).toMatch(/^\d+$/);
      // Health checks are never limited.
      expect((await fetch(`${limited.gateway.url}/healthz`)).status).toBe(200);
      // Over WebSocket, each operation takes from the same budget.
      const ws = subscribe(limited.gateway.websocketUrl, { authorization: `Bearer ${token}` }, '{ viewer { subject } }');
      await until(() => ws.errors.length > 0 || ws.results.length > 0);
      expect(ws.errors[0]).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED' }) })]);
      await ws.stop();
      // And a WebSocket connecting without a token, or with one that fails, takes from its address's budget as a
      // request would: spent, it is closed 4429 RATE_LIMITED rather than told UNAUTHENTICATED again and again.
      const forged = subscribe(limited.gateway.websocketUrl, { authorization: 'Bearer not-a-token' }, '{ __typename }');
      expect(await forged.closed).toEqual({ code: 4429, reason: 'RATE_LIMITED' });
      await forged.stop();
    } finally {
      await limited.close();
    }
  });
});

describe('downloads and uploads spend the same budgets', () => {
  it('counts a file route as a request of its principal, its tenant and (without a token) its address: 429 with Retry-After past the budget', async () => {
    const limited = await startTestServer({ RATE_LIMIT_PER_MINUTE: '20', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10' });
    try {
      const token = await devToken(limited.runtime, 'finance', tenant.slug);
      // Statements of a loan that does not exist: each answered 404 until the budget is spent, then 429.
      const statements = await Promise.all(Array.from({ length: 30 }, () => fetch(`${limited.gateway.url}/statements/loans/no-such-statement.pdf`, { headers: { authorization: `Bearer ${token}` } })));
      expect(statements.filter((response) => response.status === 404)).toHaveLength(20);
      const refused = statements.filter((response) => response.status === 429);
      expect(refused).toHaveLength(10);
      expect(refused[0]!.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await refused[0]!.json()).toMatchObject({ error: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) } });
      // The same principal's GraphQL requests are out of budget too: one budget, whichever door.
      expect((await gql(limited.gateway, '{ viewer { subject } }', { token })).status).toBe(429);
      // Without a token (or with a bad one), by address.
      const anonymous = await Promise.all(Array.from({ length: 15 }, (_, i) => fetch(`${limited.gateway.url}/reports/portfolio/trial-balance.csv`,
        i % 2 === 0 ? {} : { headers: { authorization: 'Bearer not-a-token' } })));
      expect(anonymous.filter((response) => response.status === 401)).toHaveLength(10);
      expect(anonymous.filter((response) => response.status === 429)).toHaveLength(5);
    } finally {
      await limited.close();
    }
  });
});

describe('tenant and query-cost budgets', () => {
  it('holds all of one tenant\'s callers to its budget together, and leaves other tenants alone', async () => {
    const limited = await startTestServer({ RATE_LIMIT_TENANT_PER_MINUTE: '50' });
    try {
      const [first, second] = await Promise.all([
        devToken(limited.runtime, 'finance', tenant.slug), devToken(limited.runtime, 'underwriter', tenant.slug, { subject: 'second-person' }),
      ]);
      const burst = await Promise.all(Array.from({ length: 80 }, (_, i) => gql(limited.gateway, '{ viewer { subject } }', { token: i % 2 === 0 ? first : second })));
      expect(burst.filter((response) => response.status === 200)).toHaveLength(50);
      const refused = burst.filter((response) => response.status === 429);
      expect(refused).toHaveLength(30);
      expect(refused[0]!.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'TENANT_REQUESTS_SPENT', retryAfter: expect.any(Number) });
      expect(refused[0]!.headers.get('retry-after')).toMatch(/^\d+$/);
      const elsewhere = await createTenant(limited.runtime, uniqueSlug('exposure-elsewhere'), { sandbox: true });
      expect((await gql(limited.gateway, '{ viewer { subject } }', { token: await devToken(limited.runtime, 'finance', elsewhere.slug) })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('spends nothing on an operation whose variables do not fit, before or after its size is known, and refuses it for them rather than for the budget', async () => {
    const limited = await startTestServer({ QUERY_COST_PER_MINUTE: '300' });
    try {
      const token = await devToken(limited.runtime, 'finance', tenant.slug);
      // The estimate reads `first` and no DateTime: once this text's size is known for first: 50, a request with a
      // bad instant has the same size, and its instant is coerced only by execution.
      const QUERY = 'query Page($first: Int!, $on: DateTime) { parties(first: $first, createdFrom: $on) { edges { node { legalName } } } }';
      const good = () => gql(limited.gateway, QUERY, { token, variables: { first: 50, on: '2026-01-01T00:00:00Z' } });
      const bad = async () => {
        const refused = await gql(limited.gateway, QUERY, { token, variables: { first: 50, on: 'the first of January' } });
        expect(refused.status).toBe(400);
        expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
        expect(refused.errors![0]!.message).toContain('$on');
        expect(refused.extensions?.['cost']).toBeUndefined();
        return refused;
      };
      await bad();
      const first = await good();
      expect(first.status).toBe(200);
      const points = first.extensions!['cost'].requestedQueryCost as number;
      expect(first.extensions!['cost'].budget.remaining).toBe(300 - points);
      // Known now: the bad one is still refused for its date, and what it took is given back.
      await bad();
      await bad();
      expect((await good()).extensions!['cost'].budget.remaining).toBe(300 - 2 * points);
      // An operation estimated at nothing (its one field skipped) still takes a point, and gives it back the same way.
      const SKIPPED = 'query Skipped($skip: Boolean!, $on: DateTime) { parties(first: 5, createdFrom: $on) @skip(if: $skip) { edges { node { legalName } } } }';
      const skipped = (on: string) => gql(limited.gateway, SKIPPED, { token, variables: { skip: true, on } });
      const before = (await skipped('2026-01-01T00:00:00Z')).extensions!['cost'].budget.remaining as number;
      const refusedSkip = await skipped('the first of January');
      expect(refusedSkip.status).toBe(400);
      expect(refusedSkip.extensions?.['cost']).toBeUndefined();
      expect((await skipped('2026-01-01T00:00:00Z')).extensions!['cost'].budget.remaining).toBe(before - 1);
      // With the budget spent, a good one is refused for it (429), a bad one still for its date (400).
      while ((await good()).status === 200);
      expect((await good()).status).toBe(429);
      await bad();
    } finally {
      await limited.close();
    }
  });

  it('takes each operation\'s cost from the caller\'s points per minute, says what is left, and refuses what no longer fits without spending it', async () => {
    const limited = await startTestServer({ QUERY_COST_PER_MINUTE: '300' });
    try {
      const token = await devToken(limited.runtime, 'finance', tenant.slug);
      const PAGE = '{ parties(first: 50) { edges { node { legalName } } } }';
      const first = await gql(limited.gateway, PAGE, { token });
      expect(first.status).toBe(200);
      const cost = first.extensions!['cost'];
      const points = cost.requestedQueryCost as number;
      expect(points).toBeGreaterThan(50);
      expect(cost.budget).toEqual({ perMinute: 300, remaining: 300 - points, resetsInSeconds: expect.any(Number) });
      const fits = Math.floor(300 / points);
      for (let i = 1; i < fits; i += 1) expect((await gql(limited.gateway, PAGE, { token })).extensions!['cost'].budget.remaining).toBe(300 - (i + 1) * points);
      const refused = await gql(limited.gateway, PAGE, { token });
      expect(refused.status).toBe(429);
      expect(refused.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'QUERY_BUDGET_SPENT', retryAfter: expect.any(Number) });
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused.data ?? null).toBeNull();
      // The refusal spent nothing: a cheap query still fits in what is left.
      const cheap = await gql(limited.gateway, '{ viewer { subject } }', { token });
      expect(cheap.status).toBe(200);
      expect(cheap.extensions!['cost'].budget.remaining).toBe(300 - fits * points - cheap.extensions!['cost'].requestedQueryCost);
      // Another principal has points of its own.
      const other = await devToken(limited.runtime, 'underwriter', tenant.slug, { subject: 'another-person' });
      expect((await gql(limited.gateway, PAGE, { token: other })).status).toBe(200);
      // Over WebSocket, each operation is costed against the same budget, and refused with HTTP's answer: its errors
      // and what it would have cost (`extensions.cost`), then complete.
      expect(refused.extensions!['cost']).toEqual({ requestedQueryCost: points, maxQueryCost: 20_000, requestedNodes: cost.requestedNodes, maxNodes: 10_000 });
      const ws = subscribe(limited.gateway.websocketUrl, { authorization: `Bearer ${token}` }, PAGE);
      await until(() => ws.completed || ws.errors.length > 0);
      expect(ws.errors).toEqual([]);
      expect(ws.results).toEqual([{
        errors: [{ ...refused.errors![0], message: expect.stringMatching(/^this query costs \d+ points, more than is left of this minute's budget; retry after \d+ s$/), extensions: { ...refused.errors![0]!.extensions, retryAfter: expect.any(Number) } }],
        extensions: { cost: refused.extensions!['cost'] },
      }]);
      await ws.stop();
    } finally {
      await limited.close();
    }
  });
});

describe('INTERNAL errors', () => {
  it('are logged with the correlation id the client is given and the request id', async () => {
    const broken = await createTenant(server.runtime, uniqueSlug('exposure-broken'), { sandbox: true });
    await server.runtime.pool.query(`ALTER TABLE ${broken.schemaName}.party RENAME COLUMN legal_name TO legal_name_old`);
    const logged = await startLoggedServer();
    try {
      const token = await devToken(logged.runtime, 'finance', broken.slug);
      const response = await gql(logged.gateway, '{ parties(first: 5) { edges { node { legalName } } } }', { token, headers: { 'x-request-id': 'internal-1' } });
      expect(codes(response)).toEqual(['INTERNAL']);
      const correlationId = response.errors![0]!.extensions['correlationId'] as string;
      expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
      const line = logged.logs.find((entry) => entry.correlationId === correlationId);
      expect(line).toMatchObject({ level: 50, msg: 'internal error', requestId: 'internal-1', tenant: broken.slug });
      expect(JSON.stringify(line!.err)).toContain('legal_name');
    } finally {
      await logged.close();
    }
  });
});

describe('the development issuer on a public address', () => {
  it('refuses to start on a HOST that is not loopback unless DEV_ISSUER_ALLOW_REMOTE=true, and then warns', async () => {
    const refused = await runScript('src/main.ts', [], { HOST: '0.0.0.0', DATA_DIR: tempDataDir() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/DEV_ISSUER.*HOST=0\.0\.0\.0.*DEV_ISSUER_ALLOW_REMOTE=true/);
    const allowed = await startLoggedServer({ HOST: '0.0.0.0', DEV_ISSUER_ALLOW_REMOTE: 'true' });
    try {
      expect(allowed.logs).toContainEqual(expect.objectContaining({ level: 40, host: '0.0.0.0', msg: expect.stringMatching(/development issuer.*not loopback/) }));
      expect((await fetch(`http://127.0.0.1:${allowed.runtime.config.PORT}/healthz`)).status).toBe(200);
    } finally {
      await allowed.close();
    }
  });
});
