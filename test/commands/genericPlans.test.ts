// A posting's statements of fixed text are planned once per connection, not for every command: the loans' locking
// read and the bookkeeping are prepared on the connection, and the command's transaction asks for their generic
// plan (`BEGIN_COMMAND`). A page of loans, the read a partner's sync repeats, is planned once too. Read from
// PostgreSQL's own counters on each of the pool's two connections.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Batches } from '../../src/commands/runCommand.js';
import { statementName } from '../../src/tenancy/preparedStatements.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let admin: string;

beforeAll(async () => {
  server = await startTestServer({ PG_POOL_MAX: '2' });
  tenant = await createTenant(server.runtime, uniqueSlug('plans'), { sandbox: true });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

it('plans the locking read and the bookkeeping of single postings once, whatever the loan', async () => {
  const loans: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const booked = await gql(server.gateway, `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } userErrors { code message } } }`, {
      token: admin,
      variables: { input: { idempotencyKey: `plans-loan-${i}`, productCode: 'PL-STD', principal: '5000', numberOfRepayments: 12, disbursementDate: '2026-06-01' } },
    });
    expect(booked.errors, JSON.stringify(booked.errors)).toBeUndefined();
    loans.push(booked.data!['disburseLoan'].loan.id);
  }
  const POSTINGS = 9;
  for (let i = 0; i < POSTINGS; i += 1) {
    const posted = await gql(server.gateway, `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } userErrors { code message } } }`, {
      token: admin,
      variables: { input: { idempotencyKey: `plans-repay-${i}`, loanId: loans[i % loans.length], amount: '10', valueDate: tenant.businessDate, channel: 'bank-transfer' } },
    });
    expect(posted.errors, JSON.stringify(posted.errors)).toBeUndefined();
    expect(posted.data!['postRepayment'].userErrors).toEqual([]);
  }
  // Every connection the postings used, each asked in turn while the others are held.
  const held = await Promise.all([server.runtime.pool.connect(), server.runtime.pool.connect()]);
  try {
    const seen = new Map<string, { generic: number; custom: number }>();
    for (const client of held) {
      const { rows } = await client.query<{ name: string; statement: string; generic_plans: string; custom_plans: string }>(
        `SELECT name, statement, generic_plans::text, custom_plans::text FROM pg_prepared_statements WHERE from_sql AND statement LIKE $1`, [`%${tenant.schemaName}%`]);
      for (const row of rows) {
        // The text kept is the whole query the PREPARE came in, with the others sent beside it: this one's own part.
        const own = row.statement.split(/;\s*(?=PREPARE ")/).find((part) => part.includes(`PREPARE "${row.name}"`)) ?? '';
        const shape = /^PREPARE "[^"]+" \(uuid\[\]\) AS SELECT .* FOR UPDATE\s*$/s.test(own) ? 'locking read'
          : /^PREPARE "[^"]+" \([^)]*\) AS WITH events AS \(\s*INSERT INTO \S+\.outbox_event/.test(own) ? 'bookkeeping' : null;
        if (!shape) continue;
        const sum = seen.get(shape) ?? { generic: 0, custom: 0 };
        seen.set(shape, { generic: sum.generic + Number(row.generic_plans), custom: sum.custom + Number(row.custom_plans) });
      }
    }
    expect(seen.get('locking read')).toEqual({ generic: POSTINGS, custom: 0 });
    // Disbursements go through the ORM's transaction, not these batches: the bookkeeping prepared is the postings' alone.
    expect(seen.get('bookkeeping')).toEqual({ generic: POSTINGS, custom: 0 });
    // The setting ended with each command's transaction: what else runs on the connection plans as PostgreSQL chooses.
    for (const client of held) expect((await client.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode')).rows[0]!.plan_cache_mode).toBe('auto');
    // The commit settler's webhook dispatch after each pass: asking whether any endpoint is active is a statement
    // named on its connection, parsed there once; with none (this tenant has none), the deliveries are never asked for.
    const runsOf = async (key: string) => {
      let runs = 0;
      for (const client of held) {
        const { rows } = await client.query<{ runs: string }>(
          `SELECT (generic_plans + custom_plans)::text AS runs FROM pg_prepared_statements WHERE name = $1 AND NOT from_sql`, [statementName(key)]);
        runs += rows.reduce((sum, row) => sum + Number(row.runs), 0);
      }
      return runs;
    };
    expect(await runsOf(`on:webhook-listening:${tenant.schemaName}`)).toBeGreaterThan(0);
    expect(await runsOf(`on:webhook-deliveries:${tenant.schemaName}`)).toBe(0);
  } finally {
    for (const client of held) client.release();
  }
}, 120_000);

it('plans a page of loans once per connection and size, not on every read', async () => {
  // Booked here too, so that the test stands alone.
  const booked = await gql(server.gateway, `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } userErrors { code message } } }`, {
    token: admin,
    variables: { input: { idempotencyKey: 'plans-page-loan', productCode: 'PL-STD', principal: '5000', numberOfRepayments: 12, disbursementDate: '2026-06-01' } },
  });
  expect(booked.errors, JSON.stringify(booked.errors)).toBeUndefined();
  // A book of some size, as PostgreSQL's statistics see it: over a handful of rows any plan costs the same, and the
  // generic one is taken whether the size is bound or written. Copies of the loan, read here and nowhere else.
  await server.runtime.pool.query(
    `INSERT INTO "${tenant.schemaName}".loan SELECT (jsonb_populate_record(l, jsonb_build_object('id', gen_random_uuid(), 'number', l.number + 1000 + n))).*
       FROM "${tenant.schemaName}".loan l, generate_series(1, 500) n
      WHERE l.number = (SELECT max(number) FROM "${tenant.schemaName}".loan)`);
  await server.runtime.pool.query(`ANALYZE "${tenant.schemaName}".loan`);
  // Two connections, so at least one of them runs the page seven times: past the five custom plans PostgreSQL makes
  // before it weighs the generic one.
  const READS = 14;
  for (let i = 0; i < READS; i += 1) {
    const page = await gql(server.gateway, '{ loans(first: 2) { edges { node { id number } } } }', { token: admin });
    expect(page.errors, JSON.stringify(page.errors)).toBeUndefined();
    expect(page.data!['loans'].edges.length).toBeGreaterThan(0);
  }
  const held = await Promise.all([server.runtime.pool.connect(), server.runtime.pool.connect()]);
  try {
    let generic = 0;
    let runs = 0;
    for (const client of held) {
      const { rows } = await client.query<{ statement: string; generic_plans: string; custom_plans: string }>(
        `SELECT statement, generic_plans::text, custom_plans::text FROM pg_prepared_statements WHERE NOT from_sql AND statement LIKE $1`,
        [`%FROM "${tenant.schemaName}".loan l ORDER BY l.number%`]);
      for (const row of rows) {
        // The page's size is in the text: first: 2, and one more to know whether a next page follows.
        expect(row.statement).toMatch(/ LIMIT 3$/);
        generic += Number(row.generic_plans);
        runs += Number(row.generic_plans) + Number(row.custom_plans);
      }
    }
    expect(runs).toBe(READS);
    expect(generic).toBeGreaterThan(0);
  } finally {
    for (const client of held) client.release();
  }
}, 120_000);

describe('a command\'s connection after a batch fails', () => {
  const refusing = (error: Error) => ({ query: () => Promise.reject(error) }) as unknown as pg.PoolClient;
  const stale = () => Object.assign(new Error('cached plan must not change result type'), { code: '0A000' });
  const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });

  it('is retired when a statement prepared there no longer returns what it did (it would fail on every execution)', async () => {
    const batches = new Batches(refusing(stale()));
    await expect(batches.send({ parts: ['BEGIN', 'EXECUTE "lg_x"(\'{}\')'], preparations: [] })).rejects.toThrow('cached plan');
    expect(batches.retire).toBe(true);
  });

  it('is retired when the batch prepared statements, and kept when a batch that only executed them is refused for anything else', async () => {
    const preparing = new Batches(refusing(deadlock()));
    await expect(preparing.send({ parts: ['BEGIN', 'EXECUTE "lg_x"'], preparations: ['PREPARE "lg_x" AS SELECT 1'] })).rejects.toThrow();
    expect(preparing.retire).toBe(true);
    const executing = new Batches(refusing(deadlock()));
    await expect(executing.send({ parts: ['BEGIN', 'EXECUTE "lg_x"'], preparations: [] })).rejects.toThrow('deadlock');
    expect(executing.retire).toBe(false);
    const plain = new Batches(refusing(deadlock()));
    await expect(plain.send({ parts: ['BEGIN', 'SELECT 1'], preparations: [] })).rejects.toThrow();
    expect(plain.retire).toBe(false);
  });
});
