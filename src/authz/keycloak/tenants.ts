// A tenant's side in Keycloak: an organization (alias = slug) in the one Lendgraph realm, a group per staff
// role (tenant-<slug>/<role>, each granting that realm role), and the first tenant admin, who has no password
// until they set one (required actions). Every step is idempotent so a retry completes a half-made tenant;
// removeTenant undoes them all for compensation.
import { STAFF_ROLES } from '../roles.js';
import type { FirstAdmin, IdentityProvider, InvitedStaff, StaffInvitation } from '../../tenancy/identity.js';
import { accountInTenantOnly, bringBackToTenant, inviteStaffUser, placeInRoleGroups, takeOutOfTenant, type TenantPlaces } from './staff.js';
import { REALM, type Admin } from './realm.js';
import { registerPartnerClient, rotatePartnerSecret, tenantPartnerClients } from './partners.js';

export function tenantGroupName(slug: string): string {
  return `tenant-${slug}`;
}

export class KeycloakTenantIdentity implements IdentityProvider {
  readonly makesPeople = true;

  constructor(private readonly admin: () => Promise<Admin>) {}

  private async client(): Promise<Admin> {
    const admin = await this.admin();
    admin.setConfig({ realmName: REALM });
    return admin;
  }

  private async findOrganization(admin: Admin, slug: string) {
    const found = await admin.organizations.find({ search: slug, exact: true } as never);
    return found.find((org) => org.alias === slug);
  }

  private async findGroup(admin: Admin, slug: string) {
    const found = await admin.groups.find({ search: tenantGroupName(slug), exact: true } as never);
    return found.find((group) => group.name === tenantGroupName(slug));
  }

  async ensureTenant(tenant: { slug: string; displayName: string }, firstAdmin: FirstAdmin | null): Promise<void> {
    const admin = await this.client();
    let organization = await this.findOrganization(admin, tenant.slug);
    if (!organization) {
      await admin.organizations.create({ name: tenant.slug, alias: tenant.slug, description: tenant.displayName, enabled: true } as never);
      organization = await this.findOrganization(admin, tenant.slug);
    }

    let parent = await this.findGroup(admin, tenant.slug);
    if (!parent) {
      await admin.groups.create({ name: tenantGroupName(tenant.slug), attributes: { tenant: [tenant.slug] } });
      parent = await this.findGroup(admin, tenant.slug);
    }
    const existing = new Map((await admin.groups.listSubGroups({ parentId: parent!.id!, max: 100 })).map((g) => [g.name, g.id]));
    const roleGroups = new Map<string, string>();
    for (const role of STAFF_ROLES) {
      let id = existing.get(role);
      if (!id) {
        id = (await admin.groups.createChildGroup({ id: parent!.id! }, { name: role })).id;
        const realmRole = await admin.roles.findOneByName({ name: role });
        await admin.groups.addRealmRoleMappings({ id: id!, roles: [{ id: realmRole!.id!, name: role }] });
      }
      roleGroups.set(role, id!);
    }

    if (firstAdmin) {
      let user = await accountInTenantOnly(admin, organization!.id!, firstAdmin.email, 'firstAdmin.email');
      if (!user) {
        const [first, ...rest] = firstAdmin.name.trim().split(/\s+/);
        const created = await admin.users.create({
          username: firstAdmin.email,
          email: firstAdmin.email,
          firstName: first,
          lastName: rest.join(' ') || first,
          enabled: true,
          emailVerified: false,
          // No password: they set one (and verify their e-mail) on first sign-in.
          requiredActions: ['UPDATE_PASSWORD', 'VERIFY_EMAIL'],
          attributes: { onboardedFor: [tenant.slug] },
        });
        user = { id: created.id };
      }
      const memberships = await admin.organizations.memberOrganizations({ userId: user.id! } as never);
      if (!memberships.some((org) => org.id === organization!.id)) {
        await admin.organizations.addMember({ orgId: organization!.id!, userId: user.id! });
      }
      await admin.users.addToGroup({ id: user.id!, groupId: roleGroups.get('tenant-admin')! });
    }
  }

