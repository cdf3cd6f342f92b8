// The one token verification path, for the development issuer and Keycloak alike: a JWT checked with `jose`
// against the issuer's JWKS (issuer, audience, expiry, not-before, signature, asymmetric algorithms only).
// The remote key set is cached by jose and refetched when a token names an unknown key, so a rotated key
// is picked up without a restart.
//
// A verified token is remembered, by its exact text, for at most VERIFIED_TTL_MS and never past its own expiry:
// a client sends the same token on every request, and checking its signature again each time was a share of
// every request's CPU (docs/performance.md). Only successes are kept; a token that fails is checked each time.
import { LRUCache } from 'lru-cache';
import { createRemoteJWKSet, decodeJwt, jwtVerify, errors as joseErrors } from 'jose';
import { principalFromClaims, type Principal } from './principal.js';

/**
 * Which check a refused token failed, and what its caller is told: enough to mend the request (a token made for
 * another server's address, one that expired), nothing of this server's keys or settings.
 */
const REFUSALS = {
  malformed: 'the token is not a well-formed JWT',
  issuer: 'the token\'s issuer is not one this server trusts',
  audience: 'the token is for another audience than this API',
  expired: 'the token has expired',
  notYetValid: 'the token is not valid yet',
  claims: 'the token lacks a claim this server requires (sub, exp, iat)',
  algorithm: 'the token is signed with an algorithm this server does not accept',
  key: 'the token is signed with a key its issuer does not publish',
  signature: 'the token\'s signature does not verify',
  keysUnavailable: 'the token could not be checked: its issuer\'s keys could not be read',
  other: 'the token is not valid',
} as const;

export type TokenCheck = keyof typeof REFUSALS;

export class InvalidTokenError extends Error {
  /** What the caller is told. */
  readonly told: string;

  /** `message` is jose's own account, for the operator's log; `issuer` is the token's `iss` as sent, unverified. */
  constructor(readonly check: TokenCheck, detail: string, readonly issuer: string | null = null) {
    super(detail);
    this.name = 'InvalidTokenError';
    this.told = REFUSALS[check];
  }
}

/** The token's `iss` as sent, before anything about it is verified; null when it has none or is no JWT. */
function claimedIssuer(token: string): string | null {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' ? iss.slice(0, 200) : null;
  } catch {
    return null;
  }
}

const CHECK_OF_CLAIM: Record<string, TokenCheck> = { iss: 'issuer', aud: 'audience', nbf: 'notYetValid', exp: 'expired' };

/** The check a jose error stands for; a token from another issuer is that, whichever check jose met first. */
function failedCheck(error: joseErrors.JOSEError, issuer: string | null, trusted: string): TokenCheck {
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid) return 'malformed';
  if (issuer !== null && issuer !== trusted) return 'issuer';
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'claims';
    return CHECK_OF_CLAIM[error.claim] ?? 'other';
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm';
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'key';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return 'keysUnavailable';
  return 'other';
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** How long a verified token is taken on trust before its signature is checked again. */
export const VERIFIED_TTL_MS = 60_000;

export function createTokenVerifier(
  options: { issuer: string; audience: string; jwksUrl: string },
  clock: () => number = Date.now,
): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 });
  const verified = new LRUCache<string, { principal: Principal; until: number }>({ max: 10_000 });
  return {
    async verify(token) {
      const now = clock();
      const known = verified.get(token);
      if (known && now < known.until) return known.principal;
      if (known) verified.delete(token);
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
          requiredClaims: ['sub', 'exp', 'iat'],
          clockTolerance: 5,
        });
        const principal = principalFromClaims(payload);
        // Not past its expiry (less the clock tolerance), nor before its not-before.
        const expires = typeof payload.exp === 'number' ? payload.exp * 1000 : now;
        if (typeof payload.nbf !== 'number' || payload.nbf * 1000 <= now) {
          verified.set(token, { principal, until: Math.min(now + VERIFIED_TTL_MS, expires) });
        }
        return principal;
      } catch (error) {
        if (!(error instanceof joseErrors.JOSEError)) throw error;
        // The claim that failed (an issuer from another address, an audience for another API) and the issuer the
        // token names are what an operator needs to see why it was refused.
        const issuer = claimedIssuer(token);
        const detail = error instanceof joseErrors.JWTClaimValidationFailed ? `${error.code}: ${error.claim} ${error.reason}` : error.code;
        throw new InvalidTokenError(failedCheck(error, issuer, options.issuer), detail, issuer);
      }
    },
  };
}
