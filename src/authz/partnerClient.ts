// A partner's OAuth client, as Keycloak registers it and the development issuer names it in its tokens (`azp`):
// one per lender and partner, so the id the API answers at registration is the one the partner's tokens carry.

export function partnerClientId(tenant: string, partner: string): string {
  return `partner-${tenant}-${partner}`;
}
