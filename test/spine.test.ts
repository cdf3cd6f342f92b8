// The event spine's transactional core: a command's change, its outbox events and its audit record commit or
// vanish together; the audit trail is append-only, hash-chained and verifiable; idempotency keys give one
// effect however many twins arrive.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globalIdOf } from '../src/domain/globalId.js';
import { runCommand, type Actor } from '../src/commands/runCommand.js';
import { verifyAuditChain } from '../src/commands/auditTrail.js';
import { withTenantSql } from '../src/tenancy/tenantSql.js';
import type { TenantRecord } from '../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from './support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
const actor: Actor = { subject: 'user-1', roles: ['tenant-admin'], partner: null, clientId: 'lendgraph-dashboard', requestId: 'req-1' };

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('spine'));
});
afterAll(async () => {
  await server.close();
});

const db = () => server.runtime.tenantClients.forSchema(tenant.schemaName);
const REGISTER = `mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { clientSecret partner { id code } ${USER_ERRORS} } }`;

describe('outbox and audit, in the command\'s transaction', () => {
  it('a command writes its event and its audit record (actor, roles, client, request id, after)', async () => {
    const token = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const code = `ob-${randomUUID().slice(0, 6)}`;
    const response = await gql(server.gateway, REGISTER, { token, variables: { input: { code, name: 'Outbox Partner', kind: 'ORIGINATION' } }, headers: { 'x-request-id': `req-${code}` } });
    const partnerId = response.data!['registerPartner'].partner.id as string;
    expect(partnerId).toBe(globalIdOf('Partner', (await db().partner.findUniqueOrThrow({ where: { code } })).id));
    const row = await db().partner.findUniqueOrThrow({ where: { code } });
    // Written with the API's global id, the one the answer gave.
    const events = await db().outboxEvent.findMany({ where: { aggregateId: partnerId } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'partner.registered', aggregateType: 'Partner', tenant: tenant.slug, partnerScope: code, payload: { code, kind: 'origination' } });
    const [audit] = await db().auditRecord.findMany({ where: { entityId: row.id } });
    expect(audit).toMatchObject({ action: 'partner.register', entityType: 'Partner', actor: `dev-user:tenant-admin@${tenant.slug}`, roles: ['tenant-admin'], clientId: 'lendgraph-dev', requestId: `req-${code}` });
    expect((audit!.after as { code: string }).code).toBe(code);
    expect(partnerId).toBeTruthy();
  });

  it('when the transaction fails after the change, neither the change nor its event nor its audit record survives', async () => {
    const id = randomUUID();
    const before = { events: await db().outboxEvent.count(), audits: await db().auditRecord.count() };
    await expect(runCommand(db(), { tenant: tenant.slug, action: 'party.create', actor, now: new Date() }, async (tx) => {
      await tx.party.create({ data: { id, kind: 'PERSON', legalName: 'Never Was' } });
      return {
        result: id,
        audit: { entityType: 'Party', entityId: id, after: { legalName: 'Never Was' } },
        // The second event's payload does not have its catalogued shape: the transaction fails after the change.
        events: [{ type: 'partner.secretRotated', aggregateType: 'Partner', aggregateId: id, payload: { code: 'never' } }, { type: 'partner.secretRotated', aggregateType: 'Partner', aggregateId: id, payload: { code: 1n as unknown as string } }],
      };
    })).rejects.toThrow();
    expect(await db().party.findUnique({ where: { id } })).toBeNull();
    expect(await db().outboxEvent.count()).toBe(before.events);
    expect(await db().auditRecord.count()).toBe(before.audits);
  });
});

