// Who is calling, as read from verified token claims. The claims follow Keycloak's shapes, so the development
// issuer and Keycloak produce principals the same way:
//   realm_access.roles  — Lendgraph roles (unknown ones ignored)
//   organization        — the tenants (Keycloak 26 organization aliases = tenant slugs), as a list or a map
//   lendgraph_partner   — { id, kind } for partner clients
import type { JWTPayload } from 'jose';
import { isRole, type Role } from './roles.js';

export type PartnerKind = 'origination' | 'colending';

export interface Principal {
  subject: string;
  username: string | null;
  clientId: string | null;
  roles: Role[];
  /** Tenant slugs the token is entitled to. */
  tenants: string[];
  partner: { id: string; kind: PartnerKind } | null;
  expiresAt: Date;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function organizations(value: unknown): string[] {
  if (Array.isArray(value)) return stringList(value);
  if (value && typeof value === 'object') return Object.keys(value);
  return [];
}

export function principalFromClaims(claims: JWTPayload): Principal {
  const realmAccess = claims['realm_access'] as { roles?: unknown } | undefined;
  const partnerClaim = claims['lendgraph_partner'] as { id?: unknown; kind?: unknown } | undefined;
  const partner =
    partnerClaim && typeof partnerClaim.id === 'string' && (partnerClaim.kind === 'origination' || partnerClaim.kind === 'colending')
      ? { id: partnerClaim.id, kind: partnerClaim.kind as PartnerKind }
      : null;
  const roles = [...new Set(stringList(realmAccess?.roles).filter(isRole))];
  return {
    subject: claims.sub!,
    username: typeof claims['preferred_username'] === 'string' ? (claims['preferred_username'] as string) : null,
    clientId: typeof claims['azp'] === 'string' ? (claims['azp'] as string) : null,
    // A partner acts only as the partner its token names, whatever else the token claims: fail closed.
    roles: partner ? roles.filter((role) => role === `${partner.kind}-partner`) : roles,
    tenants: [...new Set(organizations(claims['organization']))],
    partner,
    expiresAt: new Date(claims.exp! * 1000),
  };
}
