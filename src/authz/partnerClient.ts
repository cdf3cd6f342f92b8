// A partner's OAuth client, as Keycloak registers it and the development issuer names it in its tokens (`azp`):
// one per lender and partner, so the id the API answers at registration is the one the partner's tokens carry.
//
// The lender's slug and the partner's code are joined by `--`: a slug never holds `--` and never ends in `-`, so
// the first `--` ends it, and no two lenders' partners share an id. Joined by one hyphen, lender `acme`'s partner
// `bank-x1z` and lender `acme-bank`'s partner `x1z` were both `partner-acme-bank-x1z`. Clients registered before
// keep their ids (the partner's row holds it); which lender a client serves is read from its tenant claim, never
// from its id.

export function partnerClientId(tenant: string, partner: string): string {
  return `partner-${tenant}--${partner}`;
}
