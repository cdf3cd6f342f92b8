// The Keycloak realm Lendgraph needs, as code. `applyRealm` reconciles a Keycloak towards it through the admin
// API: run it on an empty Keycloak or again on one already set up, and the realm ends the same.
//
// Tenants are Keycloak 26 Organizations in one realm (alias = tenant slug), not a realm per tenant: realms do
// not scale to thousands (each carries its own keys, clients, caches and admin endpoints), while organizations
// are rows. Tokens name the caller's organizations in the `organization` claim (the built-in organization
// scope), roles in `realm_access.roles`, and carry `lendgraph-api` in `aud`, so the gateway resolves tenant,
// roles and partner from the verified token alone.
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { ROLES, type Role } from '../roles.js';

export const REALM = 'lendgraph';
export const API_AUDIENCE = 'lendgraph-api';
const API_SCOPE = 'lendgraph-api';

const ROLE_DESCRIPTIONS: Record<Role, string> = {
  'platform-admin': 'Runs the platform: onboards, suspends and offboards tenants. Never reads borrower data.',
  'tenant-admin': 'Administers one lender: users, partners, products.',
  'loan-officer': 'Takes in applications.',
  underwriter: 'Assesses applications and checks.',
  'credit-approver': 'Approves credit decisions (checker).',
  'disbursement-officer': 'Disburses approved loans.',
  'servicing-agent': 'Services active loans.',
  'collections-agent': 'Works overdue loans: the collection cases assigned to them.',
  'collections-supervisor': 'Runs collections: every case, assignment and the collection rules.',
  finance: 'Ledger, settlements and reports.',
  auditor: 'Reads everything, changes nothing.',
  compliance: 'Oversight of decisions, consents and audit.',
  'origination-partner': 'A partner fintech submitting applications over the API.',
  'colending-partner': 'A partner funding a share of loans.',
};

export interface RealmOptions {
  /** Where the tenant's dashboards live; allowed as redirect and web origins of the dashboard client. */
  dashboardOrigins: string[];
  accessTokenLifespanSeconds?: number;
}

export type Admin = KcAdminClient;

export async function adminClient(baseUrl: string, credentials: { username: string; password: string }): Promise<Admin> {
  // Tokens always come from the master realm. Left to itself the library refreshes against whichever realm the
  // client was last pointed at (setConfig), which refuses a master token (invalid_grant) once the first one
  // expires, so a long-lived client broke after about a minute.
  const session = new KcAdminClient({ baseUrl, realmName: 'master' });
  const login = () => session.auth({ grantType: 'password', clientId: 'admin-cli', ...credentials });
  await login();
  const admin = new KcAdminClient({ baseUrl, realmName: 'master' });
  admin.registerTokenProvider({
    getAccessToken: async () => {
      try {
        return await session.getAccessToken();
      } catch {
        // The refresh token lapsed too: sign in again.
        await login();
        return session.accessToken;
      }
    },
  });
  return admin;
}