describe('the audit trail', () => {
  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    await runCommand(db(), { tenant: tenant.slug, action: 'test.note', actor, now: new Date() }, async () => ({ result: null, audit: { entityType: 'Note', entityId: 'n-1' }, events: [] }));
    for (const statement of ["UPDATE audit_record SET actor = 'someone else'", 'DELETE FROM audit_record', 'TRUNCATE audit_record']) {
      await expect(withTenantSql(server.runtime.pool, tenant.schemaName, (sql) => sql.query(statement))).rejects.toThrow(/append-only/);
    }
  });

  it('verifies its chain, and names the first broken link after a superuser tampers with a row', async () => {
    const victim = await createTenant(server.runtime, uniqueSlug('spine-tamper'));
    const victimDb = server.runtime.tenantClients.forSchema(victim.schemaName);
    for (let i = 1; i <= 5; i += 1) {
      await runCommand(victimDb, { tenant: victim.slug, action: 'test.entry', actor, now: new Date(Date.UTC(2026, 10, 22, 9, i)) }, async () => ({ result: null, audit: { entityType: 'Entry', entityId: `e-${i}`, after: { amount: `${i}00.00 USD` } }, events: [] }));
    }
    expect(await verifyAuditChain(server.runtime.pool, server.runtime.settler, victim.schemaName)).toEqual({ intact: true, records: 5, firstBrokenSeq: null, reason: null });
    const token = await devToken(server.runtime, 'auditor', victim.slug);
    expect((await gql(server.gateway, '{ auditChainVerification { intact records } }', { token })).data).toEqual({ auditChainVerification: { intact: true, records: 5 } });

    // A superuser bypasses the refusal (triggers off for this transaction) and rewrites record 3's amount.
    await withTenantSql(server.runtime.pool, victim.schemaName, async (sql) => {
      await sql.query("SET LOCAL session_replication_role = 'replica'");
      await sql.query(`UPDATE audit_record SET after = '{"amount": "9900.00 USD"}' WHERE seq = 3`);
    });
    const verdict = await gql(server.gateway, '{ auditChainVerification { intact records firstBrokenSeq reason } }', { token });
    expect(verdict.data).toEqual({ auditChainVerification: { intact: false, records: 5, firstBrokenSeq: 3, reason: 'content does not match its hash' } });
  });
});

