// A repayment's statements of fixed text (the key's claim, the posting's write, the command's bookkeeping) are
// prepared once per pooled connection and then executed, inside the same batches of simple queries that carry the
// command's round trips (src/commands/runCommand.ts, runSqlCommand): PostgreSQL plans them for their values at most
// five times on a connection and then runs the plan it keeps. Read from PostgreSQL's own counters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let admin: string;
let loanId: string;

async function call(query: string, variables: Record<string, unknown>) {
  const response = await gql(server.gateway, query, { token: admin, variables });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!;
}

beforeAll(async () => {
  // The smallest pool, so the repayments below share few connections and each connection's counters are read.
  server = await startTestServer({ PG_POOL_MAX: '2' });
  tenant = await createTenant(server.runtime, uniqueSlug('poststatements'), { sandbox: true, businessDate: '2026-12-01' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
  const booked = await call(`mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } userErrors { code message } } }`, {
    input: { idempotencyKey: 'poststatements-loan', productCode: 'PL-STD', principal: '6000', numberOfRepayments: 12, disbursementDate: '2026-09-01' },
  });
  loanId = booked['disburseLoan'].loan.id as string;
}, 120_000);

afterAll(async () => {
  await server?.close();
});

interface Held { name: string; statement: string; generic: number; custom: number }

/**
 * A statement's own PREPARE: PostgreSQL shows the whole query string it came in, and the statements a connection
 * does not have yet are prepared in one string.
 */
function ownText({ name, statement }: Held): string {
  const from = statement.indexOf(`PREPARE "${name}"`);
  expect(from, `${name} in what prepared it`).toBeGreaterThanOrEqual(0);
  return statement.slice(from).split('\n;\nPREPARE')[0]!;
}

/** What every connection of the gateway's pool holds, prepared by SQL (PREPARE), each connection held in turn. */
async function preparedOnPool(): Promise<Held[][]> {
  const clients: pg.PoolClient[] = [];
  try {
    for (let i = 0; i < 2; i += 1) clients.push(await server.runtime.pool.connect());
    return await Promise.all(clients.map(async (client) => (await client.query<Held>(
      `SELECT name, statement, generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE from_sql`,
    )).rows.map((row) => ({ ...row, statement: ownText(row) }))));
  } finally {
    for (const client of clients) client.release();
  }
}

describe('a repayment\'s statements', () => {
  it('are prepared once per connection and run on the plan kept, whatever the values', async () => {
    const repayments = 16;
    for (let i = 0; i < repayments; i += 1) {
      const data = await call(`mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id amount } userErrors { code message } } }`, {
        input: { idempotencyKey: `poststatements-${i}`, loanId, amount: `${10 + i}.25`, valueDate: '2026-10-01', channel: 'bank-transfer' },
      });
      expect(data['postRepayment'].userErrors).toEqual([]);
      expect(data['postRepayment'].loanTransaction.amount).toMatch(new RegExp(`^${10 + i}\\.25`));
    }
    // The same key again is answered from what was stored, through the same prepared claim.
    const again = await call(`mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id amount } userErrors { code message } } }`, {
      input: { idempotencyKey: 'poststatements-0', loanId, amount: '10.25', valueDate: '2026-10-01', channel: 'bank-transfer' },
    });
    expect(again['postRepayment'].loanTransaction.amount).toMatch(/^10\.25/);

    const held = (await preparedOnPool()).flat();
    const shapes = {
      claim: held.filter((h) => h.statement.includes('.idempotency_key (principal, key, operation')),
      write: held.filter((h) => h.statement.includes('.loan_transaction (id, loan_id')),
      bookkeeping: held.filter((h) => h.statement.includes('.outbox_event (id, type')),
    };
    const runs = (list: Held[]) => list.reduce((sum, h) => sum + h.generic + h.custom, 0);
    // Each shape at most once per connection; every repayment ran each of them (the repeat only claimed).
    for (const [shape, list] of Object.entries(shapes)) {
      expect(list.length, shape).toBeGreaterThanOrEqual(1);
      expect(list.length, `${shape}: ${JSON.stringify(list.map((h) => h.statement.slice(0, 60)))}`).toBeLessThanOrEqual(2);
      for (const h of list) expect(h.custom, `${shape} planned for its values`).toBeLessThanOrEqual(5);
    }
    expect(runs(shapes.claim)).toBeGreaterThanOrEqual(repayments + 1);
    expect(runs(shapes.write)).toBeGreaterThanOrEqual(repayments);
    expect(runs(shapes.bookkeeping)).toBeGreaterThanOrEqual(repayments);
    // Each prepared for its schema only.
    for (const h of held) expect(h.statement).toContain(tenant.schemaName);
  });
});
