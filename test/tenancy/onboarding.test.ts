// Onboarding as a saga over the database and the identity provider, driven through the provider interface with
// a scripted sandbox provider (the real one, Keycloak, is exercised in test/authz/keycloak.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FirstAdmin, TenantIdentity } from '../../src/tenancy/identity.js';
import { offboardTenant, onboardTenant } from '../../src/tenancy/onboarding.js';
import { provisionTenant } from '../../src/tenancy/provisioning.js';
import { schemaForSlug } from '../../src/tenancy/schemaNames.js';
import { schemasBehind } from '../../src/tenancy/migrations.js';
import { addDays } from '../../src/domain/calendar.js';
import type { Runtime } from '../../src/runtime.js';
import { codes, devToken, gql, startTestServer, uniqueSlug, userErrorCodes, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';

/** A sandbox identity provider that does what it is told: succeed, or fail at a named step. */
class ScriptedIdentity implements TenantIdentity {
  readonly makesPeople = true;
  failEnsure = false;
  failRemove = false;
  readonly made = new Set<string>();
  readonly disabled = new Set<string>();
  readonly admins = new Map<string, FirstAdmin | null>();

  async ensureTenant(tenant: { slug: string }, firstAdmin: FirstAdmin | null) {
    this.made.add(tenant.slug);
    if (this.failEnsure) throw new Error('identity provider unavailable (scripted)');
    this.admins.set(tenant.slug, firstAdmin);
  }
  async removeTenant(slug: string) {
    if (this.failRemove) throw new Error('identity provider still unavailable (scripted)');
    this.made.delete(slug);
  }
  async disableTenant(slug: string) {
    this.disabled.add(slug);
  }
}

let server: TestServer;
let runtime: Runtime;
let identity: ScriptedIdentity;
const NOW = new Date('2026-11-22T09:00:00Z');
const input = (slug: string) => ({ slug, displayName: 'Northwind Credit', currency: 'GBP', timeZone: 'Europe/London', sandbox: true });

async function schemaExists(slug: string): Promise<boolean> {
  return (await runtime.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schemaForSlug(slug)])).rowCount === 1;
}

async function status(slug: string) {
  runtime.registry.forget(slug);
  return runtime.registry.findBySlug(slug);
}

beforeAll(async () => {
  server = await startTestServer();
  runtime = server.runtime;
  identity = new ScriptedIdentity();
});
afterAll(async () => {
  await server.close();
});

const deps = () => ({ ...runtime, identity });

