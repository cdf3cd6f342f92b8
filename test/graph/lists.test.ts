// The list contract (docs/partners.md, "Lists"): keyset pages in a chosen order both ways, filters, totalCount
// under the filters and within the caller's scope, updatedSince for sync; and the per-tenant numbers of loans and
// applications, found by number, borrower and external reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { registerPartner } from '../../src/services/partners.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let admin: string;
let fintech: string;
let othertech: string;
let keys = 0;
const key = () => `lists-key-${Date.now()}-${keys++}`;

const person = (legalName: string, n: number) => ({
  kind: 'PERSON', legalName, email: `p${n}@example.test`, phone: `+1 415 555 ${String(1000 + n)}`, dateOfBirth: '1980-01-01',
  identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `900-00-${String(1000 + n)}` }],
});

async function call(query: string, variables: Record<string, unknown> = {}, token = admin) {
  const response = await gql(server.gateway, query, { token, variables });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!;
}

async function apply(legalName: string, n: number, token = admin, externalReference?: string) {
  const data = await call(`mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id number reference externalReference } userErrors { code } } }`, {
    input: { idempotencyKey: key(), productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'a car', applicant: person(legalName, n), ...(externalReference ? { externalReference } : {}) },
  }, token);
  return data['createApplication'].application as { id: string; number: string; reference: string };
}

async function applicantOf(applicationId: string): Promise<string> {
  const data = await call('query($id: ID!) { node(id: $id) { ... on Application { parties { role party { id } } } } }', { id: applicationId });
  return (data['node'] as { parties: { role: string; party: { id: string } }[] }).parties.find((p) => p.role === 'APPLICANT')!.party.id;
}

async function disburse(input: Record<string, unknown>, token = admin) {
  const data = await call(`mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id number createdAt updatedAt } userErrors { code } } }`, {
    input: { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 12, disbursementDate: '2026-11-01', ...input },
  }, token);
  return data['disburseLoan'].loan as { id: string; number: string; createdAt: string; updatedAt: string };
}

const LOANS = `query($first: Int, $last: Int, $after: String, $before: String, $orderBy: LoanOrder, $status: LoanStatus, $number: String, $externalReference: String,
  $borrowerId: ID, $borrowerName: String, $createdFrom: DateTime, $createdTo: DateTime, $disbursedFrom: Date, $disbursedTo: Date, $updatedSince: DateTime) {
  loans(first: $first, last: $last, after: $after, before: $before, orderBy: $orderBy, status: $status, number: $number, externalReference: $externalReference,
    borrowerId: $borrowerId, borrowerName: $borrowerName, createdFrom: $createdFrom, createdTo: $createdTo, disbursedFrom: $disbursedFrom, disbursedTo: $disbursedTo,
    updatedSince: $updatedSince) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id number externalReference disbursementDate updatedAt } } } }`;

type LoanPage = { totalCount: number; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }; edges: { cursor: string; node: { id: string; number: string; externalReference: string | null; disbursementDate: string; updatedAt: string } }[] };

async function loans(variables: Record<string, unknown>, token = admin): Promise<LoanPage> {
  return (await call(LOANS, variables, token))['loans'] as LoanPage;
}

/** Every item of a list, page by page of two, forwards with first/after. */
async function walk(variables: Record<string, unknown>, token = admin): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: LoanPage = await loans({ ...variables, first: 2, after }, token);
    seen.push(...page.edges.map((e) => e.node.number));
    if (!page.pageInfo.hasNextPage) return seen;
    after = page.pageInfo.endCursor;
  }
}

/** The same, backwards with last/before: it must give the same order. */
async function walkBack(variables: Record<string, unknown>): Promise<string[]> {
  const seen: string[] = [];
  let before: string | null = null;
  for (;;) {
    const page: LoanPage = await loans({ ...variables, last: 2, before });
    seen.unshift(...page.edges.map((e) => e.node.number));
    if (!page.pageInfo.hasPreviousPage) return seen;
    before = page.pageInfo.startCursor;
  }
}

