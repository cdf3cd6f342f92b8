// Automatic persisted queries as the protocol defines them: a hash the server has not seen answers
// PERSISTED_QUERY_NOT_FOUND (so a stock client resends the full query), the full query with its hash registers it,
// then the hash alone is answered; a hash that is not the query's is refused as bad input.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, devToken, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer();
  const tenant = await createTenant(server.runtime, uniqueSlug('apq'));
  token = await devToken(server.runtime, 'tenant-admin', tenant.slug);
});
afterAll(async () => {
  await server.close();
});

async function post(body: Record<string, unknown>) {
  const response = await fetch(server.gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string; extensions: Record<string, any> }[] } };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('automatic persisted queries', () => {
  it('a new hash is PERSISTED_QUERY_NOT_FOUND; the full query registers it; the hash alone is then answered', async () => {
    // A query text no other test sends, so the hash is new to this server.
    const query = `query Apq${Date.now()} { currentTenant { slug } }`;
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };

    const unknown = await post({ extensions: { persistedQuery } });
    expect(unknown.body.data).toBeUndefined();
    expect(unknown.body.errors).toEqual([{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }]);

    const registered = await post({ query, extensions: { persistedQuery } });
    expect(registered.status).toBe(200);
    expect(registered.body.errors).toBeUndefined();
    expect(registered.body.data.currentTenant.slug).toMatch(/^apq-/);

    const byHash = await post({ extensions: { persistedQuery } });
    expect(byHash.status).toBe(200);
    expect(byHash.body.errors).toBeUndefined();
    expect(byHash.body.data).toEqual(registered.body.data);
  });

  it('a hash that is not the query\'s is refused as bad input, and registers nothing', async () => {
    const query = `query ApqWrong${Date.now()} { currentTenant { slug } }`;
    const wrong = sha256(`${query} `);
    const refused = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } });
    expect(refused.status).toBe(400);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors?.map((e) => e.extensions)).toEqual([
      { code: 'BAD_USER_INPUT', reason: 'PERSISTED_QUERY_HASH_MISMATCH', field: 'extensions.persistedQuery.sha256Hash' },
    ]);
    const after = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } });
    expect(after.body.errors?.[0]?.extensions['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('a protocol version other than 1 is refused as bad input', async () => {
    const query = '{ currentTenant { slug } }';
    const refused = await post({ query, extensions: { persistedQuery: { version: 2, sha256Hash: sha256(query) } } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.map((e) => e.extensions)).toEqual([
      { code: 'BAD_USER_INPUT', reason: 'PERSISTED_QUERY_VERSION_UNSUPPORTED', field: 'extensions.persistedQuery.version' },
    ]);
  });
});