describe('onboarding', () => {
  it('makes both sides and then serves the tenant', async () => {
    const slug = uniqueSlug('onb');
    const result = await onboardTenant(deps(), input(slug), { email: 'ops@northwind.example', name: 'Ada Lovelace' }, NOW);
    expect(result).toEqual({ created: true, status: 'active', firstAdminMade: true });
    expect(identity.admins.get(slug)).toEqual({ email: 'ops@northwind.example', name: 'Ada Lovelace' });
    const token = await devToken(runtime, 'tenant-admin', slug);
    expect((await gql(server.gateway, '{ currentTenant { slug } }', { token })).data).toEqual({ currentTenant: { slug } });
  });

  it('undoes both sides when the identity side fails, says so, and a repeat completes it', async () => {
    const slug = uniqueSlug('onb-fail');
    identity.failEnsure = true;
    const failed = await onboardTenant(deps(), input(slug), null, NOW);
    identity.failEnsure = false;
    expect(failed).toEqual({ created: false, status: 'onboarding_failed', firstAdminMade: null });
    const record = (await status(slug))!;
    expect(record.status).toBe('onboarding_failed');
    expect(record.statusReason).toMatch(/identity provider: identity provider unavailable/);
    expect(identity.made.has(slug)).toBe(false);
    expect(await schemaExists(slug)).toBe(false);
    // Nothing is served for it, and readiness does not wait for it.
    const token = await devToken(runtime, 'tenant-admin', slug);
    expect(codes(await gql(server.gateway, '{ currentTenant { slug } }', { token }))).toEqual(['FORBIDDEN']);
    expect(await schemasBehind(runtime.pool, runtime.migrations)).not.toContain(schemaForSlug(slug));

    const retried = await onboardTenant(deps(), input(slug), null, NOW);
    expect(retried).toEqual({ created: true, status: 'active', firstAdminMade: null });
    expect((await status(slug))!).toMatchObject({ status: 'active', statusReason: null, id: record.id });
    expect(await schemaExists(slug)).toBe(true);
    expect((await gql(server.gateway, '{ currentTenant { slug } }', { token })).data).toEqual({ currentTenant: { slug } });
  });

  it('when compensation fails too, stays provisioning (serving nothing) and a repeat completes it', async () => {
    const slug = uniqueSlug('onb-stuck');
    identity.failEnsure = true;
    identity.failRemove = true;
    const stuck = await onboardTenant(deps(), input(slug), null, NOW);
    identity.failEnsure = false;
    identity.failRemove = false;
    expect(stuck.status).toBe('provisioning');
    expect((await status(slug))!.statusReason).toMatch(/compensation failed, retry/);
    const token = await devToken(runtime, 'tenant-admin', slug);
    expect(codes(await gql(server.gateway, '{ currentTenant { slug } }', { token }))).toEqual(['FORBIDDEN']);
    expect(await onboardTenant(deps(), input(slug), null, NOW)).toEqual({ created: false, status: 'active', firstAdminMade: null });
  });

  it('completes a tenant left provisioning by a crash between the two sides', async () => {
    const slug = uniqueSlug('onb-crash');
    await provisionTenant(runtime.pool, runtime.migrations, input(slug), NOW, 'provisioning');
    expect(identity.made.has(slug)).toBe(false);
    expect(await onboardTenant(deps(), input(slug), null, NOW)).toEqual({ created: false, status: 'active', firstAdminMade: null });
    expect(identity.made.has(slug)).toBe(true);
  });

  it('holds a repeat to the business date and first admin the tenant was created with, refusing others as CONFLICT', async () => {
    const slug = uniqueSlug('onb-repeat');
    const first = { ...input(slug), businessDate: '2026-11-20' };
    const ada = { email: 'ops@northwind.example', name: 'Ada Lovelace' };
    expect(await onboardTenant(deps(), first, ada, NOW)).toMatchObject({ created: true, status: 'active' });
    const repeated = { created: false, status: 'active', firstAdminMade: false };
    expect(await onboardTenant(deps(), first, ada, NOW)).toEqual(repeated);
    // Addresses are compared as the provider does, in any case; left out, neither asks for anything.
    expect(await onboardTenant(deps(), first, { email: 'OPS@Northwind.example', name: 'Ada' }, NOW)).toEqual(repeated);
    expect(await onboardTenant(deps(), input(slug), null, NOW)).toEqual({ ...repeated, firstAdminMade: null });
    // End of day has moved it on since: the date it was created at is still the same request, today's is not.
    await runtime.pool.query(`UPDATE platform.tenant SET business_date = '2026-11-22' WHERE slug = $1`, [slug]);
    expect(await onboardTenant(deps(), first, ada, NOW)).toEqual(repeated);
    await expect(onboardTenant(deps(), { ...first, businessDate: '2026-11-22' }, ada, NOW))
      .rejects.toMatchObject({ fields: ['businessDate'], message: `tenant ${slug} already exists with a different businessDate` });
    // Another first admin would never be made: refused, and the provider is not asked.
    await expect(onboardTenant(deps(), first, { email: 'someone@else.example', name: 'Someone' }, NOW))
      .rejects.toMatchObject({ fields: ['firstAdmin.email'] });
    expect(identity.admins.get(slug)).toEqual(ada);
    // So is one asked for a tenant created with none.
    const plain = uniqueSlug('onb-repeat');
    await onboardTenant(deps(), input(plain), null, NOW);
    await expect(onboardTenant(deps(), input(plain), ada, NOW)).rejects.toMatchObject({ fields: ['firstAdmin.email'] });
    // A tenant from before these were recorded is held to its other details only.
    await runtime.pool.query('UPDATE platform.tenant SET first_business_date = NULL WHERE slug = $1', [plain]);
    expect(await onboardTenant(deps(), { ...input(plain), businessDate: '2026-11-01' }, ada, NOW)).toEqual(repeated);
  });

  it('offboarding stops serving the tenant at once and disables its identities, keeping its data', async () => {
    const slug = uniqueSlug('onb-off');
    await onboardTenant(deps(), input(slug), null, NOW);
    expect(await offboardTenant(deps(), slug, 'contract ended')).toBe(true);
    expect(identity.disabled.has(slug)).toBe(true);
    expect((await status(slug))!).toMatchObject({ status: 'offboarded', statusReason: 'contract ended' });
    const token = await devToken(runtime, 'tenant-admin', slug);
    expect(codes(await gql(server.gateway, '{ currentTenant { slug } }', { token }))).toEqual(['FORBIDDEN']);
    expect(await schemaExists(slug)).toBe(true);
  });

  it('through the API: createTenant reports where onboarding stands, offboardTenant ends it', async () => {
    const admin = await devToken(runtime, 'platform-admin');
    const slug = uniqueSlug('onb-api');
    const created = await gql(server.gateway, `mutation { createTenant(input: { slug: "${slug}", displayName: "Via API", currency: "USD", timeZone: "UTC", firstAdmin: { email: "boss@via-api.example", name: "Grace Hopper" } }) { created firstAdminCreated tenant { status statusReason } } }`, { token: admin });
    // The development issuer makes no people: the tenant is made, its first admin is not, and the answer says so.
    expect(created.data!['createTenant']).toEqual({ created: true, firstAdminCreated: false, tenant: { status: 'ACTIVE', statusReason: null } });
    const plainSlug = uniqueSlug('onb-api');
    const plain = await gql(server.gateway, `mutation { createTenant(input: { slug: "${plainSlug}", displayName: "Via API", currency: "USD", timeZone: "UTC" }) { created firstAdminCreated } }`, { token: admin });
    expect(plain.data!['createTenant']).toEqual({ created: true, firstAdminCreated: null });
    const badSlug = uniqueSlug('onb-api');
    const badEmail = await gql(server.gateway, `mutation { createTenant(input: { slug: "${badSlug}", displayName: "X", currency: "USD", timeZone: "UTC", firstAdmin: { email: "not-an-email", name: "X" } }) { created ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(badEmail, 'createTenant')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.firstAdmin.email' })]);
    expect(badEmail.data!['createTenant'].created).toBeNull();
    expect(await status(badSlug)).toBeNull();
    expect(await schemaExists(badSlug)).toBe(false);
    // A repeat naming another first admin or another first business date is a CONFLICT naming the field.
    const again = (fields: string) => gql(server.gateway, `mutation { createTenant(input: { slug: "${slug}", displayName: "Via API", currency: "USD", timeZone: "UTC", ${fields} }) { created ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(await again('firstAdmin: { email: "other@via-api.example", name: "Other" }'), 'createTenant')).toEqual([expect.objectContaining({
      code: 'CONFLICT', field: 'input.firstAdmin.email', message: `tenant ${slug} already exists with a different firstAdmin.email`,
    })]);
    const createdOn = (await status(slug))!.businessDate;
    expect(userErrors(await again(`businessDate: "${createdOn}", firstAdmin: { email: "boss@via-api.example", name: "Grace Hopper" }`), 'createTenant')).toEqual([]);
    expect(userErrors(await again(`businessDate: "${addDays(createdOn, -1)}"`), 'createTenant')).toEqual([expect.objectContaining({
      code: 'CONFLICT', field: 'input.businessDate', message: `tenant ${slug} already exists with a different businessDate`,
    })]);
    const offboarded = await gql(server.gateway, `mutation { offboardTenant(input: { slug: "${slug}", reason: "test" }) { tenant { status } } }`, { token: admin });
    expect(offboarded.data!['offboardTenant'].tenant.status).toBe('OFFBOARDED');
    const reactivate = await gql(server.gateway, `mutation { reactivateTenant(input: { slug: "${slug}", reason: "oops" }) { tenant { status } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrorCodes(reactivate, 'reactivateTenant')).toEqual(['CONFLICT']);
    expect(reactivate.data!['reactivateTenant'].tenant).toBeNull();
    expect((await status(slug))!).toMatchObject({ status: 'offboarded' });
  });
});
