// Rotating the data encryption key. Values are sealed under key A; the gateway is restarted with B as the key and A
// as the previous one, and everything still opens (a borrower's identifier over GraphQL, a mandate's account
// number, provider secrets, a NACHA file) and a returning borrower is still found by identifier while the values
// are mixed; re-sealing runs in batches, stops and resumes, and changes nothing when run again; with A removed
// everything opens, and no value in any table of the tenant is sealed under A any more.
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/domain/money.js';
import { disburseLoan } from '../../src/services/servicing/loans.js';
import { createApplication } from '../../src/services/origination/applications.js';
import { registerDebitMandate, setDebitSettings } from '../../src/services/autoDebit/mandates.js';
import { draftCheckProviderSettings } from '../../src/services/origination/checkProviderSettings.js';
import { resealAll, SEALED_PLACES, sealedUnderOtherKeys } from '../../src/operations/resealing.js';
import { dataKeyOf, openSecret, sealSecret } from '../../src/tenancy/sealing.js';
import { loadConfig } from '../../src/config.js';
import { createTenant, devToken, gql, startTestServer, testEnv, uniqueSlug, type TestServer } from '../support/harness.js';
import { runScript } from '../support/process.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const slug = uniqueSlug('rotate');
const schema = `tenant_${slug.replaceAll('-', '_')}`;
const nationalId = '987-65-4321';
const accountNumber = '000987654321';
const providerSecret = 'esign-secret-rotating-1';
const PARTY = 'query($id: ID!) { node(id: $id) { ... on Party { unmaskedIdentifiers { kind country value } } } }';
let server: TestServer | undefined;
let partyId: string;