  /** People of this organization who belong to no other: only they are removed or disabled with it. */
  private async soleMembers(admin: Admin, organizationId: string): Promise<string[]> {
    const ids: string[] = [];
    for (const member of await admin.organizations.listMembers({ orgId: organizationId, max: 1000 } as never)) {
      const memberships = await admin.organizations.memberOrganizations({ userId: member.id! } as never);
      if (memberships.every((org) => org.id === organizationId)) ids.push(member.id!);
    }
    return ids;
  }


  async removeTenant(slug: string): Promise<void> {
    const admin = await this.client();
    const organization = await this.findOrganization(admin, slug);
    if (organization) {
      for (const id of await this.soleMembers(admin, organization.id!)) await admin.users.del({ id });
      await admin.organizations.delById({ id: organization.id! });
    }
    const group = await this.findGroup(admin, slug);
    if (group) await admin.groups.del({ id: group.id! });
    for (const client of await tenantPartnerClients(admin, slug)) await admin.clients.del({ id: client.id! });
  }

  async registerPartner(tenant: string, partner: { code: string; name: string; kind: 'origination' | 'colending' }) {
    const identity = await registerPartnerClient(await this.client(), { tenant, id: partner.code, kind: partner.kind, name: partner.name });
    return { clientId: identity.clientId, secret: identity.secret };
  }

  async rotatePartnerSecret(clientId: string, partner: { tenant: string; code: string }): Promise<string> {
    return (await rotatePartnerSecret(await this.client(), clientId, partner)).secret;
  }

  async disableTenant(slug: string): Promise<void> {
    const admin = await this.client();
    const organization = await this.findOrganization(admin, slug);
    if (organization) {
      for (const id of await this.soleMembers(admin, organization.id!)) await admin.users.update({ id }, { enabled: false });
      await admin.organizations.updateById({ id: organization.id! }, { ...organization, enabled: false });
    }
    for (const client of await tenantPartnerClients(admin, slug)) await admin.clients.update({ id: client.id! }, { ...client, enabled: false });
  }

  /** The tenant's organization and role groups, as onboarding made them. */
  private async places(admin: Admin, slug: string): Promise<TenantPlaces> {
    const organization = await this.findOrganization(admin, slug);
    const parent = await this.findGroup(admin, slug);
    if (!organization || !parent) throw new Error(`no organization ${slug} in Keycloak: the tenant was not onboarded there`);
    const groups = await admin.groups.listSubGroups({ parentId: parent.id!, max: 100 });
    return { organizationId: organization.id!, roleGroups: new Map(groups.map((g) => [g.name!, g.id!])) };
  }

  async inviteStaff(tenant: string, person: StaffInvitation): Promise<InvitedStaff> {
    const admin = await this.client();
    return inviteStaffUser(admin, await this.places(admin, tenant), tenant, person);
  }

  async removeStaff(tenant: string, subject: string): Promise<void> {
    const admin = await this.client();
    await takeOutOfTenant(admin, await this.places(admin, tenant), subject, 'delete');
  }

  async setStaffRoles(tenant: string, subject: string, roles: readonly string[]): Promise<void> {
    const admin = await this.client();
    await placeInRoleGroups(admin, await this.places(admin, tenant), subject, roles);
  }

  async deactivateStaff(tenant: string, subject: string): Promise<void> {
    const admin = await this.client();
    await takeOutOfTenant(admin, await this.places(admin, tenant), subject, 'disable');
  }

  async reactivateStaff(tenant: string, subject: string, roles: readonly string[]): Promise<void> {
    const admin = await this.client();
    await bringBackToTenant(admin, await this.places(admin, tenant), subject, roles);
  }
}
