// A database that takes a connection and never answers (a partition, a host gone without a reset) fails a new
// connection after PG_CONNECT_TIMEOUT_MS, on the platform's database and on every database tenants are placed on,
// instead of holding the request until the operating system gives up on the socket.
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { OutboxFeed } from '../../src/events/outboxFeed.js';
import { createPool, openAllDatabases } from '../../src/tenancy/database.js';
import { createLogger } from '../../src/log.js';
import { testEnv } from '../support/harness.js';

const log = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
let silent: net.Server;
let silentUrl: string;
const held: net.Socket[] = [];

beforeAll(async () => {
  // Accepts on loopback and says nothing: PostgreSQL's answer to the startup message never comes.
  silent = net.createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `postgresql://nobody:nothing@127.0.0.1:${(silent.address() as net.AddressInfo).port}/nowhere`;
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

// Without a timeout the query would wait past the test's own limit: failing at all is what is shown.
async function failureOf(run: () => Promise<unknown>): Promise<{ message: string }> {
  const error = await run().then(() => null, (e: unknown) => e as Error);
  expect(error).toBeInstanceOf(Error);
  return { message: error!.message };
}

describe('a database that never answers', () => {
  it('fails a new connection after the timeout given', async () => {
    const pool = createPool(silentUrl, 1, 'lendgraph-test', { connectTimeoutMs: 300 });
    try {
      const failed = await failureOf(() => pool.query('SELECT 1'));
      expect(failed.message).toMatch(/timeout/i);
    } finally {
      await pool.end();
    }
  });

  it('does not fail a request that waits longer than that for a free connection of a busy pool', async () => {
    const pool = createPool((await testEnv())['DATABASE_URL']!, 1, 'lendgraph-test', { connectTimeoutMs: 200 });
    try {
      const busy = await pool.connect();
      const waiting = pool.query('SELECT 1 AS one');
      // Held past the connection timeout several times over, then given back: the waiting query takes it.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      busy.release();
      await expect(waiting).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await pool.end();
    }
  });

  it('is given up on after PG_CONNECT_TIMEOUT_MS for a database tenants are placed on', async () => {
    const config = loadConfig(await testEnv({ TENANT_DATABASES: `east=${silentUrl}`, PG_CONNECT_TIMEOUT_MS: '300' }));
    expect(loadConfig(await testEnv()).PG_CONNECT_TIMEOUT_MS).toBe(10_000);
    const opened = await openAllDatabases(config, log);
    try {
      const failed = await failureOf(() => opened.databases.pool('east').query('SELECT 1'));
      expect(failed.message).toMatch(/timeout/i);
      // The platform's own database is unaffected.
      await expect(opened.databases.main.pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await opened.close();
    }
  });

  // The default (10 s) would outlast this test's own limit: the warning coming at all is what is shown.
  it('gives up on the LISTEN session of a database tenants are placed on after PG_CONNECT_TIMEOUT_MS too', async () => {
    const config = loadConfig(await testEnv({ TENANT_DATABASES: `east=${silentUrl}`, PG_CONNECT_TIMEOUT_MS: '300' }));
    const lines: { msg?: string; database?: string; err?: { message?: string } }[] = [];
    const heard = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
    const opened = await openAllDatabases(config, log);
    const feed = new OutboxFeed(opened.databases, createLogger('warn', heard));
    try {
      await feed.start();
      await expect.poll(() => lines.find((line) => line.database === 'east'), { timeout: 3_000, interval: 50 }).toBeTruthy();
      const warned = lines.find((line) => line.database === 'east')!;
      expect(warned.msg).toMatch(/outbox listener not started/);
      expect(warned.err?.message).toMatch(/timeout/i);
    } finally {
      await feed.stop();
      await opened.close();
    }
  }, 5_000);
});
