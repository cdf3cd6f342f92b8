// The one token verification path, for the development issuer and Keycloak alike: a JWT checked with `jose`
// against the issuer's JWKS (issuer, audience, expiry, not-before, signature, asymmetric algorithms only).
// The remote key set is cached by jose and refetched when a token names an unknown key, so a rotated key
// is picked up without a restart.
//
// A verified token is remembered, by its exact text, for at most VERIFIED_TTL_MS and never past its own expiry:
// a client sends the same token on every request, and checking its signature again each time was a share of
// every request's CPU (docs/performance.md). Only successes are kept; a token that fails is checked each time.
import { LRUCache } from 'lru-cache';
import { createRemoteJWKSet, jwtVerify, errors as joseErrors } from 'jose';
import { principalFromClaims, type Principal } from './principal.js';

export class InvalidTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
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
        // The claim that failed (an issuer from another address, an audience for another API) is what an operator
        // needs to see why a token was refused; the caller is told only that it is not valid.
        if (error instanceof joseErrors.JWTClaimValidationFailed) throw new InvalidTokenError(`${error.code}: ${error.claim} ${error.reason}`);
        if (error instanceof joseErrors.JOSEError) throw new InvalidTokenError(error.code);
        throw error;
      }
    },
  };
}
