// Events from the outbox: live ones delivered after commit (never before, never if rolled back), resumable from a
// cursor without gaps or duplicates, filtered for partners, across processes, and bounded for slow consumers; and
// the events query, which pages the same stream by the same cursor under the same partner rule, its payloads in the
// API's forms (global ids that node() and postRepayment take, Money text).
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FeedStoppedError, OutboxFeed } from '../../src/events/outboxFeed.js';
import { CommitSettler } from '../../src/events/commitSettler.js';
import { runCommand, type Actor } from '../../src/commands/runCommand.js';
import { createLogger } from '../../src/log.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';
import { quoteIdent } from '../../src/tenancy/schemaNames.js';
import { firstErrors, subscribe, until } from '../support/ws.js';
import { freePort } from '../support/ports.js';
import { runScript, startServer, tempDataDir } from '../support/process.js';

let server: TestServer;
let tenant: TenantRecord;
const actor: Actor = { subject: 'user-1', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'req-events' };
const EVENTS = 'subscription($after: String) { events(after: $after) { cursor type aggregateId payload } }';
const REGISTER = `mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { id code } ${USER_ERRORS} } }`;

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
  expect(userErrors(response, 'registerPartner')).toEqual([]);
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

  it('follows one aggregate by the global id its events carry, and refuses a filter that could never match', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const FILTERED = 'subscription($after: String, $aggregateType: String, $aggregateId: String) { events(after: $after, aggregateType: $aggregateType, aggregateId: $aggregateId) { cursor aggregateType aggregateId } }';
    const registered = await registerPartner(server.gateway, admin);
    const all = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, EVENTS, { after: '0' });
    await until(() => all.results.some((result) => codeOf(result) === registered));
    const event = all.results.find((result) => codeOf(result) === registered)!['data'].events as { aggregateId: string };
    await all.stop();
    const followed = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, FILTERED, { after: '0', aggregateType: 'Partner', aggregateId: event.aggregateId });
    await until(() => followed.results.length > 0);
    expect(followed.results.map((result) => result['data'].events.aggregateId)).toEqual([event.aggregateId]);
    await followed.stop();
    const databaseId = Buffer.from(event.aggregateId, 'base64').toString('utf8').split(':')[1]!;
    const loanId = Buffer.from(`Loan:${randomUUID()}`).toString('base64');
    const refused: [Record<string, unknown>, string, RegExp][] = [
      [{ aggregateType: 'Partnr' }, 'aggregateType', /no kind of aggregate/],
      [{ aggregateId: databaseId }, 'aggregateId', /global id/],
      [{ aggregateId: Buffer.from(`Nothing:${databaseId}`).toString('base64') }, 'aggregateId', /global id/],
      [{ aggregateType: 'Partner', aggregateId: loanId }, 'aggregateId', /a Loan, not of a Partner/],
      // A cursor past the newest event: following it would skip the events up to it unseen.
      [{ after: String(Number(await server.runtime.feed.currentCursor(tenant.schemaName)) + 1_000_000) }, 'after', /beyond the newest event/],
    ];
    for (const [variables, field, message] of refused) {
      const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, FILTERED, { after: '0', ...variables });
      await until(() => live.results.length > 0 || live.errors.length > 0);
      const [error] = firstErrors(live)!;
      expect(error!.extensions, JSON.stringify(variables)).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(error!.message).toMatch(message);
      await live.stop();
    }
  });

  it('keeps a checked document by its text, never a refused one, and still checks every subscriber\'s variables', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const params = { authorization: `Bearer ${admin}` };
    const refusedOnce = async (query: string, variables: Record<string, unknown> = {}) => {
      const live = subscribe(server.gateway.websocketUrl, params, query, variables);
      await until(() => live.results.length > 0 || live.errors.length > 0);
      const errors = firstErrors(live);
      await live.stop();
      return errors;
    };
    const invalid = 'subscription { events { cursor noSuchField } }';
    for (let i = 0; i < 2; i += 1) {
      const [refusal] = (await refusedOnce(invalid))!;
      expect(refusal!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(refusal!.message).toContain('noSuchField');
      expect(server.gateway.keepsCheckedDocument(invalid)).toBe(false);
    }
    // The same valid text twice: kept once checked, and its variables still checked for each subscriber.
    const served = subscribe(server.gateway.websocketUrl, params, EVENTS, { after: null });
    await until(() => server.gateway.keepsCheckedDocument(EVENTS));
    expect((await refusedOnce(EVENTS, { after: 'DROP TABLE' }))![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    // A long text is served but not kept: a parsed document holds many times its text.
    const long = `${EVENTS}\n# ${'x'.repeat(2_100)}`;
    const servedLong = subscribe(server.gateway.websocketUrl, params, long, { after: null });
    const code = await registerPartner(server.gateway, admin);
    await until(() => [served, servedLong].every((live) => live.results.some((result) => result['data']?.events?.payload?.code === code)));
    expect(served.errors).toEqual([]);
    expect(servedLong.errors).toEqual([]);
    expect(server.gateway.keepsCheckedDocument(long)).toBe(false);
    await Promise.all([served.stop(), servedLong.stop()]);
  });
});

