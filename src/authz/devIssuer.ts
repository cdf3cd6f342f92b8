// The development issuer: on a laptop with no identity provider, it signs tokens for seeded dev users with a
// key kept under DATA_DIR and serves its JWKS, in the same claim shape as Keycloak's tokens, so requests go
// through the same verification path as production. It refuses to run when NODE_ENV=production.
import { partnerClientId } from './partnerClient.js';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Role } from './roles.js';
import type { PartnerKind } from './principal.js';

export interface DevSigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export function assertDevIssuerAllowed(nodeEnv: string): void {
  if (nodeEnv === 'production') throw new Error('the development issuer refuses to run when NODE_ENV=production');
}

export async function loadOrCreateDevKey(dataDir: string, nodeEnv: string): Promise<DevSigningKey> {
  assertDevIssuerAllowed(nodeEnv);
  const file = path.join(dataDir, 'dev-issuer', 'signing-key.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSigningKey;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `dev-${Date.now().toString(36)}`;
  const key: DevSigningKey = {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Another process may have raced us here; whichever file lands is the key both will read from now on.
  try {
    writeFileSync(file, JSON.stringify(key), { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return JSON.parse(readFileSync(file, 'utf8')) as DevSigningKey;
  }
}

export interface DevTokenRequest {
  issuer: string;
  audience: string;
  role: Role;
  tenant?: string;
  partner?: { id: string; kind: PartnerKind };
  subject?: string;
  /** A named staff member (src/authz/devStaff.ts): their e-mail as the username, all their roles. */
  staff?: { email: string; roles: readonly Role[] };
  ttlSeconds?: number;
  now: Date;
}

/**
 * Who the token is about. A partner's token stands for that partner's own client, as a Keycloak service account
 * does, so two partners' tokens never share a subject (audit records and idempotency keys tell them apart).
 */
function devSubject(request: DevTokenRequest, username: string): string {
  return request.partner ? `dev-partner:${request.tenant ?? ''}:${request.partner.id}` : `dev-user:${username}`;
}

/** A token for the seeded dev user `<role>@<tenant>`, for a named staff member, or for a partner's client. */
export async function signDevToken(key: DevSigningKey, request: DevTokenRequest): Promise<string> {
  const username = request.staff ? request.staff.email : request.tenant ? `${request.role}@${request.tenant}` : request.role;
  const issuedAt = Math.floor(request.now.getTime() / 1000);
  const claims: Record<string, unknown> = {
    typ: 'Bearer',
    // The partner's client as registerPartner names it, here as in Keycloak.
    azp: request.partner ? partnerClientId(request.tenant ?? '', request.partner.id) : 'lendgraph-dev',
    preferred_username: username,
    realm_access: { roles: request.staff ? [...request.staff.roles] : [request.role] },
  };
  if (request.tenant) claims['organization'] = [request.tenant];
  if (request.partner) claims['lendgraph_partner'] = request.partner;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(request.issuer)
    .setAudience(request.audience)
    .setSubject(request.subject ?? devSubject(request, username))
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + (request.ttlSeconds ?? 3600))
    .sign(await importJWK(key.privateJwk, 'RS256'));
}
