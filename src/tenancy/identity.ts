// A tenant's side in the identity provider. Onboarding (src/tenancy/onboarding.ts) drives it beside the
// database side; Keycloak implements it (src/authz/keycloak/tenants.ts). With the development issuer there
// are no identities to make: its dev users exist implicitly, so the development implementation does nothing.
import { partnerClientId } from '../authz/partnerClient.js';
import { randomUUID } from 'node:crypto';

export interface FirstAdmin {
  email: string;
  name: string;
}

export interface TenantIdentity {
  /**
   * Whether the provider holds people, so `ensureTenant` makes the first admin asked for. False for the development
   * issuer, whose users exist implicitly: it makes nobody, and a first admin asked of it is not made.
   */
  readonly makesPeople: boolean;
  /** Makes (or completes) the tenant's organization, role groups and first admin. Idempotent. */
  ensureTenant(tenant: { slug: string; displayName: string }, firstAdmin: FirstAdmin | null): Promise<void>;
  /** Compensation: removes whatever ensureTenant made for this tenant. Idempotent. */
  removeTenant(slug: string): Promise<void>;
  /** Offboarding: the tenant's people and partner clients can no longer sign in. */
  disableTenant(slug: string): Promise<void>;
}

/** A partner's side in the identity provider. */
export interface PartnerIdentity {
  /**
   * A partner's client (client credentials). Returns its client id and secret; the secret is null where the
   * provider has none (the development issuer: partners get tokens from `npm run token -- --partner`).
   */
  registerPartner(tenant: string, partner: { code: string; name: string; kind: 'origination' | 'colending' }): Promise<{ clientId: string; secret: string | null }>;
  /**
   * A new secret for the partner's client; the old one stops working at once. The client must serve this lender's
   * partner of this code (its claims say so), never another's that its id might also name.
   */
  rotatePartnerSecret(clientId: string, partner: { tenant: string; code: string }): Promise<string | null>;
}

/** A person to invite to a tenant's staff. */
export interface StaffInvitation {
  email: string;
  displayName: string;
  /** Staff roles only (src/authz/roles.ts STAFF_ROLES); the service refuses any other before calling. */
  roles: readonly string[];
}

/** What the identity provider made for an invitation. */
export interface InvitedStaff {
  /** The `sub` of the person's tokens. */
  subject: string;
  /**
   * What the person must do on first sign-in (Keycloak required actions, e.g. UPDATE_PASSWORD); empty with the
   * development issuer, whose tokens come from `npm run token -- --tenant SLUG --user EMAIL`.
   */
  requiredActions: string[];
  /** Whether the provider sent the invitation e-mail itself (Keycloak with SMTP configured and asked to). */
  emailSent: boolean;
}

/** A tenant's staff people in the identity provider. Every operation is idempotent. */
export interface StaffIdentity {
  /** Makes the person (or finds them by e-mail), a member of the tenant's organization, in its role groups. */
  inviteStaff(tenant: string, person: StaffInvitation): Promise<InvitedStaff>;
  /** Compensation for an invitation whose database side failed: takes the person out of the tenant again. */
  removeStaff(tenant: string, subject: string): Promise<void>;
  /** Puts the person in exactly these role groups of the tenant. */
  setStaffRoles(tenant: string, subject: string, roles: readonly string[]): Promise<void>;
  /** The person can no longer get tokens for this tenant (their live sessions end). */
  deactivateStaff(tenant: string, subject: string): Promise<void>;
  /** Undoes deactivateStaff, with these roles. */
  reactivateStaff(tenant: string, subject: string, roles: readonly string[]): Promise<void>;
}

export type IdentityProvider = TenantIdentity & PartnerIdentity & StaffIdentity;

export const developmentIdentity: IdentityProvider = {
  makesPeople: false,
  async ensureTenant() {},
  async removeTenant() {},
  async disableTenant() {},
  async registerPartner(tenant, partner) {
    return { clientId: partnerClientId(tenant, partner.code), secret: null };
  },
  async rotatePartnerSecret() {
    return null;
  },
  // The development issuer keeps no people of its own: the tenant's staff_member rows are its record, and
  // `npm run token -- --user` reads them (src/authz/devStaff.ts). A subject of its own per person, so two
  // people with the same role are two different makers and checkers.
  async inviteStaff() {
    return { subject: `dev-staff:${randomUUID()}`, requiredActions: [], emailSent: false };
  },
  async removeStaff() {},
  async setStaffRoles() {},
  async deactivateStaff() {},
  async reactivateStaff() {},
};
