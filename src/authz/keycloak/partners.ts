// A partner's identity in Keycloak: a confidential client (client-credentials grant) whose tokens carry the
// tenant (`organization`, as staff tokens do), the partner (`lendgraph_partner { id, kind }`) and its role, so
// the gateway scopes the partner from the verified token alone.
import type { PartnerKind } from '../principal.js';
import { ensureClient, lendgraphScopeIds, REALM, type Admin } from './realm.js';
import { partnerClientId } from '../partnerClient.js';
import { AppError, inputPath } from '../../errors.js';

export interface PartnerIdentity {
  clientId: string;
  secret: string;
}

function hardcodedJsonClaim(name: string, claim: string, value: unknown) {
  return {
    name,
    protocol: 'openid-connect',
    protocolMapper: 'oidc-hardcoded-claim-mapper',
    config: {
      'claim.name': claim,
      'claim.value': JSON.stringify(value),
      'jsonType.label': 'JSON',
      'access.token.claim': 'true',
      'id.token.claim': 'false',
      'introspection.token.claim': 'true',
    },
  };
}

type Client = Awaited<ReturnType<Admin['clients']['find']>>[number];

/** What a hard-coded claim of the client states, read from its mapper (null when it has none or it cannot be read). */
async function claimOf(admin: Admin, client: Client, mapperName: string): Promise<unknown> {
  const mappers = client.protocolMappers ?? await admin.clients.listProtocolMappers({ id: client.id! });
  const value = mappers.find((m) => m.name === mapperName)?.config?.['claim.value'];
  if (typeof value !== 'string') return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}

/** Whether a partner client serves this lender: its tenant claim, which its tokens carry, names the lender alone. */
async function servesTenant(admin: Admin, client: Client, tenant: string): Promise<boolean> {
  const tenants = await claimOf(admin, client, 'tenant');
  return Array.isArray(tenants) && tenants.length === 1 && tenants[0] === tenant;
}

/** Whether a client is this lender's partner of this code: its tenant and partner claims, which its tokens carry. */
async function servesPartner(admin: Admin, client: Client, tenant: string, code: string): Promise<boolean> {
  const named = await claimOf(admin, client, 'partner');
  return typeof named === 'object' && named !== null && (named as { id?: unknown }).id === code && await servesTenant(admin, client, tenant);
}

/**
 * The partner clients of one lender, whatever their ids' form: found by the lender's slug in the id, kept only when
 * their tenant claim names that lender, so that another lender whose slug begins the same (`acme`, `acme-bank`) or
 * whose partner's code holds it keeps its clients when this lender is disabled or removed.
 */
export async function tenantPartnerClients(admin: Admin, tenant: string): Promise<Client[]> {
  admin.setConfig({ realmName: REALM });
  const found = await admin.clients.find({ clientId: `partner-${tenant}-`, search: true });
  const serving = await Promise.all(found.map(async (client) => client.clientId?.startsWith('partner-') === true && await servesTenant(admin, client, tenant)));
  return found.filter((_, k) => serving[k]);
}

/** Creates (or brings up to date) the partner's client and returns its current secret. */
export async function registerPartnerClient(admin: Admin, partner: { tenant: string; id: string; kind: PartnerKind; name: string }): Promise<PartnerIdentity> {
  admin.setConfig({ realmName: REALM });
  const clientId = partnerClientId(partner.tenant, partner.id);
  // An id another lender's partner already holds (one registered before ids were joined by `--` can be spelt the
  // same) is never taken over: bringing it "up to date" would hand that partner's secret to this lender.
  const [existing] = await admin.clients.find({ clientId });
  if (existing && !await servesPartner(admin, existing, partner.tenant, partner.id)) {
    throw new AppError('CONFLICT', `the identity provider already has a client ${clientId} for someone else: register the partner under another code`, { field: inputPath('code') });
  }
  const id = await ensureClient(admin, {
    clientId,
    name: `${partner.name} (${partner.kind} partner of ${partner.tenant})`,
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
    implicitFlowEnabled: false,
    clientAuthenticatorType: 'client-secret',
  }, await lendgraphScopeIds(admin));
  const mappers = new Set((await admin.clients.listProtocolMappers({ id })).map((m) => m.name));
  // A service account belongs to no organization, so its tenant is stated on the client.
  for (const mapper of [
    hardcodedJsonClaim('tenant', 'organization', [partner.tenant]),
    hardcodedJsonClaim('partner', 'lendgraph_partner', { id: partner.id, kind: partner.kind }),
  ]) {
    if (!mappers.has(mapper.name)) await admin.clients.addProtocolMapper({ id }, mapper);
  }
  const serviceAccount = await admin.clients.getServiceAccountUser({ id });
  const roleName = partner.kind === 'origination' ? 'origination-partner' : 'colending-partner';
  const role = await admin.roles.findOneByName({ name: roleName });
  await admin.users.addRealmRoleMappings({ id: serviceAccount.id!, roles: [{ id: role!.id!, name: roleName }] });
  const secret = await admin.clients.getClientSecret({ id });
  return { clientId, secret: secret.value! };
}

/** Issues a new secret; the old one stops working at once. */
export async function rotatePartnerSecret(admin: Admin, clientId: string, partner: { tenant: string; code: string }): Promise<PartnerIdentity> {
  admin.setConfig({ realmName: REALM });
  const [client] = await admin.clients.find({ clientId });
  if (!client?.id) throw new Error(`no Keycloak client ${clientId}`);
  // A partner registered before ids were joined by `--` may hold an id another lender's partner is spelt with too:
  // its secret is that partner's to rotate, not this one's.
  if (!await servesPartner(admin, client, partner.tenant, partner.code)) {
    throw new AppError('CONFLICT', `the identity provider's client ${clientId} serves someone else: ask the platform to register this partner's client again`, { field: inputPath('code') });
  }
  const secret = await admin.clients.generateNewClientSecret({ id: client.id });
  return { clientId, secret: secret.value! };
}

/** A client-credentials token, as the partner's own system would get it. */
export async function clientCredentialsToken(keycloakUrl: string, identity: PartnerIdentity): Promise<string> {
  const response = await fetch(`${keycloakUrl}/realms/${REALM}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: identity.clientId, client_secret: identity.secret }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`token refused: ${body.error ?? response.status}`);
  return body.access_token;
}