describe('reading the audit trail', () => {
  it('an auditor pages it in chain order and narrows it by record (database or global id), actor and action; not what the records held', async () => {
    const lender = await createTenant(server.runtime, uniqueSlug('spine-read'));
    const admin = await devToken(server.runtime, 'tenant-admin', lender.slug, { subject: 'reading-admin' });
    const partnerCodes = ['read-one', 'read-two', 'read-three'];
    for (const code of partnerCodes) {
      const made = await gql(server.gateway, REGISTER, { token: admin, variables: { input: { code, name: code, kind: 'ORIGINATION' } }, headers: { 'x-request-id': `req-${code}` } });
      expect(userErrors(made, 'registerPartner')).toEqual([]);
    }
    await server.runtime.settler.settle(lender.schemaName);
    const auditor = await devToken(server.runtime, 'auditor', lender.slug);
    const TRAIL = `query($first: Int, $after: String, $entityId: String, $entityType: String, $actor: String, $action: String) {
      auditRecords(first: $first, after: $after, entityId: $entityId, entityType: $entityType, actor: $actor, action: $action) {
        edges { node { seq actor roles action entityType entityId requestId occurredAt } } pageInfo { hasNextPage endCursor } } }`;
    const read = async (variables: Record<string, unknown>) => {
      const answer = await gql(server.gateway, TRAIL, { token: auditor, variables });
      expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
      return answer.data!['auditRecords'] as { edges: { node: Record<string, any> }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    };
    const registered = await read({ first: 10, action: 'partner.register' });
    expect(registered.edges.map((e) => [e.node['action'], e.node['actor'], e.node['requestId']])).toEqual(partnerCodes.map((code) => ['partner.register', 'reading-admin', `req-${code}`]));
    const seqs = registered.edges.map((e) => Number(e.node['seq']));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Two pages of one, then the rest: in order, none twice.
    const first = await read({ first: 1, action: 'partner.*' });
    const next = await read({ first: 10, after: first.pageInfo.endCursor, action: 'partner.*' });
    expect([...first.edges, ...next.edges].map((e) => e.node['seq'])).toEqual(registered.edges.map((e) => e.node['seq']));
    // By the partner's global id, or its database id with its kind.
    const partner = await server.runtime.tenantClients.forSchema(lender.schemaName).partner.findUniqueOrThrow({ where: { code: 'read-two' } });
    for (const filter of [{ entityId: globalIdOf('Partner', partner.id) }, { entityId: partner.id, entityType: 'Partner' }]) {
      expect((await read({ first: 10, ...filter })).edges.map((e) => [e.node['entityType'], e.node['entityId'], e.node['requestId']])).toEqual([['Partner', partner.id, 'req-read-two']]);
    }
    expect((await read({ first: 10, actor: 'nobody-at-all' })).edges).toEqual([]);
    // What a record held is not read here.
    const contents = await gql(server.gateway, '{ auditRecords(first: 1) { edges { node { after } } } }', { token: auditor });
    expect(contents.errors![0]!.message).toMatch(/Cannot query field "after" on type "AuditRecord"/);
    // Finance may not read it; a forged cursor is refused naming it.
    expect(codes(await gql(server.gateway, '{ auditRecords(first: 1) { edges { node { actor } } } }', { token: await devToken(server.runtime, 'finance', lender.slug) }))).toEqual(['FORBIDDEN']);
    const forged = await gql(server.gateway, '{ auditRecords(first: 1, after: "bm90LWEtc2Vx") { edges { node { actor } } } }', { token: auditor });
    expect(forged.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('reads of personal data', () => {
  it('are audited per party with the fields read, the reader and the request; reads without personal fields are not', async () => {
    const reader = await createTenant(server.runtime, uniqueSlug('spine-read'));
    const readerDb = server.runtime.tenantClients.forSchema(reader.schemaName);
    const ids = [randomUUID(), randomUUID()];
    for (const [i, id] of ids.entries()) await readerDb.party.create({ data: { id, kind: 'PERSON', legalName: `Person ${i}`, email: `p${i}@example.test` } });
    const token = await devToken(server.runtime, 'underwriter', reader.slug);
    const quiet = await gql(server.gateway, '{ parties(first: 10) { edges { node { id kind createdAt } } } }', { token });
    expect(quiet.errors).toBeUndefined();
    expect(await readerDb.auditRecord.count({ where: { action: 'party.personalData.read' } })).toBe(0);

    const read = await gql(server.gateway, '{ parties(first: 10) { edges { node { legalName email } } } }', { token, headers: { 'x-request-id': 'req-personal-read' } });
    expect(read.data!['parties'].edges).toHaveLength(2);
    const records = await readerDb.auditRecord.findMany({ where: { action: 'party.personalData.read' }, orderBy: { entityId: 'asc' } });
    expect(records.map((r) => r.entityId)).toEqual([...ids].sort());
    for (const record of records) {
      expect(record).toMatchObject({ entityType: 'Party', actor: `dev-user:underwriter@${reader.slug}`, roles: ['underwriter'], requestId: 'req-personal-read', after: { fieldsRead: ['email', 'legalName'] } });
    }
    expect((await verifyAuditChain(server.runtime.pool, server.runtime.settler, reader.schemaName)).intact).toBe(true);
  });
});

describe('settling after commit', () => {
  it('commands of one tenant committing at once get one unforked chain, distinct cursors, and each aggregate\'s events in command order', async () => {
    const busy = await createTenant(server.runtime, uniqueSlug('spine-busy'));
    const busyDb = server.runtime.tenantClients.forSchema(busy.schemaName);
    const settle = (schema: string) => server.runtime.settler.wake(schema);
    // Eight aggregates, each changed eight times in a row; the aggregates' commands run concurrently.
    await Promise.all(Array.from({ length: 8 }, async (_, a) => {
      for (let step = 0; step < 8; step += 1) {
        await runCommand(busyDb, { tenant: busy.slug, action: 'test.step', actor, now: new Date(), settle }, async () => ({
          result: null,
          audit: { entityType: 'Counter', entityId: `c-${a}`, after: { step } },
          events: [{ type: 'ledgerAccount.opened', aggregateType: 'LedgerAccount', aggregateId: `c-${a}`, payload: { code: `c-${a}`, name: String(step), kind: 'asset' } }],
        }));
      }
    }));
    expect(await verifyAuditChain(server.runtime.pool, server.runtime.settler, busy.schemaName)).toEqual({ intact: true, records: 64, firstBrokenSeq: null, reason: null });
    const events = await busyDb.outboxEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(events.every((event) => event.seq !== null)).toBe(true);
    expect(new Set(events.map((event) => event.seq)).size).toBe(64);
    for (let a = 0; a < 8; a += 1) {
      expect(events.filter((event) => event.aggregateId === globalIdOf('LedgerAccount', `c-${a}`)).map((event) => Number((event.payload as { name: string }).name))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
  });
});

describe('idempotency keys', () => {
  it('50 concurrent identical requests with one key make exactly one partner; every answer names it', async () => {
    const token = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const code = `idem-${randomUUID().slice(0, 6)}`;
    const input = { code, name: 'Fifty Times', kind: 'COLENDING', idempotencyKey: `key-${code}` };
    const answers = await Promise.all(Array.from({ length: 50 }, () => gql(server.gateway, REGISTER, { token, variables: { input } })));
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      expect(userErrors(answer, 'registerPartner')).toEqual([]);
    }
    const ids = new Set(answers.map((a) => a.data!['registerPartner'].partner.id));
    expect(ids.size).toBe(1);
    const row = await db().partner.findUniqueOrThrow({ where: { code } });
    expect(await db().partner.count({ where: { code } })).toBe(1);
    expect(await db().outboxEvent.count({ where: { aggregateId: [...ids][0] } })).toBe(1);
    expect(await db().auditRecord.count({ where: { entityId: row.id } })).toBe(1);
  });

  it('the same key with another input, or for another operation, is a CONFLICT; another principal\'s key is its own', async () => {
    const token = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const code = `idem2-${randomUUID().slice(0, 6)}`;
    const key = `key-${code}`;
    await gql(server.gateway, REGISTER, { token, variables: { input: { code, name: 'First', kind: 'ORIGINATION', idempotencyKey: key } } });
    const clash = await gql(server.gateway, REGISTER, { token, variables: { input: { code, name: 'Second', kind: 'ORIGINATION', idempotencyKey: key } } });
    expect(userErrors(clash, 'registerPartner')).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.idempotencyKey' })]);
    expect(clash.data!['registerPartner']).toMatchObject({ clientSecret: null, partner: null });
    expect((await db().partner.findUniqueOrThrow({ where: { code } })).name).toBe('First');
    const replay = await gql(server.gateway, REGISTER, { token, variables: { input: { code, name: 'First', kind: 'ORIGINATION', idempotencyKey: key } } });
    expect(replay.data!['registerPartner']).toMatchObject({ clientSecret: null, partner: { code }, userErrors: [] });
    // Another principal's identical request with the same key string is no replay of the key: it is its own
    // registration, which finds the partner under its code (the same details: the partner, no secret, nothing
    // written); with other details it is refused naming them.
    const someoneElse = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'dev-user:second-admin' });
    const audits = await db().auditRecord.count();
    const other = await gql(server.gateway, REGISTER, { token: someoneElse, variables: { input: { code, name: 'First', kind: 'ORIGINATION', idempotencyKey: key } } });
    expect(other.data!['registerPartner']).toMatchObject({ clientSecret: null, partner: { code }, userErrors: [] });
    const otherDetails = await gql(server.gateway, REGISTER, { token: someoneElse, variables: { input: { code, name: 'First', kind: 'COLENDING', idempotencyKey: key } } });
    expect(userErrors(otherDetails, 'registerPartner')).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.kind' })]);
    expect(await db().partner.count({ where: { code } })).toBe(1);
    expect(await db().auditRecord.count()).toBe(audits);
  });

  it('a failed attempt does not poison the key', async () => {
    const key = `key-${randomUUID()}`;
    const command = { tenant: tenant.slug, action: 'test.poison', actor, now: new Date(), idempotency: { key, input: { n: 1 } } };
    await expect(runCommand(db(), command, async () => { throw new Error('provider down'); })).rejects.toThrow('provider down');
    const result = await runCommand(db(), command, async () => ({ result: 'done', audit: { entityType: 'Test', entityId: 't' }, events: [], replay: { value: 'done' } }), async (stored) => String(stored['value']));
    expect(result).toBe('done');
    expect(await runCommand(db(), command, async () => { throw new Error('must not run again'); }, async (stored) => String(stored['value']))).toBe('done');
  });

  it('refuses a key too short to be unique, naming the field', async () => {
    const token = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    // The key's scalar refuses it while graphql-js reads the variables, before the mutation runs: a GraphQL error.
    const response = await gql(server.gateway, REGISTER, { token, variables: { input: { code: `short-${randomUUID().slice(0, 4)}`, name: 'X', kind: 'ORIGINATION', idempotencyKey: 'abc' } } });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.extensions['field']).toBe('input.idempotencyKey');
  });
});
