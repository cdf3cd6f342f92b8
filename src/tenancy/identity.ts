// A tenant's side in the identity provider. Onboarding (src/tenancy/onboarding.ts) drives it beside the
// database side; Keycloak implements it (src/authz/keycloak/tenants.ts). With the development issuer there
// are no identities to make: its dev users exist implicitly, so the development implementation does nothing.
export interface FirstAdmin {
  email: string;
  name: string;
}

export interface TenantIdentity {
  /** Makes (or completes) the tenant's organization, role groups and first admin. Idempotent. */
  ensureTenant(tenant: { slug: string; displayName: string }, firstAdmin: FirstAdmin | null): Promise<void>;
  /** Compensation: removes whatever ensureTenant made for this tenant. Idempotent. */
  removeTenant(slug: string): Promise<void>;
  /** Offboarding: the tenant's people and partner clients can no longer sign in. */
  disableTenant(slug: string): Promise<void>;
}

export const developmentIdentity: TenantIdentity = {
  async ensureTenant() {},
  async removeTenant() {},
  async disableTenant() {},
};