/** The form values were sealed in before sealed values named their key: every value stored until now. */
function sealedTheOlderWay(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

async function serve(current: Buffer, previous?: Buffer): Promise<TestServer> {
  await server?.close();
  server = await startTestServer({ DATA_ENCRYPTION_KEY: current.toString('base64'), ...(previous ? { DATA_ENCRYPTION_KEY_PREVIOUS: previous.toString('base64') } : {}) });
  return server;
}

const command = () => ({ tenant: slug, now: new Date(), actor: { subject: 'officer', roles: ['tenant-admin'], partner: null, clientId: null, requestId: randomUUID() } });
const applicant = (purpose: string) => ({
  productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose,
  applicant: { kind: 'PERSON' as const, legalName: 'Rita Rotation', dateOfBirth: '1975-05-05', identifiers: [{ kind: 'national_id' as const, country: 'US', value: nationalId }] },
});

/** Every sealed value in any text or jsonb column of the tenant's tables, by the key id it names ('v1' for the older form). */
async function sealedValuesByKey(s: TestServer): Promise<Record<string, number>> {
  const { rows: columns } = await s.runtime.pool.query<{ table: string; column: string }>(
    `SELECT c.relname AS table, a.attname AS column FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid IN ('text'::regtype, 'jsonb'::regtype, 'json'::regtype)`, [schema]);
  const counts: Record<string, number> = {};
  for (const { table, column } of columns) {
    const { rows } = await s.runtime.pool.query<{ value: string }>(`SELECT "${column}"::text AS value FROM ${schema}."${table}" WHERE "${column}"::text ~ 'v[12]\\.'`);
    for (const { value } of rows) {
      for (const match of value.matchAll(/\bv1\.[\w-]{16}\.[\w-]+\.|\bv2\.([0-9a-f]{12})\.[\w-]{16}\./g)) counts[match[1] ?? 'v1'] = (counts[match[1] ?? 'v1'] ?? 0) + 1;
    }
  }
  return counts;
}

async function everythingOpens(s: TestServer): Promise<void> {
  const response = await gql(s.gateway, PARTY, { token: await devToken(s.runtime, 'tenant-admin', slug), variables: { id: encodeGlobalID('Party', partyId) } });
  expect(response.errors).toBeUndefined();
  expect(response.data!['node'].unmaskedIdentifiers).toEqual([{ kind: 'NATIONAL_ID', country: 'US', value: nationalId.replaceAll('-', '') }]);
  const one = async (sql: string) => (await s.runtime.pool.query<{ v: string }>(sql)).rows.map((r) => r.v);
  expect((await one(`SELECT account_number_sealed AS v FROM ${schema}.debit_mandate`)).map((v) => openSecret(s.runtime.dataKey, v))).toEqual([accountNumber]);
  expect((await one(`SELECT content_sealed AS v FROM ${schema}.debit_file ORDER BY business_date`)).map((v) => openSecret(s.runtime.dataKey, v)))
    .toEqual([`older file for ${accountNumber}`, `file for ${accountNumber}`]);
  expect((await one(`SELECT sealed_secrets->>'esign' AS v FROM ${schema}.check_provider_settings`)).map((v) => openSecret(s.runtime.dataKey, v))).toEqual([providerSecret]);
  for (const submitted of await one(`SELECT submitted::text AS v FROM ${schema}.application_party`)) {
    const sealed = (JSON.parse(submitted) as { identifiers: { sealed: string }[] }).identifiers[0]!.sealed;
    expect(openSecret(s.runtime.dataKey, sealed)).toBe(nationalId.replaceAll('-', ''));
  }
}

async function partiesNamedRita(s: TestServer): Promise<number> {
  return s.runtime.tenantClients.forSchema(schema).party.count({ where: { legalName: 'Rita Rotation' } });
}

beforeAll(async () => {
  const s = await serve(keyA);
  await createTenant(s.runtime, slug, { sandbox: true, businessDate: '2026-03-02' });
  const db = s.runtime.tenantClients.forSchema(schema);
  await createApplication(db, s.runtime.dataKey, command(), '2026-03-02', applicant('first'), 'staff', null);
  partyId = (await db.party.findFirstOrThrow({ where: { legalName: 'Rita Rotation' } })).id;
  const { loanId } = await disburseLoan(db, command(), '2026-03-02', { productCode: 'PL-STD', principal: new Decimal('3000'), numberOfRepayments: 12, disbursementDate: '2026-03-02' });
  await setDebitSettings(db, command(), { companyName: 'Rotating Lender', companyId: '1234567890', odfiRouting: '121000358', odfiName: 'Rotating Bank', returnFee: new Decimal('25'), productReturnFees: [] });
  await registerDebitMandate(db, s.runtime.dataKey, command(), { loanId, holderName: 'Rita Rotation', routingNumber: '021000021', accountNumber, accountType: 'checking' });
  await db.debitFile.create({ data: { businessDate: new Date('2026-03-02T00:00:00Z'), entries: 1, total: '1.00', contentSealed: sealSecret(s.runtime.dataKey, `file for ${accountNumber}`), createdAt: new Date() } });
  await db.debitFile.create({ data: { businessDate: new Date('2026-03-01T00:00:00Z'), entries: 1, total: '1.00', contentSealed: sealedTheOlderWay(keyA, `older file for ${accountNumber}`), createdAt: new Date() } });
  await draftCheckProviderSettings(db, s.runtime.dataKey, command(), [
    { kind: 'kyc', provider: 'sandbox' }, { kind: 'bureau', provider: 'sandbox' }, { kind: 'income', provider: 'sandbox' },
    { kind: 'esign', provider: 'http-adapter', endpointUrl: 'https://esign.example.test/v1', secret: providerSecret },
  ]);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('rotating the data encryption key', () => {
  it('re-sealing knows every column that holds a sealed value: each column named for one is in its list', async () => {
    const { rows } = await server!.runtime.pool.query<{ place: string }>(
      `SELECT table_name || '.' || column_name AS place FROM information_schema.columns WHERE table_schema = $1 AND column_name LIKE '%sealed%' ORDER BY 1`, [schema]);
    const listed = SEALED_PLACES.map((p) => `${p.table}.${p.column}`);
    expect(rows.length).toBeGreaterThan(0);
    for (const { place } of rows) expect(listed).toContain(place);
  });

  it('refuses a previous key without a current one, and a previous key that is not 32 bytes, naming the setting', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', DATA_ENCRYPTION_KEY_PREVIOUS: keyA.toString('base64') })).toThrow(/DATA_ENCRYPTION_KEY_PREVIOUS: set only beside DATA_ENCRYPTION_KEY/);
    expect(() => loadConfig({ NODE_ENV: 'test', DATA_ENCRYPTION_KEY: keyB.toString('base64'), DATA_ENCRYPTION_KEY_PREVIOUS: randomBytes(16).toString('base64') }))
      .toThrow(/DATA_ENCRYPTION_KEY_PREVIOUS/);
  });

  const idA = dataKeyOf(keyA).current.id;
  const idB = dataKeyOf(keyB).current.id;

  it('under key A, every value names A, or is in the older form that names no key', async () => {
    expect(await sealedValuesByKey(server!)).toEqual({ [idA]: 5, v1: 1 });
    await everythingOpens(server!);
  });

  it('with B current and A previous, everything opens, a returning borrower is found, and new values are sealed under B', async () => {
    const s = await serve(keyB, keyA);
    await everythingOpens(s);
    await createApplication(s.runtime.tenantClients.forSchema(schema), s.runtime.dataKey, command(), '2026-03-02', applicant('second'), 'staff', null);
    expect(await partiesNamedRita(s)).toBe(1);
    expect(await sealedValuesByKey(s)).toEqual({ [idA]: 5, v1: 1, [idB]: 1 });
    expect(await sealedUnderOtherKeys(s.runtime.pool, s.runtime.dataKey, [slug])).toEqual([{ slug, left: 6 }]);
  });

  it('re-sealing goes in batches, resumes where it stopped, and changes nothing once done', async () => {
    const s = server!;
    const first = await resealAll(s.runtime.pool, s.runtime.dataKey, { batchSize: 1, only: [slug], maxBatches: 2 });
    expect(first).toEqual({ tenants: [{ slug, resealed: 2 }], finished: false });
    const unfinished = await runScript('src/cli/reseal.ts', ['--tenant', slug, '--check'],
      await testEnv({ DATA_ENCRYPTION_KEY: keyB.toString('base64'), DATA_ENCRYPTION_KEY_PREVIOUS: keyA.toString('base64') }));
    expect(unfinished.code).toBe(1);
    expect(unfinished.stdout).toContain(`${slug}: 4 still sealed under another key`);
    await everythingOpens(s);
    expect(await sealedUnderOtherKeys(s.runtime.pool, s.runtime.dataKey, [slug])).toEqual([{ slug, left: 4 }]);
    const rest = await resealAll(s.runtime.pool, s.runtime.dataKey, { batchSize: 2, only: [slug] });
    expect(rest).toEqual({ tenants: [{ slug, resealed: 4 }], finished: true });
    // The command an operator runs says so too, and exits 0 only once nothing is left under another key.
    const env = await testEnv({ DATA_ENCRYPTION_KEY: keyB.toString('base64'), DATA_ENCRYPTION_KEY_PREVIOUS: keyA.toString('base64') });
    const checked = await runScript('src/cli/reseal.ts', ['--tenant', slug, '--check'], env);
    expect(checked).toMatchObject({ code: 0, stderr: '' });
    expect(checked.stdout).toContain(`every value is sealed under the current key (${idB}): DATA_ENCRYPTION_KEY_PREVIOUS can be removed`);
    // A slug that names no tenant is refused, not reported as all sealed.
    const nobody = await runScript('src/cli/reseal.ts', ['--tenant', 'no-such-lender', '--check'], env);
    expect(nobody).toMatchObject({ code: 1, stdout: '', stderr: 'no tenant no-such-lender\n' });
    const again = await resealAll(s.runtime.pool, s.runtime.dataKey, { batchSize: 2, only: [slug] });
    expect(again).toEqual({ tenants: [{ slug, resealed: 0 }], finished: true });
    expect(await sealedUnderOtherKeys(s.runtime.pool, s.runtime.dataKey, [slug])).toEqual([{ slug, left: 0 }]);
  });

  it('with A removed, everything opens, the borrower is still found, and nothing anywhere is sealed under A', async () => {
    const s = await serve(keyB);
    await everythingOpens(s);
    await createApplication(s.runtime.tenantClients.forSchema(schema), s.runtime.dataKey, command(), '2026-03-02', applicant('third'), 'staff', null);
    expect(await partiesNamedRita(s)).toBe(1);
    expect(await sealedValuesByKey(s)).toEqual({ [idB]: 8 });
    const { rows: [mandate] } = await s.runtime.pool.query<{ v: string }>(`SELECT account_number_sealed AS v FROM ${schema}.debit_mandate`);
    expect(() => openSecret(dataKeyOf(keyA), mandate!.v)).toThrow(/not configured/);
  });
});