export async function applyRealm(admin: Admin, options: RealmOptions): Promise<void> {
  admin.setConfig({ realmName: 'master' });
  const realmSettings = {
    realm: REALM,
    displayName: 'Lendgraph',
    enabled: true,
    organizationsEnabled: true,
    sslRequired: 'external',
    accessTokenLifespan: options.accessTokenLifespanSeconds ?? 300,
    registrationAllowed: false,
    bruteForceProtected: true,
  };
  // Created bare, so Keycloak makes its own default client scopes (roles, organization, basic, …); importing a
  // realm that lists client scopes would replace them.
  if (await admin.realms.findOne({ realm: REALM })) await admin.realms.update({ realm: REALM }, realmSettings);
  else await admin.realms.create(realmSettings);
  admin.setConfig({ realmName: REALM });

  for (const role of ROLES) {
    const existing = await admin.roles.findOneByName({ name: role });
    if (!existing) await admin.roles.create({ name: role, description: ROLE_DESCRIPTIONS[role] });
    else if (existing.description !== ROLE_DESCRIPTIONS[role]) await admin.roles.updateByName({ name: role }, { ...existing, description: ROLE_DESCRIPTIONS[role] });
  }

  const apiScopeId = await ensureApiScope(admin);
  const organizationScope = (await admin.clientScopes.find()).find((s) => s.name === 'organization');
  if (!organizationScope?.id) throw new Error('Keycloak has no organization client scope: organizations are not enabled');
  // Keycloak makes `organization` an optional scope; ours are defaults, so every token names its tenant.
  const defaults = new Set((await admin.clientScopes.listDefaultClientScopes()).map((s) => s.id));
  const optional = new Set((await admin.clientScopes.listDefaultOptionalClientScopes()).map((s) => s.id));
  for (const id of [apiScopeId, organizationScope.id]) {
    if (defaults.has(id)) continue;
    if (optional.has(id)) await admin.clientScopes.delDefaultOptionalClientScope({ id });
    await admin.clientScopes.addDefaultClientScope({ id });
  }

  await ensureClient(admin, {
    clientId: 'lendgraph-dashboard',
    name: 'Lendgraph dashboards',
    description: 'Embedded dashboards of lenders and partners: browser sign-in with PKCE, short-lived tokens.',
    publicClient: true,
    standardFlowEnabled: true,
    directAccessGrantsEnabled: false,
    implicitFlowEnabled: false,
    redirectUris: options.dashboardOrigins.map((origin) => `${origin}/*`),
    webOrigins: options.dashboardOrigins,
    attributes: { 'pkce.code.challenge.method': 'S256', 'post.logout.redirect.uris': options.dashboardOrigins.map((o) => `${o}/*`).join('##') },
  }, [apiScopeId, organizationScope.id]);
}

/** The client scope that puts `lendgraph-api` in every access token's audience. */
async function ensureApiScope(admin: Admin): Promise<string> {
  let scope = (await admin.clientScopes.find()).find((s) => s.name === API_SCOPE);
  if (!scope) {
    await admin.clientScopes.create({
      name: API_SCOPE,
      description: 'Access to the Lendgraph GraphQL API',
      protocol: 'openid-connect',
      attributes: { 'include.in.token.scope': 'true', 'display.on.consent.screen': 'false' },
    });
    scope = (await admin.clientScopes.find()).find((s) => s.name === API_SCOPE)!;
  }
  const mappers = await admin.clientScopes.listProtocolMappers({ id: scope.id! });
  if (!mappers.some((m) => m.name === 'lendgraph-api audience')) {
    await admin.clientScopes.addProtocolMapper({ id: scope.id! }, {
      name: 'lendgraph-api audience',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-audience-mapper',
      config: { 'included.custom.audience': API_AUDIENCE, 'access.token.claim': 'true', 'id.token.claim': 'false', 'introspection.token.claim': 'true' },
    });
  }
  return scope.id!;
}

type ClientSettings = Parameters<Admin['clients']['create']>[0] & { clientId: string };

/** Creates or updates a client and makes sure the given client scopes are its defaults. Returns its id. */
export async function ensureClient(admin: Admin, settings: ClientSettings, defaultScopeIds: string[]): Promise<string> {
  const [existing] = await admin.clients.find({ clientId: settings.clientId });
  let id = existing?.id;
  if (id) await admin.clients.update({ id }, { ...existing, ...settings });
  else id = (await admin.clients.create(settings)).id;
  const current = new Set((await admin.clients.listDefaultClientScopes({ id })).map((s) => s.id));
  const optional = new Set((await admin.clients.listOptionalClientScopes({ id })).map((s) => s.id));
  for (const clientScopeId of defaultScopeIds) {
    if (current.has(clientScopeId)) continue;
    if (optional.has(clientScopeId)) await admin.clients.delOptionalClientScope({ id, clientScopeId });
    await admin.clients.addDefaultClientScope({ id, clientScopeId });
  }
  return id;
}

/** Ids of the scopes every Lendgraph client should carry by default. */
export async function lendgraphScopeIds(admin: Admin): Promise<string[]> {
  const scopes = await admin.clientScopes.find();
  return scopes.filter((s) => s.name === API_SCOPE || s.name === 'organization').map((s) => s.id!);
}
