// A lender's one-row settings (delinquency policy, debit settings, reminder settings, co-lending rules) read at the
// same moment, as a dashboard's panels read them: each read is answered, never INTERNAL. Prisma joins findUnique
// calls made in one tick into one `id IN (…)` query, which the tables' Boolean id cannot take.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  const tenant = await createTenant(server.runtime, uniqueSlug('one-row'), { sandbox: true });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
});

afterAll(async () => {
  await server?.close();
});

describe('a lender\'s one-row settings', () => {
  it.each(['delinquencyPolicy', 'debitSettings', 'reminderSettings', 'coLendingRules'])('%s read twice in one request, and by ten requests at once, is answered each time', async (field) => {
    const twice = await gql(server.gateway, `{ a: ${field} { __typename } b: ${field} { __typename } }`, { token: admin });
    expect(twice.errors, JSON.stringify(twice.errors)).toBeUndefined();
    expect(twice.data!['a']).toEqual(twice.data!['b']);
    const answers = await Promise.all(Array.from({ length: 10 }, () => gql(server.gateway, `{ ${field} { __typename } }`, { token: admin })));
    expect(answers.flatMap((answer) => answer.errors ?? [])).toEqual([]);
  });
});