let booked: { id: string; number: string; createdAt: string }[] = [];
let ada: string;
let grace: string;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('lists'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  for (const code of ['fintech', 'othertech']) {
    await registerPartner(db, server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code, name: code, kind: 'origination' });
  }
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-1' });
  fintech = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  othertech = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'othertech', kind: 'origination' } });
  ada = await applicantOf((await apply('Ada Lovelace', 1)).id);
  grace = await applicantOf((await apply('Grace Hopper', 2)).id);
  // Booked one after another, so booking order, number order and creation time agree.
  const plan = [
    { borrowerPartyId: ada, disbursementDate: '2026-10-01', originationPartnerCode: 'fintech', externalReference: 'FT-1' },
    { borrowerPartyId: grace, disbursementDate: '2026-11-15', originationPartnerCode: 'fintech', externalReference: 'FT-2' },
    { borrowerPartyId: ada, disbursementDate: '2026-09-01', originationPartnerCode: 'othertech', externalReference: 'OT-1' },
    { disbursementDate: '2026-11-20' },
    { borrowerPartyId: grace, disbursementDate: '2026-11-01' },
  ];
  booked = [];
  for (const input of plan) booked.push(await disburse(input));
});
afterAll(async () => {
  await server.close();
});

describe('loan numbers', () => {
  it('count per tenant from 1 in booking order, and each tenant starts at 1', async () => {
    expect(booked.map((l) => l.number)).toEqual(['L-000001', 'L-000002', 'L-000003', 'L-000004', 'L-000005']);
    const other = await createTenant(server.runtime, uniqueSlug('lists-b'), { sandbox: true, businessDate: '2026-12-01' });
    const otherAdmin = await devToken(server.runtime, 'tenant-admin', other.slug);
    expect((await disburse({}, otherAdmin)).number).toBe('L-000001');
  });

  it('stay unique and without gaps when loans and applications are created at once in two tenants', async () => {
    const tenants = await Promise.all(['lists-c', 'lists-d'].map((p) => createTenant(server.runtime, uniqueSlug(p), { sandbox: true, businessDate: '2026-12-01' })));
    for (const t of tenants) {
      const token = await devToken(server.runtime, 'tenant-admin', t.slug);
      const [loansMade, appsMade] = await Promise.all([
        Promise.all(Array.from({ length: 8 }, () => disburse({}, token))),
        Promise.all(Array.from({ length: 6 }, (_, k) => apply(`Person ${k}`, 100 + k, token))),
      ]);
      expect(loansMade.map((l) => l.number).sort()).toEqual(Array.from({ length: 8 }, (_, k) => `L-00000${k + 1}`));
      expect(appsMade.map((a) => a.number).sort()).toEqual(Array.from({ length: 6 }, (_, k) => `A-00000${k + 1}`));
      // The older spelling of an application's number is the same number.
      for (const a of appsMade) expect(a.reference).toBe(`APP-0${a.number.slice(2)}`);
    }
  });
});

