// Live events from the outbox: delivered after commit (never before, never if rolled back), resumable from a
// cursor without gaps or duplicates, filtered for partners, across processes, and bounded for slow consumers.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OutboxFeed, SlowConsumerError } from '../../src/events/outboxFeed.js';
import { runCommand, type Actor } from '../../src/commands/runCommand.js';
import { createLogger } from '../../src/log.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';
import { firstErrors, subscribe, until } from '../support/ws.js';
import { freePort } from '../support/ports.js';
import { runScript, startServer, tempDataDir } from '../support/process.js';

let server: TestServer;
let tenant: TenantRecord;
const actor: Actor = { subject: 'user-1', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'req-events' };
const EVENTS = 'subscription($after: String) { events(after: $after) { cursor type aggregateId payload } }';
const REGISTER = 'mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { id code } } }';

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('ev'));
});
afterAll(async () => {
  await server.close();
});

async function registerPartner(gateway: TestServer['gateway'], token: string, kind: 'ORIGINATION' | 'COLENDING' = 'ORIGINATION'): Promise<string> {
  const code = `ev-${randomUUID().slice(0, 8)}`;
  const response = await gql(gateway, REGISTER, { token, variables: { input: { code, name: `Events ${code}`, kind } } });
  expect(response.errors).toBeUndefined();
  return code;
}

const codeOf = (result: Record<string, any>) => result['data'].events.payload.code as string;

describe('events over graphql-ws', () => {
  it('delivers a committed command\'s event with a cursor', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, EVENTS);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const code = await registerPartner(server.gateway, admin);
    await until(() => live.results.length > 0);
    expect(live.results[0]!['data'].events).toMatchObject({ type: 'partner.registered' });
    expect(codeOf(live.results[0]!)).toBe(code);
    expect(live.results[0]!['data'].events.cursor).toMatch(/^\d+$/);
    await live.stop();
  });

  it('resumes from a cursor: every event missed, in order, none twice, nothing rolled back', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const first = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, EVENTS, { after: '0' });
    await until(() => first.results.length > 0);
    const cursor = first.results.at(-1)!['data'].events.cursor as string;
    await first.stop();
    // Missed while away: two registrations, and a command that rolled back after writing its event.
    const missed = [await registerPartner(server.gateway, admin), await registerPartner(server.gateway, admin)];
    await expect(runCommand(server.runtime.tenantClients.forSchema(tenant.schemaName), { tenant: tenant.slug, action: 'test.rollback', actor, now: new Date() }, async () => {
      throw new Error('rolled back');
    })).rejects.toThrow();
    const resumed = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, EVENTS, { after: cursor });
    await until(() => resumed.results.length >= 2);
    // And live ones after the catch-up, on the same stream.
    const later = await registerPartner(server.gateway, admin);
    await until(() => resumed.results.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(resumed.results.map(codeOf)).toEqual([...missed, later]);
    const cursors = resumed.results.map((r) => Number(r['data'].events.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(cursors.length);
    await resumed.stop();
  });

  it('a partner receives only the events that concern it', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const mine = await registerPartner(server.gateway, admin, 'COLENDING');
    await registerPartner(server.gateway, admin);
    const partner = await devToken(server.runtime, 'colending-partner', tenant.slug, { partner: { id: mine, kind: 'colending' } });
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${partner}` }, EVENTS, { after: '0' });
    await until(() => live.results.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(live.results.map(codeOf)).toEqual([mine]);
    await live.stop();
  });

  it('refuses a forged cursor naming the argument', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, EVENTS, { after: 'DROP TABLE' });
    await until(() => live.results.length > 0 || live.errors.length > 0);
    expect(firstErrors(live)![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    await live.stop();
  });
});

describe('across processes', () => {
  it('a mutation through one gateway process reaches a subscriber on another', async () => {
    const dataDir = tempDataDir();
    const [portA, portB] = [await freePort(), await freePort()];
    const base = { DATABASE_URL: inject('databaseUrl'), DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const a = await startServer({ ...base, PORT: String(portA) });
    const b = await startServer({ ...base, PORT: String(portB) });
    try {
      const tokenFor = async (port: number) => (await runScript('src/cli/token.ts', ['--tenant', tenant.slug, '--role', 'tenant-admin'], { ...base, PORT: String(port) })).stdout.trim();
      const live = subscribe(`ws://127.0.0.1:${portB}/graphql`, { authorization: `Bearer ${await tokenFor(portB)}` }, EVENTS);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const code = `xp-${randomUUID().slice(0, 8)}`;
      const response = await fetch(`http://127.0.0.1:${portA}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(portA)}` },
        body: JSON.stringify({ query: REGISTER, variables: { input: { code, name: 'Cross Process', kind: 'ORIGINATION' } } }),
      });
      expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
      await until(() => live.results.some((r) => codeOf(r) === code), 10_000);
      await live.stop();
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
    }
  });
});

describe('under concurrent commits', () => {
  it('loses no event when transactions commit out of their insertion order', async () => {
    const feed = new OutboxFeed(server.runtime.pool, server.runtime.database.url, createLogger('silent'), { maxQueue: 10_000, sweepMs: 200 });
    await feed.start();
    try {
      const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
      const stream = feed.subscribe(tenant.schemaName, await feed.currentCursor(tenant.schemaName), { aggregateType: 'Burst' });
      const received: string[] = [];
      const reading = (async () => {
        for await (const event of stream) {
          received.push(event.aggregateId);
          if (received.length === 200) return;
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      // 200 commands from 10 writers; some hold their transaction open a little after writing the event.
      let next = 0;
      await Promise.all(Array.from({ length: 10 }, async () => {
        while (next < 200) {
          const n = next++;
          await runCommand(db, { tenant: tenant.slug, action: 'test.burst', actor, now: new Date() }, async () => {
            if (n % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
            return { result: null, audit: { entityType: 'Burst', entityId: `b-${n}` }, events: [{ type: 'test.burst', aggregateType: 'Burst', aggregateId: `b-${n}`, payload: { n } }] };
          });
        }
      }));
      await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      expect(new Set(received).size).toBe(200);
    } finally {
      await feed.stop();
    }
  });
});

describe('slow consumers', () => {
  it('a subscriber that stops reading is ended with SLOW_CONSUMER at its bound, naming where to resume', async () => {
    const feed = new OutboxFeed(server.runtime.pool, server.runtime.database.url, createLogger('silent'), { maxQueue: 3, sweepMs: 100 });
    await feed.start();
    try {
      const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
      const emit = (n: number) => runCommand(db, { tenant: tenant.slug, action: 'test.emit', actor, now: new Date() }, async () => ({
        result: null, audit: { entityType: 'Test', entityId: `t-${n}` }, events: [{ type: 'test.emitted', aggregateType: 'Test', aggregateId: `t-${n}`, payload: { n } }],
      }));
      const stream = feed.subscribe(tenant.schemaName, await feed.currentCursor(tenant.schemaName), { aggregateType: 'Test' });
      const first = stream.next();
      await emit(0);
      expect((await first).value).toMatchObject({ payload: { n: 0 } });
      for (let n = 1; n <= 6; n += 1) await emit(n);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // It had 3 waiting when the 4th arrived: it is ended, and told to resume after the last one it received.
      await expect(stream.next()).rejects.toBeInstanceOf(SlowConsumerError);
    } finally {
      await feed.stop();
    }
  });
});