describe('shared subscriptions', () => {
  const LIVE = 'subscription($types: [String!]) { events(types: $types) { cursor type payload } }';
  const ROTATE = `mutation($input: RotatePartnerSecretInput!) { rotatePartnerSecret(input: $input) { partner { code } ${USER_ERRORS} } }`;
  const url = () => server.gateway.websocketUrl;
  const groupsSince = (before: Set<string>) => server.gateway.subscriptions.stats().filter((group) => !before.has(group.key));
  const existing = () => new Set(server.gateway.subscriptions.stats().map((group) => group.key));

  it('runs the document once per event for everyone who asked the same in the same scope, apart for other variables', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const before = existing();
    const executionsBefore = server.gateway.subscriptions.executions;
    const same = Array.from({ length: 5 }, () => subscribe(url(), { authorization: `Bearer ${admin}` }, LIVE, { types: ['partner.*'] }));
    const other = subscribe(url(), { authorization: `Bearer ${admin}` }, LIVE, { types: ['partner.registered'] });
    await until(() => groupsSince(before).map((group) => group.members).sort().join() === '1,5');
    const codes = [await registerPartner(server.gateway, admin), await registerPartner(server.gateway, admin)];
    await until(() => [...same, other].every((live) => live.results.length >= 2));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const live of [...same, other]) expect(live.results.map(codeOf)).toEqual(codes);
    // Every member of a group got the very same answer.
    for (const live of same) expect(live.results.map((r) => r['data'])).toEqual(same[0]!.results.map((r) => r['data']));
    const groups = groupsSince(before);
    expect(groups.map((group) => [group.members, group.executions]).sort()).toEqual([[1, 2], [5, 2]]);
    // Two events, two groups: four executions, not twelve.
    expect(server.gateway.subscriptions.executions - executionsBefore).toBe(4);
    await Promise.all([...same, other].map((live) => live.stop()));
    await until(() => groupsSince(before).length === 0);
  });

  it('two partners with the same document and variables never share, each receives only its own events, and staff share with neither', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const [a, b] = [await registerPartner(server.gateway, admin, 'COLENDING'), await registerPartner(server.gateway, admin, 'COLENDING')];
    const tokenOf = (code: string) => devToken(server.runtime, 'colending-partner', tenant.slug, { partner: { id: code, kind: 'colending' } });
    const [tokenA, tokenB] = [await tokenOf(a), await tokenOf(b)];
    const before = existing();
    const variables = { types: ['partner.secretRotated'] };
    const partnerA = [subscribe(url(), { authorization: `Bearer ${tokenA}` }, LIVE, variables), subscribe(url(), { authorization: `Bearer ${tokenA}` }, LIVE, variables)];
    const partnerB = subscribe(url(), { authorization: `Bearer ${tokenB}` }, LIVE, variables);
    const staff = subscribe(url(), { authorization: `Bearer ${admin}` }, LIVE, variables);
    // Partner a's two subscribers share; b and staff each have a group of their own.
    await until(() => groupsSince(before).map((group) => group.members).sort().join() === '1,1,2');
    for (const code of [a, b]) {
      const response = await gql(server.gateway, ROTATE, { token: admin, variables: { input: { code } } });
      expect(response.errors).toBeUndefined();
      expect(userErrors(response, 'rotatePartnerSecret')).toEqual([]);
    }
    await until(() => staff.results.length >= 2 && partnerB.results.length >= 1 && partnerA.every((live) => live.results.length >= 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const live of partnerA) expect(live.results.map(codeOf)).toEqual([a]);
    expect(partnerB.results.map(codeOf)).toEqual([b]);
    expect(staff.results.map(codeOf)).toEqual([a, b]);
    await Promise.all([...partnerA, partnerB, staff].map((live) => live.stop()));
  });

  it('a subscriber joining a live group receives only events after it joined, and one resuming from a cursor runs alone', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const before = existing();
    const variables = { types: ['partner.registered'] };
    const first = subscribe(url(), { authorization: `Bearer ${admin}` }, LIVE, variables);
    await until(() => groupsSince(before).length === 1);
    const early = await registerPartner(server.gateway, admin);
    await until(() => first.results.length >= 1);
    const cursor = first.results[0]!['data'].events.cursor as string;
    const late = subscribe(url(), { authorization: `Bearer ${admin}` }, LIVE, variables);
    const resumed = subscribe(url(), { authorization: `Bearer ${admin}` }, 'subscription($types: [String!], $after: String) { events(types: $types, after: $after) { cursor type payload } }', { ...variables, after: String(Number(cursor) - 1) });
    await until(() => groupsSince(before).map((group) => group.members).join() === '2' && resumed.results.length >= 1);
    const later = await registerPartner(server.gateway, admin);
    await until(() => first.results.length >= 2 && late.results.length >= 1 && resumed.results.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(first.results.map(codeOf)).toEqual([early, later]);
    expect(late.results.map(codeOf)).toEqual([later]);
    expect(resumed.results.map(codeOf)).toEqual([early, later]);
    await Promise.all([first, late, resumed].map((live) => live.stop()));
  });

  it('a shared member\'s `next` frame is, byte for byte, the one graphql-ws sends a subscriber running alone, but for its id', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const before = existing();
    const document = 'subscription($types: [String!], $after: String) { events(types: $types, after: $after) { cursor type payload } }';
    // The newest event now: resuming after it, the lone subscriber's first event is the one committed below.
    const cursor = String(await server.runtime.feed.currentCursor(tenant.schemaName));
    // Raw sockets, to see the text of each frame: one without a cursor (shared), one resuming (runs alone, sent by
    // graphql-ws itself), in the same scope with the same document.
    const raw = (id: string, variables: Record<string, unknown>) => {
      const frames: string[] = [];
      const socket = new WebSocket(url(), 'graphql-transport-ws');
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${admin}` } })));
      socket.on('message', (data) => {
        const text = String(data);
        const message = JSON.parse(text) as { type: string };
        if (message.type === 'connection_ack') socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: document, variables } }));
        else if (message.type === 'next') frames.push(text);
      });
      return { frames, close: () => socket.close() };
    };
    const serializationsBefore = server.gateway.subscriptions.serializations;
    const shared = raw('shared-1', { types: ['partner.registered'] });
    const alone = raw('alone-1', { types: ['partner.registered'], after: cursor });
    try {
      await until(() => groupsSince(before).length === 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await registerPartner(server.gateway, admin);
      await until(() => shared.frames.length >= 1 && alone.frames.length >= 1);
      expect(JSON.parse(shared.frames[0]!)).toMatchObject({ id: 'shared-1', type: 'next', payload: { data: { events: { type: 'partner.registered' } }, extensions: { cost: expect.any(Object) } } });
      expect(shared.frames[0]!.replace('"shared-1"', '"alone-1"')).toBe(alone.frames[0]!);
      // Written by the group (one serialization for the event), not by graphql-ws.
      expect(server.gateway.subscriptions.serializations - serializationsBefore).toBe(1);
    } finally {
      shared.close();
      alone.close();
    }
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

describe('shutting down', () => {
  it('a stream that joins a feed already stopping ends at once, as those it stopped did, rather than waiting for ever', async () => {
    const feed = new OutboxFeed(server.runtime.databases, createLogger('silent'), { maxQueue: 10, sweepMs: 60_000 });
    await feed.start();
    await feed.stop();
    const stream = feed.subscribe(tenant.schemaName, 0, {});
    await expect(stream.next()).rejects.toBeInstanceOf(FeedStoppedError);
  });

  it('a live subscription ends quietly when the feed stops: no INTERNAL error reaches the client (its socket closes going away)', async () => {
    const own = await startTestServer();
    try {
      const lender = await createTenant(own.runtime, uniqueSlug('bye'));
      const admin = await devToken(own.runtime, 'tenant-admin', lender.slug);
      const live = subscribe(own.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, EVENTS);
      await until(() => own.gateway.subscriptions.stats().length > 0);
      await own.runtime.feed.stop();
      await until(() => live.completed || live.errors.length > 0);
      expect(live.errors).toEqual([]);
      expect(live.completed).toBe(true);
      await live.stop();
    } finally {
      await own.close();
    }
  });
});

describe('large commits and old cursors over the API', () => {
  it('a commit of 2,000 events reaches a live subscriber whole, and one resuming from cursor 0 gets a history of 4,000: no SLOW_CONSUMER', async () => {
    const lender = await createTenant(server.runtime, uniqueSlug('big-commit'));
    const admin = await devToken(server.runtime, 'tenant-admin', lender.slug);
    const burst = async (count: number) => {
      await server.runtime.pool.query(
        `INSERT INTO ${quoteIdent(lender.schemaName)}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, payload)
         SELECT gen_random_uuid(), 'ledgerAccount.opened', 'LedgerAccount', 'big-' || n, $1, NULL, now(), jsonb_build_object('n', n) FROM generate_series(1, $2) AS n`,
        [lender.slug, count]);
      await server.runtime.settler.settle(lender.schemaName);
    };
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, EVENTS);
    await until(() => server.gateway.subscriptions.stats().some((group) => group.members > 0), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await burst(2_000);
    await until(() => live.results.length >= 2_000 || live.errors.length > 0, 30_000);
    expect(live.errors).toEqual([]);
    expect(live.results.map((r) => r['data'].events.payload.n)).toEqual(Array.from({ length: 2_000 }, (_, k) => k + 1));
    await live.stop();
    await burst(2_000);
    const resumed = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, EVENTS, { after: '0' });
    await until(() => resumed.results.length >= 4_000 || resumed.errors.length > 0, 60_000);
    expect(resumed.errors).toEqual([]);
    const cursors = resumed.results.map((r) => Number(r['data'].events.cursor));
    expect(cursors.every((cursor, k) => k === 0 || cursor > cursors[k - 1]!)).toBe(true);
    expect(resumed.results.filter((r) => r['data'].events.type === 'ledgerAccount.opened')).toHaveLength(4_000);
    await resumed.stop();
  }, 120_000);
});

describe('under concurrent commits', () => {
  it('loses no event when transactions commit out of their insertion order', async () => {
    const feed = new OutboxFeed(server.runtime.databases, createLogger('silent'), { maxQueue: 10_000, sweepMs: 200 });
    await feed.start();
    try {
      const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
      const stream = feed.subscribe(tenant.schemaName, await feed.currentCursor(tenant.schemaName), { aggregateType: 'LedgerAccount' });
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
            return { result: null, audit: { entityType: 'Burst', entityId: `b-${n}` }, events: [{ type: 'ledgerAccount.opened', aggregateType: 'LedgerAccount', aggregateId: `b-${n}`, payload: { code: `b-${n}`, name: 'burst', kind: 'asset' } }] };
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
  it('hands what this process settled to its subscribers without reading it back, and reads the table when that would skip an event', async () => {
    const silent = createLogger('silent');
    // Never started: no LISTEN and no sweep, so only what the settle pass hands on (or reads) can reach it.
    const feed = new OutboxFeed(server.runtime.databases, silent, { maxQueue: 100, sweepMs: 60_000 });
    const ours = new CommitSettler(server.runtime.databases, silent);
    ours.onSettled(async (_sql, schema, events) => () => feed.accept(schema, events));
    // Another process's settler: our feed hears nothing of what it numbers.
    const theirs = new CommitSettler(server.runtime.databases, silent);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const emit = async (code: string, settler: CommitSettler) => {
      let settled: Promise<void> = Promise.resolve();
      await runCommand(db, {
        tenant: tenant.slug, action: 'test.emit', actor, now: new Date(), settle: (schema) => (settled = settler.settle(schema)),
      }, async () => ({
        result: null, audit: { entityType: 'Test', entityId: code }, events: [{ type: 'loanProduct.revised', aggregateType: 'LoanProduct', aggregateId: code, payload: { code, version: 1 } }],
      }));
      await settled;
    };
    const codes = ['handed-1', 'numbered-elsewhere-2', 'handed-3'].map((code) => `${code}-${randomUUID().slice(0, 6)}`);
    try {
      const stream = feed.subscribe(tenant.schemaName, await feed.currentCursor(tenant.schemaName), { types: ['loanProduct.revised'] });
      const first = stream.next();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await emit(codes[0]!, ours);
      expect((await first).value).toMatchObject({ type: 'loanProduct.revised', payload: { code: codes[0] } });
      // The next one this process settles does not follow what it has: it reads the table, and misses nothing.
      await emit(codes[1]!, theirs);
      await emit(codes[2]!, ours);
      const rest = [(await stream.next()).value, (await stream.next()).value];
      expect(rest.map((event) => (event.payload as { code: string }).code)).toEqual(codes.slice(1));
      await stream.return(undefined);
    } finally {
      await feed.stop();
    }
  });

  it('a subscriber that falls behind its bound reads the table again from the last event it took, and misses nothing', async () => {
    const feed = new OutboxFeed(server.runtime.databases, createLogger('silent'), { maxQueue: 3, sweepMs: 100 });
    await feed.start();
    try {
      const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
      const emit = (n: number) => runCommand(db, { tenant: tenant.slug, action: 'test.emit', actor, now: new Date() }, async () => ({
        result: null, audit: { entityType: 'Test', entityId: `t-${n}` }, events: [{ type: 'loanProduct.revised', aggregateType: 'LoanProduct', aggregateId: `t-${n}`, payload: { code: `t-${n}`, version: n } }],
      }));
      const stream = feed.subscribe(tenant.schemaName, await feed.currentCursor(tenant.schemaName), { aggregateType: 'LoanProduct' });
      const first = stream.next();
      await emit(0);
      expect((await first).value).toMatchObject({ payload: { code: 't-0', version: 0 } });
      // Six more while it reads nothing: it had 3 waiting when the 4th arrived, so it dropped them and reads the table.
      for (let n = 1; n <= 6; n += 1) await emit(n);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const rest: number[] = [];
      for (let n = 1; n <= 6; n += 1) rest.push(((await stream.next()).value as { payload: { version: number } }).payload.version);
      expect(rest).toEqual([1, 2, 3, 4, 5, 6]);
      // Then it is live again.
      const next = stream.next();
      await emit(7);
      expect((await next).value).toMatchObject({ payload: { version: 7 } });
      await stream.return(undefined);
    } finally {
      await feed.stop();
    }
  });

  it('one commit of more events than the bound reaches a reader whole and in order, and a reader from cursor 0 gets every event of a long history', async () => {
    const lender = await createTenant(server.runtime, uniqueSlug('burst'));
    const schema = quoteIdent(lender.schemaName);
    const feed = new OutboxFeed(server.runtime.databases, createLogger('silent'), { maxQueue: 100, sweepMs: 100 });
    await feed.start();
    try {
      const burst = async (count: number) => {
        await server.runtime.pool.query(
          `INSERT INTO ${schema}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, payload)
           SELECT gen_random_uuid(), 'ledgerAccount.opened', 'LedgerAccount', 'burst-' || n, $1, NULL, now(), jsonb_build_object('n', n) FROM generate_series(1, $2) AS n`,
          [lender.slug, count]);
        await server.runtime.settler.settle(lender.schemaName);
      };
      const start = await feed.currentCursor(lender.schemaName);
      const live = feed.subscribe(lender.schemaName, start, { aggregateType: 'LedgerAccount' });
      const received: number[] = [];
      const reading = (async () => {
        for await (const event of live) {
          received.push((event.payload as { n: number }).n);
          if (received.length === 1_000) return;
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await burst(1_000);
      await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      expect(received).toEqual(Array.from({ length: 1_000 }, (_, k) => k + 1));
      // A reader resuming from the start of a history many pages long takes it all, in order, then goes live.
      await burst(2_500);
      const fromStart = feed.subscribe(lender.schemaName, 0, { aggregateType: 'LedgerAccount' });
      let count = 0;
      let last = 0;
      for await (const event of fromStart) {
        expect(event.seq).toBeGreaterThan(last);
        last = event.seq;
        count += 1;
        if (count === 3_500) break;
      }
      expect(count).toBe(3_500);
    } finally {
      await feed.stop();
    }
  });
});

const PAGE = `query($first: Int, $after: String, $types: [String!]) {
  events(first: $first, after: $after, types: $types) { edges { cursor node { id cursor type aggregateType aggregateId schemaVersion payload } } pageInfo { hasNextPage endCursor } }
}`;

interface Listed { id: string; cursor: string; type: string; aggregateType: string; aggregateId: string; schemaVersion: number; payload: Record<string, any> }

async function listEvents(token: string, variables: Record<string, unknown>): Promise<{ events: Listed[]; endCursor: string | null; hasNextPage: boolean }> {
  const response = await gql(server.gateway, PAGE, { token, variables });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const connection = response.data!['events'];
  return {
    events: connection.edges.map((edge: { cursor: string; node: Listed & { payload: string } }) => {
      expect(edge.cursor).toBe(edge.node.cursor);
      return edge.node;
    }),
    endCursor: connection.pageInfo.endCursor, hasNextPage: connection.pageInfo.hasNextPage,
  };
}

describe('the events query', () => {
  let admin: string;
  let alphaCode: string;
  let betaCode: string;
  let loanGlobalId: string;
  // A lender with the sandbox's products, so a loan can be booked and repaid.
  let book: TenantRecord;

  beforeAll(async () => {
    book = await createTenant(server.runtime, uniqueSlug('evq'), { sandbox: true });
    admin = await devToken(server.runtime, 'tenant-admin', book.slug);
    alphaCode = await registerPartner(server.gateway, admin);
    betaCode = await registerPartner(server.gateway, admin);
    const disbursed = await gql(server.gateway, `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id principal } ${USER_ERRORS} } }`, {
      token: admin, variables: { input: { idempotencyKey: `events-loan-${alphaCode}`, productCode: 'PL-STD', principal: '1000', disbursementDate: book.businessDate, originationPartnerCode: alphaCode } },
    });
    expect(disbursed.errors, JSON.stringify(disbursed.errors)).toBeUndefined();
    expect(userErrors(disbursed, 'disburseLoan')).toEqual([]);
    loanGlobalId = disbursed.data!['disburseLoan'].loan.id;
    // The lender's own books: an event no partner receives.
    const opened = await gql(server.gateway, `mutation { openLedgerAccount(input: { code: "2901", name: "Events suspense", kind: ASSET }) { ledgerAccount { code } ${USER_ERRORS} } }`, { token: admin });
    expect(opened.errors, JSON.stringify(opened.errors)).toBeUndefined();
    expect(userErrors(opened, 'openLedgerAccount')).toEqual([]);
  });

  it('gives payload ids that node() and postRepayment take, and money as Money text', async () => {
    const { events: [disbursed] } = await listEvents(admin, { types: ['loan.disbursed'], first: 100 }).then((page) => ({ events: page.events.filter((e) => e.payload['loanId'] === loanGlobalId) }));
    expect(disbursed).toMatchObject({ type: 'loan.disbursed', aggregateType: 'Loan', aggregateId: loanGlobalId, schemaVersion: 2 });
    expect(disbursed!.payload).toMatchObject({ loanId: loanGlobalId, principal: '1000.00 USD', productCode: 'PL-STD', originationPartner: alphaCode });
    expect(disbursed!.payload['netDisbursement']).toMatch(/^\d+\.\d{2} USD$/);
    expect(disbursed!.payload).not.toHaveProperty('currency');

    const node = await gql(server.gateway, 'query($id: ID!) { node(id: $id) { __typename ... on Loan { id principal } } }', { token: admin, variables: { id: disbursed!.payload['loanId'] } });
    expect(node.errors).toBeUndefined();
    expect(node.data!['node']).toEqual({ __typename: 'Loan', id: loanGlobalId, principal: disbursed!.payload['principal'] });

    const repaid = await gql(server.gateway, `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id amount } ${USER_ERRORS} } }`, {
      token: admin, variables: { input: { idempotencyKey: `events-repay-${alphaCode}`, loanId: disbursed!.payload['loanId'], amount: '10', valueDate: book.businessDate, channel: 'card' } },
    });
    expect(repaid.errors, JSON.stringify(repaid.errors)).toBeUndefined();
    expect(userErrors(repaid, 'postRepayment')).toEqual([]);
    const transactionGlobalId = repaid.data!['postRepayment'].loanTransaction.id as string;
    // An event takes its cursor (and its place in the query) when its commit is settled, just after the commit.
    let posted: Listed | undefined;
    for (const deadline = Date.now() + 10_000; !posted && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
      const { events: repayments } = await listEvents(admin, { types: ['loan.repaymentPosted'], first: 100 });
      posted = repayments.find((e) => e.payload['transactionId'] === transactionGlobalId);
    }
    expect(posted).toMatchObject({ aggregateId: loanGlobalId, payload: { loanId: loanGlobalId, kind: 'repayment', amount: '10.00 USD', valueDate: book.businessDate } });
    const transaction = await gql(server.gateway, 'query($id: ID!) { node(id: $id) { __typename ... on LoanTransaction { id amount } } }', { token: admin, variables: { id: posted!.payload['transactionId'] } });
    expect(transaction.data!['node']).toEqual({ __typename: 'LoanTransaction', id: transactionGlobalId, amount: '10.00 USD' });
  });

  it('pages the stream by the subscription\'s cursor: in order, none twice, and a subscription resumes from a page\'s last cursor', async () => {
    const everything = await listEvents(admin, { first: 100 });
    const first = await listEvents(admin, { first: 2 });
    expect(first.hasNextPage).toBe(true);
    const second = await listEvents(admin, { first: 2, after: first.endCursor });
    const paged = [...first.events, ...second.events];
    expect(paged.map((e) => e.id)).toEqual(everything.events.slice(0, 4).map((e) => e.id));
    const cursors = everything.events.map((e) => Number(e.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(cursors.length);
    // The subscription resumed from the first page's end receives exactly what the next page holds, first.
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, 'subscription($after: String) { events(after: $after) { id cursor } }', { after: first.endCursor });
    await until(() => live.results.length >= 2);
    expect(live.results.slice(0, 2).map((r) => r['data'].events)).toEqual(second.events.map((e) => ({ id: e.id, cursor: e.cursor })));
    await live.stop();
  });

  it('filters by type, exactly or by prefix', async () => {
    const loans = await listEvents(admin, { types: ['loan.*'], first: 100 });
    expect(loans.events.length).toBeGreaterThanOrEqual(2);
    expect(loans.events.every((e) => e.type.startsWith('loan.'))).toBe(true);
    const two = await listEvents(admin, { types: ['partner.registered', 'loan.disbursed'], first: 100 });
    expect(new Set(two.events.map((e) => e.type))).toEqual(new Set(['partner.registered', 'loan.disbursed']));
  });

  it('shows a partner only the events that concern it; another partner none of them', async () => {
    const alpha = await devToken(server.runtime, 'origination-partner', book.slug, { partner: { id: alphaCode, kind: 'origination' } });
    const beta = await devToken(server.runtime, 'origination-partner', book.slug, { partner: { id: betaCode, kind: 'origination' } });
    const staff = await listEvents(admin, { first: 100 });
    const alphas = await listEvents(alpha, { first: 100 });
    const betas = await listEvents(beta, { first: 100 });
    // Alpha's own registration and its loan's events, nothing of beta's or anyone else's.
    expect(alphas.events.map((e) => e.type)).toEqual(expect.arrayContaining(['partner.registered', 'loan.disbursed', 'loan.repaymentPosted']));
    expect(alphas.events.every((e) => e.payload['code'] === alphaCode || e.aggregateId === loanGlobalId)).toBe(true);
    expect(betas.events.map((e) => [e.type, e.payload['code']])).toEqual([['partner.registered', betaCode]]);
    expect(JSON.stringify(betas)).not.toContain(loanGlobalId);
    // Staff see the tenant's events: the partners' and the lender's own.
    expect(staff.events.map((e) => e.id)).toEqual(expect.arrayContaining([...alphas.events, ...betas.events].map((e) => e.id)));
    expect(staff.events.find((e) => e.type === 'ledgerAccount.opened')).toMatchObject({ payload: { code: '2901', name: 'Events suspense' } });
    expect([...alphas.events, ...betas.events].some((e) => e.type === 'ledgerAccount.opened')).toBe(false);
    // A partner that names another's event types or pages past its cursors still sees only its own.
    const probing = await listEvents(beta, { types: ['loan.*'], first: 100, after: '0' });
    expect(probing.events).toEqual([]);
  });

  it('the subscription takes the same types filter and delivers what the query lists, in the same order', async () => {
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` },
      'subscription($types: [String!]) { events(after: "0", types: $types) { type aggregateId } }', { types: ['loan.*'] });
    const expected = (await listEvents(admin, { types: ['loan.*'], first: 100 })).events;
    await until(() => live.results.length >= expected.length);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(live.results.map((r) => r['data'].events)).toEqual(expected.map((e) => ({ type: e.type, aggregateId: e.aggregateId })));
    await live.stop();
    const misspelt = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, 'subscription { events(types: ["loan.disburse"]) { type } }');
    await until(() => misspelt.results.length > 0 || misspelt.errors.length > 0);
    expect(firstErrors(misspelt)![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'types' });
    await misspelt.stop();
  });

  it('refuses a forged cursor, an unknown type and an oversized page, naming the argument', async () => {
    for (const [variables, field] of [
      [{ after: 'DROP TABLE' }, 'after'],
      [{ types: ['loan.disburse'] }, 'types'],
      [{ types: ['application.accept_offer'] }, 'types'],
      [{ first: 101 }, 'first'],
      [{ first: -1 }, 'first'],
    ] as const) {
      const response = await gql(server.gateway, PAGE, { token: admin, variables });
      expect(response.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });
});