describe('the loans list', () => {
  it('pages in every order both ways, forwards and backwards alike', async () => {
    const all = booked.map((l) => l.number);
    expect(await walk({})).toEqual(all);
    expect(await walk({ orderBy: 'NUMBER_DESC' })).toEqual([...all].reverse());
    expect(await walk({ orderBy: 'CREATED_AT_ASC' })).toEqual(all);
    expect(await walk({ orderBy: 'CREATED_AT_DESC' })).toEqual([...all].reverse());
    const byDisbursement = ['L-000003', 'L-000001', 'L-000005', 'L-000002', 'L-000004'];
    expect(await walk({ orderBy: 'DISBURSEMENT_DATE_ASC' })).toEqual(byDisbursement);
    expect(await walk({ orderBy: 'DISBURSEMENT_DATE_DESC' })).toEqual([...byDisbursement].reverse());
    expect(await walkBack({ orderBy: 'DISBURSEMENT_DATE_DESC' })).toEqual([...byDisbursement].reverse());
    expect(await walkBack({})).toEqual(all);
    // In number order with no filter a page is read with its rows in one statement: the same pages both ways.
    expect(await walkBack({ orderBy: 'NUMBER_DESC' })).toEqual([...all].reverse());
    expect(await walkBack({ orderBy: 'NUMBER_ASC' })).toEqual(all);
  });

  it('refuses a cursor whose value no loan can have (a number past any, a day or an instant that does not exist), naming it, with or without a filter', async () => {
    const id = `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`;
    const cursor = (key: string) => Buffer.from(`${key}|${id}`).toString('base64url');
    const forged = cursor('number|9999999999');
    const noDay = cursor('disbursementDate|2026-02-30');
    const noInstant = cursor('createdAt|2026-13-01T00:00:00.000Z');
    for (const variables of [
      { first: 2, after: forged }, { last: 2, before: forged }, { first: 2, after: forged, status: 'ACTIVE' },
      { first: 2, after: noDay, orderBy: 'DISBURSEMENT_DATE_ASC' }, { last: 2, before: noDay, orderBy: 'DISBURSEMENT_DATE_DESC', status: 'ACTIVE' },
      { first: 2, after: noInstant, orderBy: 'CREATED_AT_ASC' },
    ]) {
      const response = await gql(server.gateway, LOANS, { token: admin, variables });
      const side = 'after' in variables ? 'after' : 'before';
      expect(response.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({ code: 'BAD_USER_INPUT', field: side });
    }
  });

  it('refuses a cursor taken under another order, naming it', async () => {
    const page = await loans({ first: 1 });
    const response = await gql(server.gateway, LOANS, { token: admin, variables: { first: 1, after: page.pageInfo.endCursor, orderBy: 'CREATED_AT_ASC' } });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.extensions['field']).toBe('after');
  });

  it('filters, and totalCount counts every page under the same filters', async () => {
    const page = await loans({ first: 1, disbursedFrom: '2026-11-01', disbursedTo: '2026-11-30' });
    expect(page.totalCount).toBe(3);
    expect(page.edges.map((e) => e.node.number)).toEqual(['L-000002']);
    expect(await walk({ disbursedFrom: '2026-11-01', disbursedTo: '2026-11-30' })).toEqual(['L-000002', 'L-000004', 'L-000005']);
    const created = booked.map((l) => l.createdAt);
    expect((await loans({ createdFrom: created[1], createdTo: created[3] })).totalCount).toBe(3);
    expect((await loans({ status: 'CLOSED' })).totalCount).toBe(0);
    expect((await loans({ status: 'ACTIVE' })).totalCount + (await loans({ status: 'OVERDUE' })).totalCount).toBe(5);
    const reversed = await gql(server.gateway, LOANS, { token: admin, variables: { disbursedFrom: '2026-11-30', disbursedTo: '2026-11-01' } });
    expect(reversed.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'disbursedTo' });
  });

  it('finds a loan by number (any spelling), by borrower and by external reference', async () => {
    for (const number of ['L-000003', 'l-3', '3', 'L3']) expect((await loans({ number })).edges.map((e) => e.node.number)).toEqual(['L-000003']);
    const bad = await gql(server.gateway, LOANS, { token: admin, variables: { number: 'A-000003' } });
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'number' });
    expect(bad.errors![0]!.message).toBe('number is not a loan number (e.g. L-000123)');
    const notApplication = await gql(server.gateway, APPLICATIONS, { token: admin, variables: { number: 'L-000003' } });
    expect(notApplication.errors![0]!.message).toBe('number is not an application number (e.g. A-000123)');
    expect(await walk({ borrowerId: ada })).toEqual(['L-000001', 'L-000003']);
    expect(await walk({ borrowerName: 'hopper' })).toEqual(['L-000002', 'L-000005']);
    expect(await walk({ externalReference: 'OT-1' })).toEqual(['L-000003']);
  });

  it('updatedSince picks up a loan that changed, and only it', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    expect((await loans({ updatedSince: since })).totalCount).toBe(0);
    await call(`mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } userErrors { code } } }`, {
      input: { idempotencyKey: key(), loanId: booked[2]!.id, amount: '100', valueDate: '2026-12-01', channel: 'bank-transfer' },
    });
    const changed = await loans({ updatedSince: since });
    expect(changed.edges.map((e) => e.node.number)).toEqual(['L-000003']);
    expect(changed.totalCount).toBe(1);
    expect(await walk({ orderBy: 'UPDATED_AT_DESC' }).then((n) => n[0])).toBe('L-000003');
  });

  it('a partner pages and counts only its own loans, whatever it filters by', async () => {
    const own = await loans({ first: 1 }, fintech);
    expect(own.totalCount).toBe(2);
    expect(await walk({}, fintech)).toEqual(['L-000001', 'L-000002']);
    expect((await loans({}, othertech)).totalCount).toBe(1);
    // Another partner's loan, asked for by its number or reference, is neither listed nor counted.
    expect(await loans({ number: 'L-000003' }, fintech)).toMatchObject({ totalCount: 0, edges: [] });
    expect(await loans({ externalReference: 'OT-1' }, fintech)).toMatchObject({ totalCount: 0, edges: [] });
    // Finding by borrower reads the lender's party records, which are staff's.
    const byName = await gql(server.gateway, LOANS, { token: fintech, variables: { borrowerName: 'Ada' } });
    expect(byName.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'borrowerName' });
  });
});

