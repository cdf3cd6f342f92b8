// What the WebSocket side holds a caller to: an operation refused for its size answers as over HTTP, with what it
// would have cost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';
import { subscribe, until } from '../support/ws.js';

let server: TestServer;
let tenant: TenantRecord;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('wslimits'));
});
afterAll(async () => {
  await server.close();
});

describe('a refusal of size over the WebSocket', () => {
  it('answers as HTTP does, with what the operation would have cost in extensions.cost', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    // Past MAX_QUERY_NODES (100 loans × a loan's transactions), and past MAX_QUERY_COST (eleven trial balances).
    const large = '{ loans(first: 100) { edges { node { transactions { id } } } } }';
    const costly = `{ ${Array.from({ length: 11 }, (_, k) => `t${k}: trialBalance(asOf: "2026-01-31") { asOf }`).join(' ')} }`;
    for (const [query, reason] of [[large, 'QUERY_TOO_LARGE'], [costly, 'QUERY_TOO_COSTLY']] as const) {
      const overHttp = await gql(server.gateway, query, { token });
      expect(overHttp.errors![0]!.extensions).toMatchObject({ reason });
      expect(overHttp.extensions!['cost']).toMatchObject({ requestedQueryCost: expect.any(Number), maxQueryCost: 20_000 });
      const ws = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, query);
      await until(() => ws.results.length > 0 || ws.errors.length > 0);
      // Each refusal has its own correlation id; everything else is the same answer.
      const sameBut = (answer: { errors?: unknown; extensions?: unknown }) => ({
        errors: (answer.errors as { extensions: Record<string, unknown> }[]).map((error) => ({ ...error, extensions: { ...error.extensions, correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) } })),
        extensions: answer.extensions,
      });
      expect(ws.errors).toEqual([]);
      expect(ws.results).toEqual([sameBut(overHttp)]);
      await ws.stop();
    }
  });
});
