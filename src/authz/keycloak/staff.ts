// A tenant's staff in Keycloak: each person is a realm user who is a member of the tenant's organization (so
// their tokens carry the tenant in `organization`) and of the tenant's role groups (tenant-<slug>/<role>, so
// they carry those realm roles). An invitation makes the user without a password, with the required action
// UPDATE_PASSWORD: Keycloak asks them to set one at first sign-in, and with SMTP configured an operator can have
// Keycloak e-mail them the "execute actions" link (docs/operations.md); nothing here needs SMTP. Deactivating takes the person out of the tenant (organization and role groups), disables them if the
// tenant was their only organization, and ends their sessions, so no refresh succeeds; access tokens already
// issued stay valid until they expire (the realm's access-token lifespan), since Lendgraph verifies offline.
import type { InvitedStaff, StaffInvitation } from '../../tenancy/identity.js';
import { AppError, inputPath } from '../../errors.js';
import type { Admin } from './realm.js';

export const INVITATION_ACTIONS = ['UPDATE_PASSWORD'];

export interface TenantPlaces {
  organizationId: string;
  /** role name → group id, for every staff role of the tenant. */
  roleGroups: Map<string, string>;
}

async function isMember(admin: Admin, organizationId: string, userId: string): Promise<boolean> {
  const memberships = await admin.organizations.memberOrganizations({ userId } as never);
  return memberships.some((org) => org.id === organizationId);
}

/** Puts the user in exactly `roles` of the tenant's role groups (other tenants' groups are left alone). */
export async function placeInRoleGroups(admin: Admin, places: TenantPlaces, userId: string, roles: readonly string[]): Promise<void> {
  const current = new Set((await admin.users.listGroups({ id: userId, max: 1000 } as never)).map((g) => g.id));
  for (const [role, groupId] of places.roleGroups) {
    const wanted = roles.includes(role);
    if (wanted && !current.has(groupId)) await admin.users.addToGroup({ id: userId, groupId });
    if (!wanted && current.has(groupId)) await admin.users.delFromGroup({ id: userId, groupId });
  }
}

/**
 * The existing account for an e-mail address, to be placed in one tenant, or null when there is none. Roles are realm
 * roles, granted through each tenant's role groups, so one account in two lenders' organizations would carry the
 * roles one lender gave it into the other: a person at two lenders has two accounts (docs/decisions.md), and an
 * address whose account is already at another lender is refused, naming `field`, before anything is changed.
 */
export async function accountInTenantOnly(admin: Admin, organizationId: string, email: string, field: string): Promise<{ id: string } | null> {
  const [user] = await admin.users.find({ email, exact: true });
  if (!user) return null;
  const memberships = await admin.organizations.memberOrganizations({ userId: user.id! } as never);
  if (memberships.some((org) => org.id !== organizationId)) {
    throw new AppError('CONFLICT', 'this e-mail address already has an account at another lender on this platform; a person who works for two lenders has an account with each, under a different address: use another address', {
      field: inputPath(field), reason: 'EMAIL_AT_ANOTHER_LENDER',
    });
  }
  return { id: user.id! };
}

export async function inviteStaffUser(admin: Admin, places: TenantPlaces, tenant: string, person: StaffInvitation): Promise<InvitedStaff> {
  let user = await accountInTenantOnly(admin, places.organizationId, person.email, 'email');
  if (!user) {
    const [first, ...rest] = person.displayName.trim().split(/\s+/);
    const created = await admin.users.create({
      username: person.email,
      email: person.email,
      firstName: first,
      lastName: rest.join(' ') || first,
      enabled: true,
      emailVerified: false,
      requiredActions: INVITATION_ACTIONS,
      attributes: { invitedFor: [tenant] },
    });
    user = { id: created.id };
  }
  if (!(await isMember(admin, places.organizationId, user.id!))) await admin.organizations.addMember({ orgId: places.organizationId, userId: user.id! });
  await placeInRoleGroups(admin, places, user.id!, person.roles);
  return { subject: user.id!, requiredActions: INVITATION_ACTIONS, emailSent: false };
}

/** Out of the tenant; a user who belongs to no other organization is deleted (compensation) or disabled. */
export async function takeOutOfTenant(admin: Admin, places: TenantPlaces, userId: string, then: 'delete' | 'disable'): Promise<void> {
  const user = await admin.users.findOne({ id: userId });
  if (!user) return;
  await placeInRoleGroups(admin, places, userId, []);
  if (await isMember(admin, places.organizationId, userId)) await admin.organizations.delMember({ orgId: places.organizationId, userId } as never);
  const elsewhere = await admin.organizations.memberOrganizations({ userId } as never);
  if (elsewhere.length === 0) {
    if (then === 'delete') {
      await admin.users.del({ id: userId });
      return;
    }
    await admin.users.update({ id: userId }, { enabled: false });
  }
  // Ends every session of theirs: a refresh token they hold is refused from now on.
  await admin.users.logout({ id: userId });
}

export async function bringBackToTenant(admin: Admin, places: TenantPlaces, userId: string, roles: readonly string[]): Promise<void> {
  const user = await admin.users.findOne({ id: userId });
  if (!user) throw new Error('the identity provider no longer knows this person');
  if (!user.enabled) await admin.users.update({ id: userId }, { enabled: true });
  if (!(await isMember(admin, places.organizationId, userId))) await admin.organizations.addMember({ orgId: places.organizationId, userId });
  await placeInRoleGroups(admin, places, userId, roles);
}