const APPLICATIONS = `query($first: Int, $after: String, $orderBy: ApplicationOrder, $status: ApplicationStatus, $number: String, $externalReference: String,
  $applicantId: ID, $applicantName: String, $createdFrom: DateTime, $createdTo: DateTime, $updatedSince: DateTime) {
  applications(first: $first, after: $after, orderBy: $orderBy, status: $status, number: $number, externalReference: $externalReference,
    applicantId: $applicantId, applicantName: $applicantName, createdFrom: $createdFrom, createdTo: $createdTo, updatedSince: $updatedSince) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id number reference externalReference status updatedAt } } } }`;

async function applications(variables: Record<string, unknown>, token = admin) {
  return (await call(APPLICATIONS, variables, token))['applications'] as { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { id: string; number: string; reference: string; externalReference: string | null; status: string } }[] };
}

describe('the applications list', () => {
  it('finds by number, applicant and the partner\'s external reference; a partner counts only its own', async () => {
    const mine = await apply('Katherine Johnson', 3, fintech, 'FT-APP-9');
    const theirs = await apply('Dorothy Vaughan', 4, othertech, 'OT-APP-9');
    for (const number of [mine.number, mine.reference, mine.number.replace(/^A-0*/, '')]) {
      expect((await applications({ number })).edges.map((e) => e.node.id)).toEqual([mine.id]);
    }
    expect((await applications({ externalReference: 'FT-APP-9' })).edges.map((e) => e.node.id)).toEqual([mine.id]);
    expect((await applications({ applicantName: 'vaughan' })).edges.map((e) => e.node.id)).toEqual([theirs.id]);
    expect((await applications({ applicantId: ada })).totalCount).toBe(1);
    expect((await applications({}, fintech)).totalCount).toBe(1);
    expect((await applications({ externalReference: 'OT-APP-9' }, fintech))).toMatchObject({ totalCount: 0, edges: [] });
    expect((await applications({ number: theirs.number }, fintech))).toMatchObject({ totalCount: 0, edges: [] });
    const all = await applications({ first: 100 });
    const numbers = all.edges.map((e) => e.node.number);
    expect(numbers).toEqual([...numbers].sort());
    expect((await applications({ first: 100, orderBy: 'NUMBER_DESC' })).edges.map((e) => e.node.number)).toEqual([...numbers].reverse());
    expect(all.totalCount).toBe(numbers.length);
  });

  it('updatedSince picks up an application that moved', async () => {
    const app = await apply('Mary Jackson', 5);
    const since = new Date().toISOString();
    expect((await applications({ updatedSince: since })).totalCount).toBe(0);
    await call(`mutation($input: WithdrawApplicationInput!) { withdrawApplication(input: $input) { application { status } userErrors { code } } }`, { input: { applicationId: app.id, reason: 'changed her mind' } });
    const changed = await applications({ updatedSince: since, status: 'WITHDRAWN' });
    expect(changed.edges.map((e) => e.node.id)).toEqual([app.id]);
    expect((await applications({ createdFrom: since })).totalCount).toBe(0);
  });
});

