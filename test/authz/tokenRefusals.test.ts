// A refused token says which check it failed, to its caller in words that help mend the request and leak nothing
// of the server's keys, and to the operator in a log line at info naming the check and the token's issuer (never
// the token), once a minute for the same check and issuer.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDevToken } from '../../src/authz/devIssuer.js';
import { createTokenVerifier, InvalidTokenError, type TokenCheck } from '../../src/authz/tokens.js';
import { startLoggedServer, type TestServer } from '../support/harness.js';

const ISSUER = 'http://127.0.0.1/token-refusal-issuer';
const AUDIENCE = 'lendgraph-api';
let jwks: http.Server;
let jwksUrl: string;
let privateKey: CryptoKey;
let strangerKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey as CryptoKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey as CryptoKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = http.createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
});

afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

interface Claims { issuer?: string; audience?: string; expiresIn?: number; notBeforeIn?: number; subject?: string | null; kid?: string; key?: CryptoKey }

function token(claims: Claims = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ roles: ['tenant-admin'] })
    .setProtectedHeader({ alg: 'ES256', kid: claims.kid ?? 'k1' })
    .setIssuer(claims.issuer ?? ISSUER).setAudience(claims.audience ?? AUDIENCE).setIssuedAt(now).setExpirationTime(now + (claims.expiresIn ?? 3600));
  if (claims.subject !== null) jwt.setSubject(claims.subject ?? 'user-1');
  if (claims.notBeforeIn !== undefined) jwt.setNotBefore(now + claims.notBeforeIn);
  return jwt.sign(claims.key ?? privateKey);
}

async function refusal(jwt: string): Promise<InvalidTokenError> {
  const verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl });
  const error = await verifier.verify(jwt).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidTokenError);
  return error as InvalidTokenError;
}

describe('a refused token says which check it failed', () => {
  it('names the check for each way a token fails', async () => {
    const forged = await token();
    const cases: [string, Promise<string> | string, TokenCheck, string][] = [
      ['another issuer, signed with a key this server knows', token({ issuer: 'http://127.0.0.1:4300/dev-issuer' }), 'issuer', 'the token\'s issuer is not one this server trusts'],
      ['another issuer, signed with a key it does not know', token({ issuer: 'http://127.0.0.1:4300/dev-issuer', kid: 'elsewhere', key: strangerKey }), 'issuer', 'the token\'s issuer is not one this server trusts'],
      ['another audience', token({ audience: 'another-api' }), 'audience', 'the token is for another audience than this API'],
      ['expired', token({ expiresIn: -60 }), 'expired', 'the token has expired'],
      ['not valid yet', token({ notBeforeIn: 600 }), 'notYetValid', 'the token is not valid yet'],
      ['no subject', token({ subject: null }), 'claims', 'the token lacks a claim this server requires (sub, exp, iat)'],
      ['a key the issuer does not publish', token({ kid: 'k2', key: strangerKey }), 'key', 'the token is signed with a key its issuer does not publish'],
      ['a signature that does not verify', `${forged.slice(0, forged.lastIndexOf('.'))}.${'A'.repeat(86)}`, 'signature', 'the token\'s signature does not verify'],
      ['no JWT at all', 'not-a-token', 'malformed', 'the token is not a well-formed JWT'],
    ];
    for (const [what, jwt, check, told] of cases) {
      const error = await refusal(await jwt);
      expect({ what, check: error.check, told: error.told }).toEqual({ what, check, told });
    }
  });

  it('keeps jose\'s account and the issuer the token names for the log', async () => {
    const error = await refusal(await token({ issuer: 'http://127.0.0.1:4300/dev-issuer' }));
    expect(error.message).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED: iss check_failed');
    expect(error.issuer).toBe('http://127.0.0.1:4300/dev-issuer');
  });
});

describe('a token from another server\'s development issuer, sent to this one', () => {
  let server: TestServer & { logs: Record<string, any>[] };
  beforeAll(async () => {
    server = await startLoggedServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('is answered 401 saying the issuer is not trusted, and logged once at info with the check and issuer, never the token', async () => {
    // What `npm run token` makes for a server on another PORT: the same key under DATA_DIR, another issuer.
    const elsewhere = 'http://127.0.0.1:4999/dev-issuer';
    const jwt = await signDevToken(server.runtime.devKey!, { issuer: elsewhere, audience: server.runtime.config.AUTH_AUDIENCE, role: 'tenant-admin', now: new Date() });
    const ask = () => fetch(server.gateway.graphqlUrl, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` }, body: JSON.stringify({ query: '{ viewer { subject } }' }),
    });
    const first = await ask();
    expect(first.status).toBe(401);
    expect(((await first.json()) as { errors: { message: string; extensions: { code: string } }[] }).errors[0]).toMatchObject({
      message: 'the token\'s issuer is not one this server trusts', extensions: { code: 'UNAUTHENTICATED' },
    });
    expect((await ask()).status).toBe(401);

    const said = server.logs.filter((line) => line['msg'] === 'token refused');
    // The second refusal for the same check and issuer is at debug, below this server's level: one line.
    expect(said).toEqual([expect.objectContaining({ level: 30, check: 'issuer', issuer: elsewhere, reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED: iss check_failed' })]);
    const signature = jwt.split('.')[2]!;
    expect(server.logs.filter((line) => JSON.stringify(line).includes(signature))).toEqual([]);
  });
});
