// What a request failing because PostgreSQL is unreachable leaves in the log: one `internal error` line, with the
// correlation id its client was given and its request id, saying what failed (Prisma's code and message) but not
// where in the source — no code frame of the calling lines, no file path in the message, no stack frame of Prisma's
// runtime or of the generated client. (An outage of 90 s once logged thousands of lines, each carrying the same
// source lines of src/tenancy/registry.ts.) The database is cut off by closing a proxy between the gateway and the
// test run's PostgreSQL, so nothing else loses it.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, devToken, startLoggedServer, testEnv, uniqueSlug, type TestServer } from '../support/harness.js';
import { until } from '../support/ws.js';

let proxy: net.Server;
const piped = new Set<net.Socket>();
let server: TestServer & { logs: Record<string, any>[] };

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

beforeAll(async () => {
  server = await startLoggedServer({ DATABASE_URL: await startProxy(), PG_CONNECT_TIMEOUT_MS: '2000' });
});
afterAll(async () => {
  cutOff();
  await server?.close();
});

describe('a request failing while the database is unreachable', () => {
  it('is logged once, with its correlation and request ids, without source code or frames of generated code', async () => {
    const tenant = await createTenant(server.runtime, uniqueSlug('outage-log'), { sandbox: true });
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    cutOff();
    // The pool has dropped the connections it held: the next query has to connect, and cannot.
    await until(() => server.runtime.pool.totalCount === 0);

    const response = await fetch(`${server.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'outage-log-1' },
      body: JSON.stringify({ query: '{ parties(first: 1) { edges { node { legalName } } } }' }),
    });
    const answer = await response.json() as { errors: { extensions: { code: string; correlationId: string } }[] };
    expect(answer.errors.map((e) => e.extensions.code)).toEqual(['INTERNAL']);
    const correlationId = answer.errors[0]!.extensions.correlationId;

    const lines = server.logs.filter((entry) => entry['correlationId'] === correlationId);
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
});