describe('the parties and loan products lists', () => {
  it('order both ways by their natural key, filter, count and sync the same way', async () => {
    const PARTIES = `query($orderBy: PartyOrder, $name: String, $updatedSince: DateTime, $first: Int, $after: String) {
      parties(orderBy: $orderBy, name: $name, updatedSince: $updatedSince, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`;
    type Page = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { id: string } }[] };
    const parties = async (variables: Record<string, unknown>) => (await call(PARTIES, variables))['parties'] as Page;
    const walkParties = async (variables: Record<string, unknown>) => {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: Page = await parties({ ...variables, first: 2, after });
        ids.push(...page.edges.map((e) => e.node.id));
        if (!page.pageInfo.hasNextPage) return ids;
        after = page.pageInfo.endCursor;
      }
    };
    const byName = await walkParties({ orderBy: 'NAME_ASC' });
    expect(byName.length).toBe((await parties({})).totalCount);
    expect(await walkParties({ orderBy: 'NAME_DESC' })).toEqual([...byName].reverse());
    expect(await walkParties({ orderBy: 'CREATED_AT_DESC' })).toEqual([...(await walkParties({ orderBy: 'CREATED_AT_ASC' }))].reverse());
    // Ada Lovelace sorts before Grace Hopper.
    expect(byName.indexOf(ada)).toBeLessThan(byName.indexOf(grace));
    expect(await parties({ name: 'HOPPER' })).toMatchObject({ totalCount: 1, edges: [{ node: { id: grace } }] });
    expect((await parties({ updatedSince: new Date(Date.now() + 60_000).toISOString() })).totalCount).toBe(0);

    const PRODUCTS = `query($orderBy: LoanProductOrder, $currency: String, $first: Int, $after: String) {
      loanProducts(orderBy: $orderBy, currency: $currency, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { code } } } }`;
    type Products = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { code: string } }[] };
    const walkProducts = async (orderBy: string) => {
      const codes: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = (await call(PRODUCTS, { orderBy, first: 1, after }))['loanProducts'] as Products;
        codes.push(...page.edges.map((e) => e.node.code));
        if (!page.pageInfo.hasNextPage) return codes;
        after = page.pageInfo.endCursor;
      }
    };
    const codes = await walkProducts('CODE_ASC');
    expect(codes).toEqual([...codes].sort());
    expect(codes.length).toBeGreaterThan(1);
    expect(await walkProducts('CODE_DESC')).toEqual([...codes].reverse());
    const all = (await call(PRODUCTS, {}))['loanProducts'] as Products;
    expect(all.totalCount).toBe(codes.length);
    expect(((await call(PRODUCTS, { currency: 'XXX' }))['loanProducts'] as Products).totalCount).toBe(0);
    // A partner sees the whole catalogue: it originates against it.
    expect(((await call(PRODUCTS, {}, fintech))['loanProducts'] as Products).totalCount).toBe(codes.length);
  });
});

describe('the webhook endpoints list', () => {
  it('orders both ways, filters by active and creation time, and counts only the caller\'s endpoints', async () => {
    const REGISTER = 'mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { webhookEndpoint { id createdAt } userErrors { code } } }';
    const made: { id: string; createdAt: string }[] = [];
    for (const [host, token] of [['b', admin], ['a', fintech], ['c', admin]] as const) {
      const data = await call(REGISTER, { input: { url: `https://${host}.example.test/hooks`, eventTypes: ['loan.*'] } }, token);
      made.push((data['registerWebhookEndpoint'] as { webhookEndpoint: { id: string; createdAt: string } }).webhookEndpoint);
    }
    const ENDPOINTS = `query($orderBy: WebhookEndpointOrder, $active: Boolean, $createdFrom: DateTime, $first: Int) {
      webhookEndpoints(orderBy: $orderBy, active: $active, createdFrom: $createdFrom, first: $first) { totalCount edges { node { id url } } } }`;
    type Endpoints = { totalCount: number; edges: { node: { id: string; url: string } }[] };
    const list = async (variables: Record<string, unknown>, token = admin) => (await call(ENDPOINTS, { first: 100, ...variables }, token))['webhookEndpoints'] as Endpoints;
    const urls = (page: Endpoints) => page.edges.map((e) => e.node.url);
    expect(urls(await list({ orderBy: 'URL_ASC' }))).toEqual(['https://a.example.test/hooks', 'https://b.example.test/hooks', 'https://c.example.test/hooks']);
    expect(urls(await list({ orderBy: 'URL_DESC' }))).toEqual(['https://c.example.test/hooks', 'https://b.example.test/hooks', 'https://a.example.test/hooks']);
    expect((await list({ orderBy: 'CREATED_AT_DESC' })).edges.map((e) => e.node.id)).toEqual([...made].reverse().map((m) => m.id));
    expect((await list({ createdFrom: made[1]!.createdAt })).totalCount).toBe(2);
    expect((await list({ active: false })).totalCount).toBe(0);
    expect(await list({}, fintech)).toMatchObject({ totalCount: 1, edges: [{ node: { id: made[1]!.id } }] });
  });
});

