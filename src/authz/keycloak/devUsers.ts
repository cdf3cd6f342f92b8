// Development only: `npm run token` with KEYCLOAK_URL set prints a real Keycloak token for the seeded dev user
// `<role>@<tenant>` (made on first use, in the tenant's role group) or for a registered partner's client, so
// the same commands work with Keycloak as with the development issuer. Refused when NODE_ENV=production.
import { randomBytes } from 'node:crypto';
import type { Role } from '../roles.js';
import { ensureClient, lendgraphScopeIds, REALM, type Admin } from './realm.js';
import { clientCredentialsToken } from './partners.js';
import { partnerClientId } from '../partnerClient.js';
import { tenantGroupName } from './tenants.js';

const DEV_CLIENT = 'lendgraph-dev-cli';

async function passwordToken(keycloakUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${keycloakUrl}/realms/${REALM}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: DEV_CLIENT, username, password }),
  });
  const body = (await response.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`Keycloak refused the dev user: ${body.error_description ?? response.status}`);
  return body.access_token;
}

export async function devUserToken(keycloakUrl: string, admin: Admin, user: { role: Role; tenant?: string }): Promise<string> {
  admin.setConfig({ realmName: REALM });
  // A password-grant client exists only for this development command.
  await ensureClient(admin, { clientId: DEV_CLIENT, name: 'Lendgraph dev CLI (development only)', publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false }, await lendgraphScopeIds(admin));
  const username = user.tenant ? `${user.role}@${user.tenant}` : user.role;
  let [existing] = await admin.users.find({ username, exact: true });
  if (!existing) {
    const created = await admin.users.create({ username, enabled: true, email: `${username.replace('@', '.')}@dev.lendgraph.test`, emailVerified: true, firstName: user.role, lastName: user.tenant ?? 'platform' });
    existing = { id: created.id };
    if (user.tenant) {
      const [org] = (await admin.organizations.find({ search: user.tenant, exact: true } as never)).filter((o) => o.alias === user.tenant);
      if (!org) throw new Error(`no organization ${user.tenant} in Keycloak: onboard the tenant with KEYCLOAK_URL set first`);
      await admin.organizations.addMember({ orgId: org.id!, userId: created.id });
      const [parent] = (await admin.groups.find({ search: tenantGroupName(user.tenant), exact: true } as never)).filter((g) => g.name === tenantGroupName(user.tenant!));
      const roleGroup = parent && (await admin.groups.listSubGroups({ parentId: parent.id!, max: 100 })).find((g) => g.name === user.role);
      if (roleGroup) await admin.users.addToGroup({ id: created.id, groupId: roleGroup.id! });
    } else {
      const role = await admin.roles.findOneByName({ name: user.role });
      await admin.users.addRealmRoleMappings({ id: created.id, roles: [{ id: role!.id!, name: user.role }] });
    }
  }
  // A fresh one-time password each run: nothing to remember, nothing stored.
  const password = randomBytes(18).toString('base64url');
  await admin.users.resetPassword({ id: existing.id!, credential: { type: 'password', value: password, temporary: false } });
  return passwordToken(keycloakUrl, username, password);
}

export async function devPartnerToken(keycloakUrl: string, admin: Admin, partner: { tenant: string; code: string }): Promise<string> {
  admin.setConfig({ realmName: REALM });
  const clientId = partnerClientId(partner.tenant, partner.code);
  const [client] = await admin.clients.find({ clientId });
  if (!client?.id) throw new Error(`no client ${clientId}: register the partner first (registerPartner)`);
  const secret = await admin.clients.getClientSecret({ id: client.id });
  return clientCredentialsToken(keycloakUrl, { clientId, secret: secret.value! });
}
