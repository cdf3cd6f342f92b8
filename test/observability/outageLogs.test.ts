// A request failing because PostgreSQL is unreachable: what its client is answered, and what the log keeps.
// - The answer is INTERNAL with a correlation id, in one of two shapes (docs/errors.md): HTTP 500 without `data`
//   when it failed before the operation ran (finding the lender in the registry), HTTP 200 beside `data` when it
//   failed while the operation ran (the lender already known to this gateway, for TENANT_REGISTRY_TTL_MS).
// - The log has one `internal error` line for it, with the correlation id its client was given and its request id,
//   saying what failed (Prisma's code and message) but not where in the source: no code frame of the calling lines,
//   no file path in the message, no stack frame of Prisma's runtime or of the generated client. (An outage of 90 s
//   once logged thousands of lines, each carrying the same source lines of src/tenancy/registry.ts.)
// The database is cut off by closing a proxy between the gateway and the test run's PostgreSQL, so nothing else
// loses it.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, devToken, startLoggedServer, testEnv, uniqueSlug, type TestServer } from '../support/harness.js';
import { until } from '../support/ws.js';

const PARTIES = '{ parties(first: 1) { edges { node { legalName } } } }';

let proxy: net.Server;
const piped = new Set<net.Socket>();
let server: TestServer & { logs: Record<string, any>[] };
/** A lender this gateway has not looked up since the database went: finding it fails before the operation runs. */
let unknown: TenantRecord;
/** A lender this gateway looked up just before: the operation runs, and fails on its first query. */
let known: TenantRecord;

/** Forwards connections to the test run's PostgreSQL until `cutOff` refuses new ones and ends those open. */
async function startProxy(): Promise<string> {
  const target = new URL((await testEnv())['DATABASE_URL']!);
  proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), '127.0.0.1');
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      piped.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        piped.delete(from);
        to.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const through = new URL(target.toString());
  // Over TCP to the proxy, not through the server's own socket folder.
  through.search = '';
  through.port = String((proxy.address() as net.AddressInfo).port);
  return through.toString();
}

function cutOff(): void {
  proxy.close();
  for (const socket of piped) socket.destroy();
}

async function ask(tenant: TenantRecord, requestId: string) {
  const response = await fetch(`${server.gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await devToken(server.runtime, 'finance', tenant.slug)}`, 'x-request-id': requestId },
    body: JSON.stringify({ query: PARTIES }),
  });
  return { status: response.status, body: await response.json() as { data?: unknown; errors: { path?: string[]; extensions: { code: string; correlationId: string } }[] } };
}

/** The log lines of the error its client was told of. */
function linesOf(answer: Awaited<ReturnType<typeof ask>>): Record<string, any>[] {
  const correlationId = answer.body.errors[0]!.extensions.correlationId;
  return server.logs.filter((entry) => entry['correlationId'] === correlationId);
}

beforeAll(async () => {
  server = await startLoggedServer({ DATABASE_URL: await startProxy(), PG_CONNECT_TIMEOUT_MS: '2000', TENANT_REGISTRY_TTL_MS: '60000' });
  unknown = await createTenant(server.runtime, uniqueSlug('outage-unknown'), { sandbox: true });
  known = await createTenant(server.runtime, uniqueSlug('outage-known'), { sandbox: true });
  server.runtime.registry.forget(unknown.slug);
  cutOff();
  // The pool has dropped the connections it held: the next query has to connect, and cannot.
  await until(() => server.runtime.pool.totalCount === 0);
});
afterAll(async () => {
  cutOff();
  await server?.close();
});

describe('a request failing while the database is unreachable', () => {
  it('is logged once, with its correlation and request ids, without source code or frames of generated code', async () => {
    const answer = await ask(unknown, 'outage-log-1');
    expect(answer.body.errors.map((e) => e.extensions.code)).toEqual(['INTERNAL']);
    const lines = linesOf(answer);
    expect(lines).toHaveLength(1);
    const [line] = lines as [Record<string, any>];
    expect(line).toMatchObject({ level: 50, msg: 'internal error', requestId: 'outage-log-1', err: { type: 'PrismaClientKnownRequestError', code: 'P1001' } });
    expect(line.err.message).toMatch(/^\s*Invalid `[\w.]+\(\)` invocation:\s+Can't reach database server at 127\.0\.0\.1:\d+$/);
    // No code frame: neither the calling file nor its lines (Prisma marks the failing one with an arrow).
    expect(JSON.stringify(line)).not.toMatch(/registry\.ts|→|\n\s+\d+\s/);
    const frames = (line.err.stack as string).split('\n').filter((l) => /^\s+at /.test(l));
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.filter((frame) => /node_modules[/\\]@prisma|generated[/\\]prisma/.test(frame))).toEqual([]);
  });

  it('answers INTERNAL: HTTP 500 without data before the operation runs, HTTP 200 beside data while it runs', async () => {
    const before = await ask(unknown, 'outage-before');
    expect(before.status).toBe(500);
    expect(before.body).not.toHaveProperty('data');
    expect(before.body.errors).toEqual([{ message: expect.stringMatching(/^Internal error\. Quote correlation id [0-9a-f-]{36} to support\.$/), extensions: { code: 'INTERNAL', correlationId: expect.any(String) } }]);

    const during = await ask(known, 'outage-during');
    expect(during.status).toBe(200);
    expect(during.body.data).toBeNull();
    expect(during.body.errors).toMatchObject([{ path: ['parties'], extensions: { code: 'INTERNAL', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) } }]);

    for (const [answer, requestId] of [[before, 'outage-before'], [during, 'outage-during']] as const) {
      expect(linesOf(answer)).toMatchObject([{ level: 50, msg: 'internal error', requestId }]);
    }
  });
});
