// Identity against a real Keycloak 26 (started by the test setup, realm applied from src/authz/keycloak/realm.ts):
// staff and partner tokens work through the gateway's one verification path, and each attack on a token is
// refused with UNAUTHENTICATED or FORBIDDEN, writing nothing.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader, exportJWK, SignJWT, base64url, importJWK } from 'jose';
import { adminClient, applyRealm, ensureClient, lendgraphScopeIds, REALM, type Admin } from '../../src/authz/keycloak/realm.js';
import { clientCredentialsToken, registerPartnerClient, rotatePartnerSecret } from '../../src/authz/keycloak/partners.js';
import { partnerClientId } from '../../src/authz/partnerClient.js';
import { KEYCLOAK_ADMIN } from '../../scripts/keycloakServer.js';
import { STAFF_ROLES, type Role } from '../../src/authz/roles.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { codes, createTenant, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';
import { runScript, tempDataDir } from '../support/process.js';

const keycloakUrl = inject('keycloakUrl');
const LOGIN_CLIENT = 'lendgraph-test-login';
const PASSWORD = 'correct-horse-battery-staple';
const PARTIES_FIELD = 'parties(first: 1) { edges { node { id legalName } } }';
const PARTIES = `{ ${PARTIES_FIELD} }`;

describe.skipIf(!keycloakUrl)('identity with a real Keycloak', () => {
  let admin: Admin;
  let server: TestServer;
  let tenantA: TenantRecord;
  let tenantB: TenantRecord;
  let tenantAdminA: string;

  async function login(username: string, clientId = LOGIN_CLIENT): Promise<string> {
    const response = await fetch(`${keycloakUrl}/realms/${REALM}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', client_id: clientId, username, password: PASSWORD }),
    });
    const body = (await response.json()) as { access_token?: string; error_description?: string };
    if (!body.access_token) throw new Error(`login refused: ${body.error_description}`);
    return body.access_token;
  }

  /** A staff user of a tenant: a member of its organization holding one realm role. */
  async function staffUser(tenant: string, role: Role): Promise<string> {
    admin.setConfig({ realmName: REALM });
    const username = `${role}@${tenant}`;
    const user = await admin.users.create({
      username, enabled: true, email: `${role}.${tenant}@example.test`, emailVerified: true, firstName: role, lastName: tenant,
      credentials: [{ type: 'password', value: PASSWORD, temporary: false }],
    });
    const [org] = await admin.organizations.find({ search: tenant, exact: true } as never);
    await admin.organizations.addMember({ orgId: org!.id!, userId: user.id });
    const realmRole = await admin.roles.findOneByName({ name: role });
    await admin.users.addRealmRoleMappings({ id: user.id, roles: [{ id: realmRole!.id!, name: role }] });
    return username;
  }

  async function organization(slug: string): Promise<void> {
    admin.setConfig({ realmName: REALM });
    await admin.organizations.create({ name: slug, alias: slug, enabled: true } as never);
  }

  beforeAll(async () => {
    admin = await adminClient(keycloakUrl, KEYCLOAK_ADMIN);
    admin.setConfig({ realmName: REALM });
    // A password-grant client exists only for these tests; the realm's own clients never allow that grant.
    await ensureClient(admin, { clientId: LOGIN_CLIENT, publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false }, await lendgraphScopeIds(admin));
    // Keycloak is both the issuer and the identity provider onboarding and partner registration talk to.
    server = await startTestServer({ KEYCLOAK_URL: keycloakUrl, KEYCLOAK_ADMIN_PASSWORD: KEYCLOAK_ADMIN.password, DEV_ISSUER: 'false' });
    [tenantA, tenantB] = await Promise.all([
      createTenant(server.runtime, uniqueSlug('kc-a'), { sandbox: true }),
      createTenant(server.runtime, uniqueSlug('kc-b'), { sandbox: true }),
    ]);
    await organization(tenantA.slug);
    await organization(tenantB.slug);
    tenantAdminA = await staffUser(tenantA.slug, 'tenant-admin');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('realm as code: applying it again to a set-up Keycloak changes nothing', async () => {
    const snapshot = async () => {
      admin.setConfig({ realmName: REALM });
      const scopes = await admin.clientScopes.find();
      const api = scopes.find((scope) => scope.name === 'lendgraph-api')!;
      const [dashboard] = await admin.clients.find({ clientId: 'lendgraph-dashboard' });
      return {
        roles: (await admin.roles.find()).map((role) => role.name).sort(),
        scopes: scopes.map((scope) => scope.name).sort(),
        defaults: (await admin.clientScopes.listDefaultClientScopes()).map((scope) => scope.name).sort(),
        apiMappers: (await admin.clientScopes.listProtocolMappers({ id: api.id! })).map((m) => m.name),
        dashboard: { publicClient: dashboard!.publicClient, directAccessGrantsEnabled: dashboard!.directAccessGrantsEnabled, redirectUris: dashboard!.redirectUris },
        dashboardScopes: (await admin.clients.listDefaultClientScopes({ id: dashboard!.id! })).map((scope) => scope.name).sort(),
        organizations: (await admin.realms.findOne({ realm: REALM }))!.organizationsEnabled,
      };
    };
    const before = await snapshot();
    expect(before.roles).toEqual(expect.arrayContaining([...STAFF_ROLES, 'platform-admin', 'origination-partner', 'colending-partner']));
    expect(before.defaults).toEqual(expect.arrayContaining(['lendgraph-api', 'organization']));
    expect(before.dashboard).toMatchObject({ publicClient: true, directAccessGrantsEnabled: false });
    await applyRealm(admin, { dashboardOrigins: ['http://127.0.0.1:4000'] });
    expect(await snapshot()).toEqual(before);
  });

  it('realm: tokens carry the API audience, the tenant as organization and the Lendgraph role', async () => {
    const token = await login(await staffUser(tenantA.slug, 'underwriter'));
    const claims = decodeJwt(token);
    expect(claims.iss).toBe(`${keycloakUrl}/realms/${REALM}`);
    expect(claims.aud).toContain('lendgraph-api');
    expect(claims['organization']).toEqual([tenantA.slug]);
    expect((claims['realm_access'] as { roles: string[] }).roles).toContain('underwriter');
  });

  it('a staff token from Keycloak reaches its own tenant through the same verification path', async () => {
    const token = await login(await staffUser(tenantA.slug, 'loan-officer'));
    const response = await gql(server.gateway, `{ viewer { roles tenants } currentTenant { slug } ${PARTIES_FIELD} }`, { token });
    expect(response.errors).toBeUndefined();
    expect(response.data).toMatchObject({ viewer: { roles: ['LOAN_OFFICER'], tenants: [tenantA.slug] }, currentTenant: { slug: tenantA.slug } });
  });

  /** A tenant admin registers the partner through the API: its row, and its confidential client in Keycloak. */
  async function registerThroughApi(code: string, kind: 'ORIGINATION' | 'COLENDING'): Promise<{ clientId: string; secret: string }> {
    const tenantAdmin = await login(tenantAdminA);
    const response = await gql(server.gateway, `mutation { registerPartner(input: { code: "${code}", name: "Partner ${code}", kind: ${kind} }) { clientSecret partner { clientId } } }`, { token: tenantAdmin });
    expect(response.errors).toBeUndefined();
    const payload = response.data!['registerPartner'] as { clientSecret: string; partner: { clientId: string } };
    return { clientId: payload.partner.clientId, secret: payload.clientSecret };
  }

  it('a tenant admin registers a partner: a confidential client whose tokens name tenant and partner; rotating its secret stops the old one', async () => {
    const identity = await registerThroughApi('quickcash', 'ORIGINATION');
    expect(identity.secret).toMatch(/\S{16,}/);
    const token = await clientCredentialsToken(keycloakUrl, identity);
    const viewer = await gql(server.gateway, '{ viewer { roles tenants partner { id kind } } partners { edges { node { code } } } }', { token });
    expect(viewer.data).toEqual({
      viewer: { roles: ['ORIGINATION_PARTNER'], tenants: [tenantA.slug], partner: { id: 'quickcash', kind: 'ORIGINATION' } },
      partners: { edges: [{ node: { code: 'quickcash' } }] },
    });
    const tenantAdmin = await login(tenantAdminA);
    const rotated = await gql(server.gateway, 'mutation { rotatePartnerSecret(input: { code: "quickcash" }) { clientSecret partner { secretRotatedAt } } }', { token: tenantAdmin });
    const secret = rotated.data!['rotatePartnerSecret'].clientSecret as string;
    expect(secret).not.toBe(identity.secret);
    await expect(clientCredentialsToken(keycloakUrl, identity)).rejects.toThrow(/unauthorized_client|invalid_client/);
    expect(await clientCredentialsToken(keycloakUrl, { clientId: identity.clientId, secret })).toBeTruthy();
  });

  it('two partner clients sending the same idempotency key and body each get their own application, and their own again on repeat', async () => {
    const clients = [await registerThroughApi('samekey-one', 'ORIGINATION'), await registerThroughApi('samekey-two', 'ORIGINATION')];
    const tokens = await Promise.all(clients.map((client) => clientCredentialsToken(keycloakUrl, client)));
    const input = {
      idempotencyKey: 'keycloak-same-key-1', productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'same key, same body',
      applicant: { kind: 'PERSON', legalName: 'Keycloak Same', email: 'kc.same@example.test', phone: '+14155558101', dateOfBirth: '1981-01-01' },
    };
    const CREATE = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id originationPartnerCode } ${USER_ERRORS} } }`;
    const send = async (token: string) => {
      const response = await gql(server.gateway, CREATE, { token, variables: { input } });
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      expect(userErrors(response, 'createApplication')).toEqual([]);
      return response.data!['createApplication'].application as { id: string; originationPartnerCode: string };
    };
    const [one, two] = [await send(tokens[0]!), await send(tokens[1]!)];
    expect(two.id).not.toBe(one.id);
    expect([one.originationPartnerCode, two.originationPartnerCode]).toEqual(['samekey-one', 'samekey-two']);
    expect((await send(tokens[0]!)).id).toBe(one.id);
    expect((await send(tokens[1]!)).id).toBe(two.id);
  });

  describe('attacks are refused and write nothing', () => {
    let victimStaff: string;
    let genuine: string;

    beforeAll(async () => {
      victimStaff = await staffUser(tenantA.slug, 'compliance');
      genuine = await login(victimStaff);
    });

    function forge(token: string, change: { header?: Record<string, unknown>; payload?: Record<string, unknown> }): [string, string] {
      const [header, payload] = token.split('.') as [string, string, string];
      const decode = (part: string) => JSON.parse(new TextDecoder().decode(base64url.decode(part))) as Record<string, unknown>;
      const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
      return [encode({ ...decode(header), ...change.header }), encode({ ...decode(payload), ...change.payload })];
    }

    /** Each attack reads nothing and, trying to create a tenant and to suspend tenant A, changes nothing. */
    async function refused(token: string, expected: 'UNAUTHENTICATED' | 'FORBIDDEN', options: { tenant?: string } = {}) {
      const read = await gql(server.gateway, PARTIES, { token, ...options });
      expect(codes(read)).toEqual([expected]);
      expect(read.data ?? null).toBeNull();
      const slug = uniqueSlug('kc-attack');
      const write = await gql(server.gateway, `mutation { createTenant(input: { slug: "${slug}", displayName: "X", currency: "USD", timeZone: "UTC" }) { created } suspendTenant(input: { slug: "${tenantA.slug}", reason: "x" }) { tenant { status } } }`, { token, ...options });
      // Refused callers get GraphQL errors, never a payload's userErrors (which would leave no code here).
      expect(codes(write).length).toBeGreaterThan(0);
      expect(codes(write).every((code) => code === expected)).toBe(true);
      expect(await server.runtime.registry.findBySlug(slug)).toBeNull();
      server.runtime.registry.forget(tenantA.slug);
      expect((await server.runtime.registry.findBySlug(tenantA.slug))!.status).toBe('active');
    }

    it('an expired token', async () => {
      await ensureClient(admin, { clientId: 'lendgraph-test-short', publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false, attributes: { 'access.token.lifespan': '1' } }, await lendgraphScopeIds(admin));
      const token = await login(victimStaff, 'lendgraph-test-short');
      // Past expiry and the verifier's 5 s clock tolerance.
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      await refused(token, 'UNAUTHENTICATED');
    });

    it('a token from another issuer (Keycloak\'s master realm)', async () => {
      const response = await fetch(`${keycloakUrl}/realms/master/protocol/openid-connect/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', ...KEYCLOAK_ADMIN }),
      });
      const { access_token: token } = (await response.json()) as { access_token: string };
      await refused(token, 'UNAUTHENTICATED');
    });

    it('a token for another audience', async () => {
      const id = await ensureClient(admin, { clientId: 'lendgraph-test-other-api', publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false }, []);
      const apiScope = (await admin.clientScopes.find()).find((s) => s.name === 'lendgraph-api')!;
      await admin.clients.delDefaultClientScope({ id, clientScopeId: apiScope.id! }).catch(() => undefined);
      const token = await login(victimStaff, 'lendgraph-test-other-api');
      expect(decodeJwt(token).aud ?? []).not.toContain('lendgraph-api');
      await refused(token, 'UNAUTHENTICATED');
    });

    it('alg: none', async () => {
      const [header, payload] = forge(genuine, { header: { alg: 'none' } });
      await refused(`${header}.${payload}.`, 'UNAUTHENTICATED');
    });

    it('HS256 signed with the realm\'s RSA public key', async () => {
      const { kid } = decodeProtectedHeader(genuine);
      const jwks = (await (await fetch(`${keycloakUrl}/realms/${REALM}/protocol/openid-connect/certs`)).json()) as { keys: Record<string, unknown>[] };
      const jwk = jwks.keys.find((k) => k['kid'] === kid)!;
      const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const forged = await new SignJWT({ ...decodeJwt(genuine), realm_access: { roles: ['platform-admin'] } })
        .setProtectedHeader({ alg: 'HS256', kid: kid!, typ: 'JWT' })
        .sign(new TextEncoder().encode(pem.toString()));
      await refused(forged, 'UNAUTHENTICATED');
    });

    it('a tampered payload', async () => {
      const [header, payload] = forge(genuine, { payload: { realm_access: { roles: ['platform-admin', 'tenant-admin'] } } });
      await refused(`${header}.${payload}.${genuine.split('.')[2]}`, 'UNAUTHENTICATED');
    });

    it('an unknown kid (signed with a key the realm never published)', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = await importJWK({ ...(await exportJWK(privateKey)), alg: 'RS256' }, 'RS256');
      const forged = await new SignJWT({ ...decodeJwt(genuine) }).setProtectedHeader({ alg: 'RS256', kid: 'rogue-key' }).sign(key);
      await refused(forged, 'UNAUTHENTICATED');
    });

    it('a valid token of another tenant', async () => {
      const token = await login(await staffUser(tenantB.slug, 'tenant-admin'));
      await refused(token, 'FORBIDDEN', { tenant: tenantA.slug });
      // On its own tenant it works, and sees only that tenant.
      const own = await gql(server.gateway, '{ currentTenant { slug } }', { token });
      expect(own.data).toEqual({ currentTenant: { slug: tenantB.slug } });
    });

    it('a partner token on staff-only fields', async () => {
      const token = await clientCredentialsToken(keycloakUrl, await registerThroughApi('harbor-capital', 'COLENDING'));
      await refused(token, 'FORBIDDEN');
    });

    it('a staff token of tenant A naming tenant B', async () => {
      const token = await login(await staffUser(tenantA.slug, 'finance'));
      const read = await gql(server.gateway, PARTIES, { token, tenant: tenantB.slug });
      expect(read.status).toBe(403);
      expect(codes(read)).toEqual(['FORBIDDEN']);
    });
  });

  it('a person at one lender is never added to another: the same address is refused there, and their token keeps one lender and its roles', async () => {
    admin.setConfig({ realmName: REALM });
    const stamp = Date.now();
    const platformUser = await admin.users.create({ username: `platform-two-${stamp}`, enabled: true, email: `platform-two-${stamp}@lendgraph.example`, emailVerified: true, firstName: 'Plat', lastName: 'Form', credentials: [{ type: 'password', value: PASSWORD, temporary: false }] });
    const platformRole = await admin.roles.findOneByName({ name: 'platform-admin' });
    await admin.users.addRealmRoleMappings({ id: platformUser.id, roles: [{ id: platformRole!.id!, name: 'platform-admin' }] });
    const platform = await login(`platform-two-${stamp}`);
    const [first, second, third] = [uniqueSlug('kc-one'), uniqueSlug('kc-two'), uniqueSlug('kc-three')];
    const email = `grace@${first}.example`;
    const create = (slug: string, firstAdmin = '') => gql(server.gateway,
      `mutation { createTenant(input: { slug: "${slug}", displayName: "Lender ${slug}", currency: "USD", timeZone: "UTC"${firstAdmin} }) { tenant { status statusReason } userErrors { code } } }`, { token: platform });
    for (const slug of [first, second]) expect((await create(slug)).data!['createTenant'].tenant.status).toBe('ACTIVE');
    const INVITE = 'mutation($input: InviteStaffMemberInput!) { inviteStaffMember(input: $input) { staffMember { subject } userErrors { code field reason } } }';
    const invited = await gql(server.gateway, INVITE, { token: await login(await staffUser(first, 'tenant-admin')), variables: { input: { email, displayName: 'Grace Hopper', roles: ['LOAN_OFFICER'] } } });
    expect(userErrors(invited, 'inviteStaffMember')).toEqual([]);
    const subject = invited.data!['inviteStaffMember'].staffMember.subject as string;
    const placesOf = async () => {
      admin.setConfig({ realmName: REALM });
      return {
        organizations: (await admin.organizations.memberOrganizations({ userId: subject } as never)).map((o) => o.alias),
        groups: (await admin.users.listGroups({ id: subject })).map((g) => g.path).sort(),
      };
    };
    const before = await placesOf();
    expect(before).toEqual({ organizations: [first], groups: [`/tenant-${first}/loan-officer`] });

    // Another lender's admin inviting the same address as its tenant admin is refused; nothing changes in Keycloak.
    const secondAdmin = await login(await staffUser(second, 'tenant-admin'));
    const refused = await gql(server.gateway, INVITE, { token: secondAdmin, variables: { input: { email, displayName: 'Grace Hopper', roles: ['TENANT_ADMIN'] } } });
    expect(refused.data!['inviteStaffMember']).toEqual({ staffMember: null, userErrors: [{ code: 'CONFLICT', field: 'input.email', reason: 'EMAIL_AT_ANOTHER_LENDER' }] });
    expect(await placesOf()).toEqual(before);
    const staffOfSecond = await gql(server.gateway, '{ staffMembers(first: 10) { edges { node { email } } } }', { token: secondAdmin });
    expect(staffOfSecond.errors).toBeUndefined();
    expect(JSON.stringify(staffOfSecond.data)).not.toContain(email);

    // Nor may a new tenant make them its first admin: onboarding fails, undone, and they stay where they were.
    const onboarded = await create(third, `, firstAdmin: { email: "${email}", name: "Grace Hopper" }`);
    expect(onboarded.data!['createTenant'].tenant).toMatchObject({ status: 'ONBOARDING_FAILED', statusReason: expect.stringContaining('another lender') });
    expect(await placesOf()).toEqual(before);

    // Their token names one lender and the role it gave them, nothing more.
    admin.setConfig({ realmName: REALM });
    await admin.users.update({ id: subject }, { requiredActions: [] });
    await admin.users.resetPassword({ id: subject, credential: { type: 'password', value: PASSWORD, temporary: false } });
    const claims = decodeJwt(await login(email));
    expect(claims['organization']).toEqual([first]);
    expect((claims['realm_access'] as { roles: string[] }).roles.filter((role) => (STAFF_ROLES as readonly string[]).includes(role))).toEqual(['loan-officer']);
  });

  describe('onboarding a tenant sets up its side in Keycloak', () => {
    let platform: TestServer;
    let platformAdmin: string;

    beforeAll(async () => {
      platform = server;
      admin.setConfig({ realmName: REALM });
      const user = await admin.users.create({ username: `platform-${Date.now()}`, enabled: true, email: `platform-${Date.now()}@lendgraph.example`, emailVerified: true, firstName: 'Plat', lastName: 'Form', credentials: [{ type: 'password', value: PASSWORD, temporary: false }] });
      const role = await admin.roles.findOneByName({ name: 'platform-admin' });
      await admin.users.addRealmRoleMappings({ id: user.id, roles: [{ id: role!.id!, name: 'platform-admin' }] });
      platformAdmin = (await admin.users.findOne({ id: user.id }))!.username!;
    });
    const createTenant = (token: string, slug: string, email: string) => gql(platform.gateway,
      `mutation { createTenant(input: { slug: "${slug}", displayName: "Keystone Lending", currency: "USD", timeZone: "UTC", firstAdmin: { email: "${email}", name: "Mary Jackson" } }) { created tenant { status statusReason } } }`,
      { token });

    it('organization, a group per staff role granting it, and a first admin who must set a password', async () => {
      const slug = uniqueSlug('kc-onb');
      const email = `admin@${slug}.example`;
      const response = await createTenant(await login(platformAdmin), slug, email);
      expect(response.data!['createTenant']).toEqual({ created: true, tenant: { status: 'ACTIVE', statusReason: null } });
      admin.setConfig({ realmName: REALM });
      const [org] = (await admin.organizations.find({ search: slug, exact: true } as never)).filter((o) => o.alias === slug);
      expect(org).toMatchObject({ alias: slug, enabled: true });
      const [group] = (await admin.groups.find({ search: `tenant-${slug}`, exact: true } as never)).filter((g) => g.name === `tenant-${slug}`);
      const roleGroups = await admin.groups.listSubGroups({ parentId: group!.id!, max: 100 });
      expect(roleGroups.map((g) => g.name).sort()).toEqual([...STAFF_ROLES].sort());
      const approverGroup = roleGroups.find((g) => g.name === 'credit-approver')!;
      expect((await admin.groups.listRealmRoleMappings({ id: approverGroup.id! })).map((r) => r.name)).toEqual(['credit-approver']);
      const [person] = await admin.users.find({ email, exact: true });
      expect(person!.requiredActions!.sort()).toEqual(['UPDATE_PASSWORD', 'VERIFY_EMAIL']);
      expect(person!.credentials ?? []).toEqual([]);
      expect((await admin.organizations.memberOrganizations({ userId: person!.id! } as never)).map((o) => o.alias)).toEqual([slug]);
      expect((await admin.users.listGroups({ id: person!.id! })).map((g) => g.path)).toEqual([`/tenant-${slug}/tenant-admin`]);
    });

    it('a failure in Keycloak is undone on both sides, and a repeat completes the tenant', async () => {
      const slug = uniqueSlug('kc-onb-fail');
      // Keycloak refuses a sign-in name longer than 255 characters after the organization and groups were made
      // (the API itself takes e-mail addresses up to 320, docs/input-limits.md).
      const refused = `${'x'.repeat(260)}@${slug}.example`;
      const token = await login(platformAdmin);
      const failed = await createTenant(token, slug, refused);
      expect(failed.data!['createTenant'].tenant.status).toBe('ONBOARDING_FAILED');
      expect(failed.data!['createTenant'].tenant.statusReason).toMatch(/^identity provider:/);
      admin.setConfig({ realmName: REALM });
      expect((await admin.organizations.find({ search: slug, exact: true } as never)).filter((o) => o.alias === slug)).toEqual([]);
      expect((await admin.groups.find({ search: `tenant-${slug}`, exact: true } as never)).filter((g) => g.name === `tenant-${slug}`)).toEqual([]);
      const schema = await platform.runtime.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [`tenant_${slug.replaceAll('-', '_')}`]);
      expect(schema.rowCount).toBe(0);

      const retried = await createTenant(token, slug, `admin@${slug}.example`);
      expect(retried.data!['createTenant'].tenant).toEqual({ status: 'ACTIVE', statusReason: null });
    });

    it('offboarding disables the tenant\'s people, organization and partner clients', async () => {
      const slug = uniqueSlug('kc-off');
      const email = `admin@${slug}.example`;
      const token = await login(platformAdmin);
      await createTenant(token, slug, email);
      const partner = await registerPartnerClient(admin, { tenant: slug, id: 'p-9', kind: 'origination', name: 'Leaving Partner' });
      expect(await clientCredentialsToken(keycloakUrl, partner)).toBeTruthy();
      const response = await gql(platform.gateway, `mutation { offboardTenant(input: { slug: "${slug}", reason: "contract ended" }) { tenant { status } } }`, { token });
      expect(response.data!['offboardTenant'].tenant.status).toBe('OFFBOARDED');
      admin.setConfig({ realmName: REALM });
      const [person] = await admin.users.find({ email, exact: true });
      expect(person!.enabled).toBe(false);
      expect((await admin.organizations.find({ search: slug, exact: true } as never)).find((o) => o.alias === slug)!.enabled).toBe(false);
      await expect(clientCredentialsToken(keycloakUrl, partner)).rejects.toThrow();
    });
    it('lenders whose slugs begin alike keep their partners apart: each its own client, and offboarding one leaves the other\'s', async () => {
      const slug = uniqueSlug('kc-pre');
      const longer = `${slug}-bank`;
      const token = await login(platformAdmin);
      await createTenant(token, slug, `admin@${slug}.example`);
      await createTenant(token, longer, `admin@${longer}.example`);
      // Joined by one hyphen, both ids were `partner-<slug>-bank-x1z`, and the second registration took the first's client.
      const theirs = await registerPartnerClient(admin, { tenant: longer, id: 'x1z', kind: 'origination', name: 'Their Partner' });
      const ours = await registerPartnerClient(admin, { tenant: slug, id: 'bank-x1z', kind: 'origination', name: 'Our Partner' });
      expect(ours.clientId).not.toBe(theirs.clientId);
      expect(ours.secret).not.toBe(theirs.secret);
      expect(decodeJwt(await clientCredentialsToken(keycloakUrl, theirs))).toMatchObject({ organization: [longer], lendgraph_partner: { id: 'x1z' } });
      expect(decodeJwt(await clientCredentialsToken(keycloakUrl, ours))).toMatchObject({ organization: [slug], lendgraph_partner: { id: 'bank-x1z' } });
      // A client whose id this lender's partner would take, serving another lender (as one made before could be), is
      // refused, never taken over.
      admin.setConfig({ realmName: REALM });
      await admin.clients.create({
        clientId: partnerClientId(slug, 'held'), publicClient: false, serviceAccountsEnabled: true,
        protocolMappers: [{ name: 'tenant', protocol: 'openid-connect', protocolMapper: 'oidc-hardcoded-claim-mapper', config: { 'claim.name': 'organization', 'claim.value': JSON.stringify([longer]), 'jsonType.label': 'JSON', 'access.token.claim': 'true' } }],
      });
      await expect(registerPartnerClient(admin, { tenant: slug, id: 'held', kind: 'origination', name: 'Taker' })).rejects.toMatchObject({ code: 'CONFLICT', details: { field: 'input.code' } });
      // A partner row holding another lender's client id (one registered before could) rotates nothing of it.
      await expect(rotatePartnerSecret(admin, theirs.clientId, { tenant: slug, code: 'x1z' })).rejects.toMatchObject({ code: 'CONFLICT', details: { field: 'input.code' } });
      expect(await clientCredentialsToken(keycloakUrl, theirs)).toBeTruthy();
      const rotated = await rotatePartnerSecret(admin, ours.clientId, { tenant: slug, code: 'bank-x1z' });
      await expect(clientCredentialsToken(keycloakUrl, ours)).rejects.toThrow();
      Object.assign(ours, rotated);
      expect(await clientCredentialsToken(keycloakUrl, ours)).toBeTruthy();
      const response = await gql(platform.gateway, `mutation { offboardTenant(input: { slug: "${slug}", reason: "contract ended" }) { tenant { status } } }`, { token });
      expect(response.data!['offboardTenant'].tenant.status).toBe('OFFBOARDED');
      await expect(clientCredentialsToken(keycloakUrl, ours)).rejects.toThrow();
      expect(await clientCredentialsToken(keycloakUrl, theirs)).toBeTruthy();
      admin.setConfig({ realmName: REALM });
      expect((await admin.clients.find({ clientId: partnerClientId(slug, 'held') }))[0]!.enabled).not.toBe(false);
    });
  });

  it('staff: an invitation makes a user in the tenant\'s organization and role group; changing roles moves groups; deactivating disables them', async () => {
    const slug = uniqueSlug('kc-staff');
    admin.setConfig({ realmName: REALM });
    const platformUser = await admin.users.create({ username: `platform-staff-${Date.now()}`, enabled: true, email: `platform-staff-${Date.now()}@lendgraph.example`, emailVerified: true, firstName: 'Plat', lastName: 'Form', credentials: [{ type: 'password', value: PASSWORD, temporary: false }] });
    const platformRole = await admin.roles.findOneByName({ name: 'platform-admin' });
    await admin.users.addRealmRoleMappings({ id: platformUser.id, roles: [{ id: platformRole!.id!, name: 'platform-admin' }] });
    const created = await gql(server.gateway, `mutation { createTenant(input: { slug: "${slug}", displayName: "Staffed Lending", currency: "USD", timeZone: "UTC" }) { tenant { status } userErrors { code } } }`,
      { token: await login((await admin.users.findOne({ id: platformUser.id }))!.username!) });
    expect(created.data!['createTenant'].tenant.status).toBe('ACTIVE');
    const boss = await login(await staffUser(slug, 'tenant-admin'));
    const email = `ada@${slug}.example`;
    const groupsOf = async (id: string) => (await admin.users.listGroups({ id })).map((g) => g.path).sort();
    const orgsOf = async (id: string) => (await admin.organizations.memberOrganizations({ userId: id } as never)).map((o) => o.alias);

    const invited = await gql(server.gateway, 'mutation($input: InviteStaffMemberInput!) { inviteStaffMember(input: $input) { staffMember { id subject email } requiredActions invitationEmailSent userErrors { code field } } }',
      { token: boss, variables: { input: { email, displayName: 'Ada Lovelace', roles: ['DISBURSEMENT_OFFICER'] } } });
    expect(invited.errors).toBeUndefined();
    const payload = invited.data!['inviteStaffMember'];
    expect(payload).toMatchObject({ requiredActions: ['UPDATE_PASSWORD'], invitationEmailSent: false, userErrors: [], staffMember: { email } });
    const subject = payload.staffMember.subject as string;
    admin.setConfig({ realmName: REALM });
    const person = await admin.users.findOne({ id: subject });
    expect(person).toMatchObject({ email, enabled: true, firstName: 'Ada', lastName: 'Lovelace', requiredActions: ['UPDATE_PASSWORD'] });
    expect(await orgsOf(subject)).toEqual([slug]);
    expect(await groupsOf(subject)).toEqual([`/tenant-${slug}/disbursement-officer`]);
    // Once they have set a password (done here by the admin API), their token carries the tenant and role, and its subject is theirs.
    await admin.users.update({ id: subject }, { requiredActions: [] });
    await admin.users.resetPassword({ id: subject, credential: { type: 'password', value: PASSWORD, temporary: false } });
    const theirs = decodeJwt(await login(email));
    expect(theirs).toMatchObject({ sub: subject, organization: expect.arrayContaining([slug]) });
    expect((theirs['realm_access'] as { roles: string[] }).roles).toContain('disbursement-officer');

    const changed = await gql(server.gateway, 'mutation($input: ChangeStaffMemberRolesInput!) { changeStaffMemberRoles(input: $input) { staffMember { roles } userErrors { code } } }',
      { token: boss, variables: { input: { staffMemberId: payload.staffMember.id, roles: ['UNDERWRITER', 'AUDITOR'] } } });
    expect(changed.data!['changeStaffMemberRoles']).toEqual({ staffMember: { roles: ['UNDERWRITER', 'AUDITOR'] }, userErrors: [] });
    admin.setConfig({ realmName: REALM });
    expect(await groupsOf(subject)).toEqual([`/tenant-${slug}/auditor`, `/tenant-${slug}/underwriter`]);

    const deactivated = await gql(server.gateway, 'mutation($input: DeactivateStaffMemberInput!) { deactivateStaffMember(input: $input) { staffMember { status } userErrors { code } } }',
      { token: boss, variables: { input: { staffMemberId: payload.staffMember.id } } });
    expect(deactivated.data!['deactivateStaffMember']).toEqual({ staffMember: { status: 'DEACTIVATED' }, userErrors: [] });
    admin.setConfig({ realmName: REALM });
    expect((await admin.users.findOne({ id: subject }))!.enabled).toBe(false);
    expect(await orgsOf(subject)).toEqual([]);
    expect(await groupsOf(subject)).toEqual([]);
    await expect(login(email)).rejects.toThrow(/login refused/);

    const reactivated = await gql(server.gateway, 'mutation($input: ReactivateStaffMemberInput!) { reactivateStaffMember(input: $input) { staffMember { status } userErrors { code } } }',
      { token: boss, variables: { input: { staffMemberId: payload.staffMember.id } } });
    expect(reactivated.data!['reactivateStaffMember']).toEqual({ staffMember: { status: 'ACTIVE' }, userErrors: [] });
    admin.setConfig({ realmName: REALM });
    expect((await admin.users.findOne({ id: subject }))!.enabled).toBe(true);
    expect(await orgsOf(subject)).toEqual([slug]);
    expect(await groupsOf(subject)).toEqual([`/tenant-${slug}/auditor`, `/tenant-${slug}/underwriter`]);

    // The same address again with another name and roles is refused naming them, and Keycloak keeps one user for it.
    const again = await gql(server.gateway, 'mutation($input: InviteStaffMemberInput!) { inviteStaffMember(input: $input) { staffMember { id } userErrors { code field } } }',
      { token: boss, variables: { input: { email, displayName: 'Ada Again', roles: ['FINANCE'] } } });
    expect(again.data!['inviteStaffMember']).toEqual({ staffMember: null, userErrors: [{ code: 'CONFLICT', field: 'input.displayName' }] });
    admin.setConfig({ realmName: REALM });
    expect(await admin.users.find({ email, exact: true })).toHaveLength(1);
    expect(await groupsOf(subject)).toEqual([`/tenant-${slug}/auditor`, `/tenant-${slug}/underwriter`]);
  });

  it('with KEYCLOAK_URL set, the same commands use Keycloak: tenant create, token for a dev user and for a partner', async () => {
    const slug = uniqueSlug('kc-cli');
    const env = { KEYCLOAK_URL: keycloakUrl, KEYCLOAK_ADMIN_PASSWORD: KEYCLOAK_ADMIN.password, DATABASE_URL: inject('databaseUrl'), DATA_DIR: tempDataDir() };
    const created = await runScript('src/cli/tenant.ts', ['create', slug, '--name', 'Command Line Credit', '--admin-email', `admin@${slug}.example`, '--admin-name', 'Katherine Johnson'], env);
    expect(created.stdout, created.stderr).toContain(`created: ${slug}`);
    admin.setConfig({ realmName: REALM });
    expect((await admin.organizations.find({ search: slug, exact: true } as never)).map((o) => o.alias)).toContain(slug);

    const staff = await runScript('src/cli/token.ts', ['--tenant', slug, '--role', 'underwriter'], env);
    expect(staff.code, staff.stderr).toBe(0);
    const token = staff.stdout.trim();
    expect(decodeJwt(token).iss).toBe(`${keycloakUrl}/realms/${REALM}`);
    expect((await gql(server.gateway, '{ currentTenant { slug } viewer { roles } }', { token })).data).toEqual({ currentTenant: { slug }, viewer: { roles: ['UNDERWRITER'] } });

    const tenantAdmin = (await runScript('src/cli/token.ts', ['--tenant', slug, '--role', 'tenant-admin'], env)).stdout.trim();
    await gql(server.gateway, 'mutation { registerPartner(input: { code: "cli-partner", name: "CLI Partner", kind: ORIGINATION }) { partner { code } } }', { token: tenantAdmin });
    const partner = await runScript('src/cli/token.ts', ['--tenant', slug, '--role', 'origination-partner', '--partner', 'cli-partner'], env);
    expect(partner.code, partner.stderr).toBe(0);
    expect((await gql(server.gateway, '{ viewer { partner { id } } }', { token: partner.stdout.trim() })).data).toEqual({ viewer: { partner: { id: 'cli-partner' } } });
  });

  it('picks up a rotated signing key without a restart', async () => {
    const username = await staffUser(tenantA.slug, 'auditor');
    const before = await login(username);
    expect((await gql(server.gateway, '{ viewer { subject } }', { token: before })).errors).toBeUndefined();
    admin.setConfig({ realmName: REALM });
    const realm = await admin.realms.findOne({ realm: REALM });
    await admin.components.create({
      name: `rotated-${Date.now()}`, providerId: 'rsa-generated', providerType: 'org.keycloak.keys.KeyProvider', parentId: realm!.id!,
      config: { priority: ['1000'], keySize: ['2048'], algorithm: ['RS256'], active: ['true'], enabled: ['true'] },
    });
    const after = await login(username);
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    // jose refetches the JWKS when a token names an unknown key, at most once per 5 s cooldown.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    const response = await gql(server.gateway, '{ viewer { subject } }', { token: after });
    expect(response.errors).toBeUndefined();
  });
});
