// A key's request is stored as an HMAC under a secret derived from the data key (src/tenancy/sealing.ts,
// requestHashKeys), never as a plain SHA-256 of it: the request's other fields sit in the database beside the hash,
// so a plain hash would give back, to anyone trying every value, what the request held and is sealed everywhere
// else (a national id, an account number). A key still answers across a rotation of the data key, and a key stored
// as a plain hash before still answers; another request under the key is still a CONFLICT.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestHashOf, type CommandContext } from '../../src/commands/runCommand.js';
import { registerPartner } from '../../src/services/partners.js';
import { dataKeyOf, requestHashKeys } from '../../src/tenancy/sealing.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { tenantSql } from '../../src/tenancy/tenantSql.js';
import { AppError } from '../../src/errors.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, type TestServer } from '../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('reqhash'));
});
afterAll(async () => {
  await server?.close();
});

const db = () => server.runtime.tenantClients.forSchema(tenant.schemaName);
const storedHash = async (key: string) => (await tenantSql(db(), tenant.schemaName).query<{ hash: string }[]>((s) => `SELECT request_hash AS hash FROM ${s}.idempotency_key WHERE key = $1`, key))[0]!.hash;
const command = (requestHashKeys: readonly Buffer[] | undefined, key: string, code: string): CommandContext & { idempotency: { key: string; input: unknown } } => ({
  tenant: tenant.slug, actor: { subject: 'hash-admin', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'hash' }, now: new Date(),
  idempotency: { key, input: { code, name: code, kind: 'origination' } }, ...(requestHashKeys ? { requestHashKeys } : {}),
});
const register = (requestHashKeys: readonly Buffer[] | undefined, key: string, code: string) =>
  registerPartner(db(), server.runtime.identity, command(requestHashKeys, key, code), { code, name: code, kind: 'origination' });

describe('a key\'s stored request', () => {
  it('is hashed under the data key\'s secret through the API, not a plain SHA-256 anyone could recompute', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const input = { code: 'hashed-partner', name: 'Hashed', kind: 'ORIGINATION', idempotencyKey: 'hashed-partner-0001' };
    const first = await gql(server.gateway, `mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { id } ${USER_ERRORS} } }`, { token: admin, variables: { input } });
    expect(first.data!['registerPartner'].userErrors).toEqual([]);
    const stored = await storedHash('hashed-partner-0001');
    // What the resolver holds the key to, hashed both ways.
    const asSent = { ...command(undefined, 'hashed-partner-0001', 'x'), action: 'partner.register', idempotency: { key: 'hashed-partner-0001', input: { code: 'hashed-partner', name: 'Hashed', kind: 'origination' } } };
    expect(stored).toBe(requestHashOf({ ...asSent, requestHashKeys: requestHashKeys(server.runtime.dataKey) }));
    expect(stored).not.toBe(requestHashOf(asSent));
    const again = await gql(server.gateway, `mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { id } ${USER_ERRORS} } }`, { token: admin, variables: { input } });
    expect(again.data!['registerPartner'].partner.id).toBe(first.data!['registerPartner'].partner.id);
  });

  it('still answers after the data key is rotated, and when it was stored as a plain hash before', async () => {
    const old = dataKeyOf(randomBytes(32));
    const rotated = dataKeyOf(randomBytes(32), [old.current.key]);
    const before = await register(requestHashKeys(old), 'rotated-key-0001', 'rotated-partner');
    const after = await register(requestHashKeys(rotated), 'rotated-key-0001', 'rotated-partner');
    expect(after.partner.id).toBe(before.partner.id);
    const plain = await register(undefined, 'plain-key-0001', 'plain-partner');
    expect(await register(requestHashKeys(rotated), 'plain-key-0001', 'plain-partner')).toMatchObject({ partner: { id: plain.partner.id } });
    // Another request under a rotated or plain key is still another request.
    for (const key of ['rotated-key-0001', 'plain-key-0001']) {
      const refused = await register(requestHashKeys(rotated), key, 'someone-else').then(() => null, (error: unknown) => error);
      expect(refused).toBeInstanceOf(AppError);
      expect(refused).toMatchObject({ code: 'CONFLICT', details: { field: 'input.idempotencyKey' } });
    }
    expect(await db().partner.count({ where: { code: { in: ['rotated-partner', 'plain-partner', 'someone-else'] } } })).toBe(2);
  });
});
