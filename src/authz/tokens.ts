// The one token verification path, for the development issuer and Keycloak alike: a JWT checked with `jose`
// against the issuer's JWKS (issuer, audience, expiry, not-before, signature, asymmetric algorithms only).
// The remote key set is cached by jose and refetched when a token names an unknown key, so a rotated key
// is picked up without a restart.
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

export function createTokenVerifier(options: { issuer: string; audience: string; jwksUrl: string }): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 });
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
          requiredClaims: ['sub', 'exp', 'iat'],
          clockTolerance: 5,
        });
        return principalFromClaims(payload);
      } catch (error) {
        if (error instanceof joseErrors.JOSEError) throw new InvalidTokenError(error.code);
        throw error;
      }
    },
  };
}
