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

/** A partner's side in the identity provider. */
export interface PartnerIdentity {
  /**
   * A partner's client (client credentials). Returns its client id and secret; the secret is null where the
   * provider has none (the development issuer: partners get tokens from `npm run token -- --partner`).
   */
  registerPartner(tenant: string, partner: { code: string; name: string; kind: 'origination' | 'colending' }): Promise<{ clientId: string; secret: string | null }>;
  /** A new secret for the partner's client; the old one stops working at once. */
  rotatePartnerSecret(clientId: string): Promise<string | null>;
}

export type IdentityProvider = TenantIdentity & PartnerIdentity;

export const developmentIdentity: IdentityProvider = {
  async ensureTenant() {},
  async removeTenant() {},
  async disableTenant() {},
  async registerPartner(tenant, partner) {
    return { clientId: `partner-${tenant}-${partner.code}`, secret: null };
  },
  async rotatePartnerSecret() {
    return null;
  },
};
