// A verified token is taken on trust for a while (src/authz/tokens.ts): the same token again answers the same
// principal without a second signature check, for at most VERIFIED_TTL_MS and never past the token's expiry;
// a token that fails is never kept. Whether the signature was checked again shows as a new principal object.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, VERIFIED_TTL_MS } from '../../src/authz/tokens.js';

const ISSUER = 'http://127.0.0.1/token-cache-issuer';
const AUDIENCE = 'lendgraph-api';
let server: http.Server;
let jwksUrl: string;
let privateKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey as CryptoKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  server = http.createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function token(expiresInSeconds: number, subject = 'user-1'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: ['tenant-admin'], tenants: ['acme'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(subject).setIssuedAt(now).setExpirationTime(now + expiresInSeconds)
    .sign(privateKey);
}

describe('verified tokens', () => {
  it('the same token again answers the same principal, until the trust period ends', async () => {
    let now = Date.now();
    const verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl }, () => now);
    const jwt = await token(3600);
    const first = await verifier.verify(jwt);
    expect(first.subject).toBe('user-1');
    expect(await verifier.verify(jwt)).toBe(first);
    now += VERIFIED_TTL_MS + 1;
    const again = await verifier.verify(jwt);
    expect(again).not.toBe(first);
    expect(again.subject).toBe('user-1');
  });

  it('is not trusted past its own expiry, however short', async () => {
    let now = Date.now();
    const verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl }, () => now);
    const jwt = await token(10);
    const first = await verifier.verify(jwt);
    now += 11_000;
    // Past its expiry by this verifier's clock: not answered from trust (jose's own clock still accepts it here).
    expect(await verifier.verify(jwt)).not.toBe(first);
  });

  it('a token that fails is refused each time, never kept', async () => {
    const verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl });
    const jwt = await token(3600);
    const forged = `${jwt.slice(0, -4)}AAAA`;
    await expect(verifier.verify(forged)).rejects.toThrow();
    await expect(verifier.verify(forged)).rejects.toThrow();
    const expired = await token(-60);
    await expect(verifier.verify(expired)).rejects.toThrow();
    await expect(verifier.verify(expired)).rejects.toThrow();
  });
});

describe('a refused token', () => {
  it('says which claim failed, for the operator\'s log (the caller is told only that it is not valid)', async () => {
    const verifier = createTokenVerifier({ issuer: 'http://127.0.0.1:4300/dev-issuer', audience: AUDIENCE, jwksUrl });
    // Signed for another address's issuer: what a development token made for another PORT looks like.
    await expect(verifier.verify(await token(3600))).rejects.toThrow(/^ERR_JWT_CLAIM_VALIDATION_FAILED: iss check_failed$/);
  });
});