describe('the partners and tenants lists', () => {
  it('partners: ordered both ways, filtered by kind, activity and registration time, counted; a partner counts only itself', async () => {
    const PARTNERS = `query($orderBy: PartnerOrder, $kind: PartnerKind, $active: Boolean, $createdFrom: DateTime, $first: Int, $after: String) {
      partners(orderBy: $orderBy, kind: $kind, active: $active, createdFrom: $createdFrom, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { code createdAt } } } }`;
    type Partners = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { code: string; createdAt: string } }[] };
    const list = async (variables: Record<string, unknown>, token = admin) => (await call(PARTNERS, { first: 100, ...variables }, token))['partners'] as Partners;
    const codesOf = (page: Partners) => page.edges.map((e) => e.node.code);
    expect(codesOf(await list({}))).toEqual(['fintech', 'othertech']);
    expect(codesOf(await list({ orderBy: 'CODE_DESC' }))).toEqual(['othertech', 'fintech']);
    const byTime = await list({ orderBy: 'CREATED_AT_ASC' });
    expect(codesOf(byTime)).toEqual(['fintech', 'othertech']);
    expect(await list({ createdFrom: byTime.edges[1]!.node.createdAt })).toMatchObject({ totalCount: 1, edges: [{ node: { code: 'othertech' } }] });
    expect((await list({ kind: 'COLENDING' })).totalCount).toBe(0);
    expect((await list({ kind: 'ORIGINATION', active: true })).totalCount).toBe(2);
    expect((await list({ active: false })).totalCount).toBe(0);
    // Pages of one, and a cursor from one order refused under another, naming `after`.
    const first = await list({ first: 1 });
    expect(first).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true }, edges: [{ node: { code: 'fintech' } }] });
    expect(codesOf(await list({ first: 1, after: first.pageInfo.endCursor }))).toEqual(['othertech']);
    const refused = await gql(server.gateway, PARTNERS, { token: admin, variables: { orderBy: 'NAME_ASC', first: 1, after: first.pageInfo.endCursor } });
    expect(refused.errors?.map((e) => [e.extensions['code'], e.extensions['field']])).toEqual([['BAD_USER_INPUT', 'after']]);
    expect(await list({}, fintech)).toMatchObject({ totalCount: 1, edges: [{ node: { code: 'fintech' } }] });
  });

  it('tenants: ordered, filtered by status, sandbox, creation and change time, counted (platform admins only)', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    const made = [await createTenant(server.runtime, uniqueSlug('lists-b')), await createTenant(server.runtime, uniqueSlug('lists-a'), { sandbox: true })];
    // Other test files make tenants meanwhile: a count beside its page is compared over a window already closed.
    const madeBy = new Date().toISOString();
    const platform = await devToken(server.runtime, 'platform-admin');
    const TENANTS = `query($orderBy: TenantOrder, $status: TenantStatus, $sandbox: Boolean, $createdFrom: DateTime, $createdTo: DateTime, $updatedSince: DateTime) {
      tenants(orderBy: $orderBy, status: $status, sandbox: $sandbox, createdFrom: $createdFrom, createdTo: $createdTo, updatedSince: $updatedSince, first: 100) { totalCount edges { node { slug } } } }`;
    type Tenants = { totalCount: number; edges: { node: { slug: string } }[] };
    const list = async (variables: Record<string, unknown>) => (await call(TENANTS, variables, platform))['tenants'] as Tenants;
    const slugs = (page: Tenants) => page.edges.map((e) => e.node.slug);
    const mine = (page: Tenants) => slugs(page).filter((slug) => made.some((t) => t.slug === slug));
    expect(mine(await list({ createdFrom: since, orderBy: 'SLUG_ASC' }))).toEqual([made[1]!.slug, made[0]!.slug]);
    expect(mine(await list({ createdFrom: since, orderBy: 'CREATED_AT_DESC' }))).toEqual([made[1]!.slug, made[0]!.slug]);
    expect(mine(await list({ createdFrom: since, sandbox: true }))).toEqual([made[1]!.slug]);
    expect(mine(await list({ createdFrom: since, status: 'SUSPENDED' }))).toEqual([]);
    const beforeSuspension = new Date().toISOString();
    await server.runtime.registry.setStatus(made[0]!.slug, 'suspended', 'lists test', ['active']);
    expect(mine(await list({ updatedSince: beforeSuspension }))).toEqual([made[0]!.slug]);
    expect(mine(await list({ status: 'SUSPENDED' }))).toEqual([made[0]!.slug]);
    const counted = await list({ createdFrom: since, createdTo: madeBy });
    expect(mine(counted)).toHaveLength(2);
    expect(counted.totalCount).toBe(counted.edges.length);
    expect(codes(await gql(server.gateway, TENANTS, { token: admin, variables: {} }))).toEqual(['FORBIDDEN']);
  });
});
