// Queries per request do not grow with page size: a page of 5 loans and a page of 50, each with its product and
// its schedule, cost the same number of SQL statements. Counted for real, on the pg client every query of the
// process goes through (Prisma's adapter and plain SQL alike), while one request is in flight: only statements sent
// from within the handling of an HTTP request (an AsyncLocalStorage scope opened for each request the server
// emits), so what the process does meanwhile on its own — the job queue's polling (pg-boss), the commit settler's
// passes and their webhook hook, its sweeps — is not counted, whenever it happens to fall in the window.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let admin: string;

/** Statements sent by pg clients while a request is being counted: the text of each. */
let counting: string[] | null = null;
const originalQuery = pg.Client.prototype.query;
const originalEmit = http.Server.prototype.emit;
/** Set while the server handles a request, and in everything that handling starts. */
const handlingRequest = new AsyncLocalStorage<true>();

beforeAll(async () => {
  http.Server.prototype.emit = function emit(this: http.Server, event: string | symbol, ...args: unknown[]) {
    const emitted = () => (originalEmit as (this: http.Server, ...all: unknown[]) => boolean).call(this, event, ...args);
    return event === 'request' ? handlingRequest.run(true, emitted) : emitted();
  } as typeof http.Server.prototype.emit;
  pg.Client.prototype.query = function query(this: pg.Client, ...args: unknown[]) {
    const sink = counting;
    if (sink && handlingRequest.getStore()) {
      const first = args[0] as string | { text?: string } | undefined;
      sink.push(typeof first === 'string' ? first : first?.text ?? '(submittable)');
    }
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  // The page of 50 with schedules is larger than the default MAX_QUERY_NODES and MAX_QUERY_COST estimates allow.
  server = await startTestServer({ MAX_QUERY_NODES: '1000000', MAX_QUERY_COST: '1000000' });
  tenant = await createTenant(server.runtime, uniqueSlug('querycount'), { sandbox: true });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
  for (let start = 0; start < 50; start += 10) {
    await Promise.all(Array.from({ length: 10 }, async (_, k) => {
      const response = await gql(server.gateway, `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } userErrors { code message } } }`, {
        token: admin,
        variables: { input: { idempotencyKey: `querycount-${start + k}`, productCode: 'PL-STD', principal: '6000', numberOfRepayments: 12, disbursementDate: '2026-11-01' } },
      });
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      expect(response.data!['disburseLoan'].loan, JSON.stringify(response.data)).toBeTruthy();
    }));
  }
  // A collection case on every loan, so a page of loans reads each one's case and the case's own lists.
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  for (const loan of await db.loan.findMany({ select: { id: true } })) {
    await db.collectionCase.create({ data: { id: randomUUID(), loanId: loan.id, status: 'open', openedOn: new Date('2026-11-02T00:00:00Z'), openedDaysPastDue: 1, createdAt: new Date(), updatedAt: new Date() } });
  }
}, 120_000);

afterAll(async () => {
  pg.Client.prototype.query = originalQuery;
  http.Server.prototype.emit = originalEmit;
  await server?.close();
});

const PAGE = `query($first: Int!) { loans(first: $first) { edges { node {
  id number status principal daysPastDue receivable { principal interest }
  product { id code name }
  account { instalments { number dueDate outstanding { principal interest } } }
} } } }`;

/** Statements the process sends on its own, not for a request: left out again should one run inside a request's scope. */
const BACKGROUND = [/pgboss/i, /pg_stat_get_tuples_inserted/, /outbox_event WHERE seq IS NULL/];

/** The statements one request costs, and its reply. */
async function statementsOf(query: string, variables: Record<string, unknown>) {
  const statements: string[] = [];
  counting = statements;
  const response = await gql(server.gateway, query, { token: admin, variables }).finally(() => { counting = null; });
  const own = statements.filter((text) => !BACKGROUND.some((shape) => shape.test(text)));
  statements.splice(0, statements.length, ...own);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return { statements, data: response.data! };
}

/**
 * The fewest statements of three runs of the same request: should the process's own work ever run inside a
 * request's scope, it can only add statements, never take the request's own away.
 */
async function fewestOf(query: string, variables: Record<string, unknown>) {
  const runs = [];
  for (let i = 0; i < 3; i += 1) runs.push(await statementsOf(query, variables));
  return runs.reduce((best, run) => (run.statements.length < best.statements.length ? run : best));
}

describe('statements per request', () => {
  it('a page of 50 loans with products and schedules costs the same statements as a page of 5', async () => {
    // Once first, at the larger size: the first request of a tenant warms caches (its client, its registry entry)
    // and a loan's first read keeps its replay for the next request (src/graph/loan.ts), so both sizes are then
    // counted in the same state.
    await statementsOf(PAGE, { first: 50 });
    const five = await fewestOf(PAGE, { first: 5 });
    const fifty = await fewestOf(PAGE, { first: 50 });
    expect(five.data['loans'].edges).toHaveLength(5);
    expect(fifty.data['loans'].edges).toHaveLength(50);
    expect(fifty.data['loans'].edges[49].node.account.instalments).toHaveLength(12);
    expect(fifty.data['loans'].edges[49].node.product.code).toBe('PL-STD');
    // The request's own statements are seen: the page with its loans' rows in one statement (no filter, number
    // order), not the page's ids and then the rows.
    for (const [size, { statements }] of [[5, five], [50, fifty]] as const) {
      // The page's size (one more, to know whether a next page follows) is written into the statement.
      expect(statements.some((text) => text.endsWith(`.loan l ORDER BY l.number ASC, l.id ASC LIMIT ${size + 1}`)), statements.join('\n')).toBe(true);
      expect(statements.some((text) => /SELECT .*\."loan"\."id" FROM /s.test(text) || text.includes('.loan l WHERE l.id = ANY')), statements.join('\n')).toBe(false);
    }
    expect(fifty.statements.length, `5: ${five.statements.length}\n${five.statements.join('\n')}\n\n50: ${fifty.statements.length}\n${fifty.statements.join('\n')}`).toBe(five.statements.length);
  });

  it('reads a page\'s products in one statement, and not at all when they are not asked for', async () => {
    const products = (statements: string[]) => statements.filter((text) => text.includes('.loan_product p WHERE'));
    const asked = await fewestOf('query($first: Int!) { loans(first: $first) { edges { node { id product { code } } } } }', { first: 20 });
    expect(asked.data['loans'].edges.every((e: { node: { product: { code: string } } }) => e.node.product.code === 'PL-STD')).toBe(true);
    expect(products(asked.statements)).toHaveLength(1);
    // Through a named fragment the same.
    const viaFragment = await fewestOf('query($first: Int!) { loans(first: $first) { edges { node { ...Row } } } } fragment Row on Loan { id product { code } }', { first: 20 });
    expect(products(viaFragment.statements)).toHaveLength(1);
    const notAsked = await fewestOf('query($first: Int!) { loans(first: $first) { edges { node { id number } } } }', { first: 20 });
    expect(products(notAsked.statements)).toEqual([]);
  });

  it('a page of 50 loans with their collection cases (and status), case timelines and promises, messages, mandates and debits costs the same statements as a page of 5', async () => {
    const page = `query($first: Int!) { loans(first: $first) { edges { node { id
      collectionCase { id status timeline { kind } promises { id } pendingPromise { id } } collectionStatus { open promisePendingUntil }
      messages { id } debitMandate { id } debitPresentments { traceNumber }
    } } } }`;
    await statementsOf(page, { first: 50 });
    const five = await fewestOf(page, { first: 5 });
    const fifty = await fewestOf(page, { first: 50 });
    expect(fifty.data['loans'].edges).toHaveLength(50);
    expect(fifty.data['loans'].edges.every((e: { node: { collectionCase: { status: string } | null } }) => e.node.collectionCase?.status === 'OPEN')).toBe(true);
    expect(fifty.statements.length, `5: ${five.statements.length}\n${five.statements.join('\n')}\n\n50: ${fifty.statements.length}\n${fifty.statements.join('\n')}`).toBe(five.statements.length);
  });

  it('the global ids of the transactions statements, accounts and the ledger name cost no statement beyond the database ids beside them', async () => {
    const loans = (await gql(server.gateway, '{ loans(first: 2) { edges { node { id } } } }', { token: admin })).data!['loans'].edges.map((e: { node: { id: string } }) => e.node.id);
    for (const loanId of loans) {
      const repaid = await gql(server.gateway, 'mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } userErrors { code message } } }', {
        token: admin, variables: { input: { idempotencyKey: `querycount-repay-${loanId}`, loanId, amount: '100', valueDate: '2026-11-01', channel: 'bank-transfer' } },
      });
      expect(repaid.data!['postRepayment'].userErrors).toEqual([]);
    }
    const ask = (ids: string) => `{ loans(first: 10) { edges { node {
      account { allocations { ${ids} } }
      statement(from: "2026-11-01", to: "2026-11-01") { lines { ${ids} } feesAndPenalties { ${ids} } }
    } } } ledgerAccountStatement(account: "1000", from: "2026-11-01", to: "2026-11-01") { lines { ${ids} } } }`;
    type Named = Record<string, string | null>;
    type Answer = { loans: { edges: { node: { account: { allocations: Named[] }; statement: { lines: Named[] } } }[] }; ledgerAccountStatement: { lines: Named[] } };
    const named = (data: Answer, field: string) => [
      ...data.loans.edges.flatMap((e) => [...e.node.account.allocations, ...e.node.statement.lines]),
      ...data.ledgerAccountStatement.lines,
    ].map((x) => x[field]).filter((id) => id !== null);
    const database = ask('transactionId');
    const global = ask('transactionGlobalId');
    await statementsOf(database, {});
    await statementsOf(global, {});
    const byDatabaseId = await fewestOf(database, {});
    const byGlobalId = await fewestOf(global, {});
    // Not vacuous: each repayment is named by its allocation, its statement line and the ledger, by either id.
    expect(named(byGlobalId.data as Answer, 'transactionGlobalId')).toHaveLength(6);
    expect(named(byDatabaseId.data as Answer, 'transactionId')).toHaveLength(6);
    expect(byGlobalId.statements.length, `${byDatabaseId.statements.join('\n')}\n\n${byGlobalId.statements.join('\n')}`).toBe(byDatabaseId.statements.length);
  });
});
