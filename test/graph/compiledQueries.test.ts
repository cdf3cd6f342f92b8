// Queries run compiled (graphql-jit) answer exactly what graphql-js answers: the same data when nothing fails, and
// graphql-js's own answer, errors and all, when anything does. One gateway compiles every query at first sight, the
// other never compiles; both serve the same lender from the same database.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devToken, gql, startTestServer, USER_ERRORS, type TestServer } from '../support/harness.js';
import { tenantWithLoan } from '../support/endOfDayBooks.js';

let compiled: TestServer;
let interpreted: TestServer;
/** Each gateway's own development issuer signs its tokens. */
let token: string;
let interpretedToken: string;
let loanId: string;

const LOAN_FIELDS = 'id number status currency principal approvedPrincipal disbursementDate firstRepaymentDate nextDueDate daysPastDue delinquencyBucket balancesAsOf held receivable { principal interest fee penalty }';

beforeAll(async () => {
  compiled = await startTestServer({ QUERY_COMPILE_AFTER: '0' });
  interpreted = await startTestServer({ QUERY_COMPILE_AFTER: 'never' });
  const { tenant } = await tenantWithLoan(compiled.runtime, 'cq', { businessDate: '2026-01-15' });
  token = await devToken(compiled.runtime, 'tenant-admin', tenant.slug);
  interpretedToken = await devToken(interpreted.runtime, 'tenant-admin', tenant.slug);
  const page = await gql(interpreted.gateway, '{ loans(first: 1) { edges { node { id } } } }', { token: interpretedToken });
  loanId = page.data!['loans'].edges[0].node.id;
});
afterAll(async () => {
  await compiled?.close();
  await interpreted?.close();
});

/** An answer as JSON, its correlation ids (made afresh for every refusal) left out. */
const same = (response: unknown) => JSON.stringify(response).replace(/"correlationId":"[^"]+"/g, '"correlationId":"…"');

/** The same request to both gateways: both answers, and how the compiling one answered it. */
async function both(document: string, variables: Record<string, unknown> = {}) {
  const before = { answered: compiled.gateway.compiledQueries.answered, fellBack: compiled.gateway.compiledQueries.fellBack };
  const fromCompiled = await gql(compiled.gateway, document, { token, variables });
  const fromInterpreted = await gql(interpreted.gateway, document, { token: interpretedToken, variables });
  return {
    fromCompiled,
    fromInterpreted,
    answered: compiled.gateway.compiledQueries.answered - before.answered,
    fellBack: compiled.gateway.compiledQueries.fellBack - before.fellBack,
  };
}

describe('queries run compiled', () => {
  it('answer what graphql-js answers: a loan, its schedule, a page with products, the lender, fragments and directives', async () => {
    const documents: [string, Record<string, unknown>][] = [
      [`query Loan($id: ID!) { node(id: $id) { __typename ... on Loan { ${LOAN_FIELDS} } } }`, { id: loanId }],
      [`query Schedule($id: ID!) { node(id: $id) { ... on Loan { id account { asOf instalments { number dueDate charged { principal interest fee penalty } paid { principal } outstanding { principal interest } } } } } }`, { id: loanId }],
      [`query Page { loans(first: 20) { pageInfo { hasNextPage endCursor } edges { cursor node { ${LOAN_FIELDS} product { id code name currency } } } } }`, {}],
      ['query Lender { currentTenant { slug displayName businessDate } viewer { subject roles tenants } }', {}],
      ['query Parts($id: ID!, $withProduct: Boolean!) { node(id: $id) { ...money ... on Loan { product @include(if: $withProduct) { code } again: principal } } } fragment money on Loan { principal held }', { id: loanId, withProduct: true }],
      ['query Parts($id: ID!, $withProduct: Boolean!) { node(id: $id) { ...money ... on Loan { product @include(if: $withProduct) { code } again: principal } } } fragment money on Loan { principal held }', { id: loanId, withProduct: false }],
      ['query Missing($id: ID!) { node(id: $id) { id } }', { id: Buffer.from(`Loan:${randomUUID()}`).toString('base64') }],
    ];
    for (const [document, variables] of documents) {
      const { fromCompiled, fromInterpreted, answered, fellBack } = await both(document, variables);
      expect(fromCompiled.errors, document).toBeUndefined();
      expect(same(fromCompiled), document).toBe(same(fromInterpreted));
      expect([answered, fellBack], document).toEqual([1, 0]);
    }
  });

  it('answer with graphql-js\'s own errors when anything fails: a field refused, a variable refused', async () => {
    // [document, variables, compiled runs given back to graphql-js]
    const cases: [string, Record<string, unknown>, number][] = [
      // A field only platform admins may read: one FORBIDDEN, as the authorization matrix says.
      ['query Placed { currentTenant { slug database } }', {}, 1],
      // A variable of the wrong type: graphql-js's message, naming the variable.
      ['query Pages($first: Int!) { loans(first: $first) { edges { node { id } } } }', { first: 'twenty' }, 1],
      // Too large an answer is refused before anything runs, compiled or not.
      ['query Pages($first: Int!) { loans(first: $first) { edges { node { id } } } }', { first: 100_000 }, 0],
    ];
    for (const [document, variables, givenBack] of cases) {
      const { fromCompiled, fromInterpreted, answered, fellBack } = await both(document, variables);
      expect(fromCompiled.errors?.length, document).toBeGreaterThan(0);
      expect(same(fromCompiled), document).toBe(same(fromInterpreted));
      expect([answered, fellBack], document).toEqual([0, givenBack]);
    }
  });

  it('never run a mutation compiled', async () => {
    const register = `mutation Register($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { code } ${USER_ERRORS} } }`;
    const code = `cq-${randomUUID().slice(0, 8)}`;
    const before = { ...compiled.gateway.compiledQueries };
    const response = await gql(compiled.gateway, register, { token, variables: { input: { code, name: 'Compiled', kind: 'ORIGINATION' } } });
    expect(response.data!['registerPartner'].partner.code).toBe(code);
    expect([compiled.gateway.compiledQueries.answered, compiled.gateway.compiledQueries.fellBack]).toEqual([before.answered, before.fellBack]);
  });

  it('leave a document whose compiled runs keep failing to graphql-js', async () => {
    const failing = 'query AlwaysRefused { currentTenant { database } }';
    const before = compiled.gateway.compiledQueries.fellBack;
    for (let i = 0; i < 12; i += 1) {
      const response = await gql(compiled.gateway, failing, { token });
      expect(response.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    }
    // Eight compiled runs that failed, then graphql-js alone: the failures no longer cost two runs each.
    expect(compiled.gateway.compiledQueries.fellBack - before).toBe(8);
  });
});
