// Origination partners' commissions on a sandbox lender's clock: a rule of 1.5 % capped at 100 per loan, clawed back
// when the loan is closed within 30 days; refused input names the field; two loans the partner brought accrue 100
// (capped) and 75 to its payable with their bookings; the smaller one paid off within the window is clawed back by
// end of day; the statement adds up; the partner reads its own statement and another partner nothing of it; the
// events, and the books hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { apiCalls } from '../../support/apiCalls.js';
import { registerPartner } from '../../../src/services/partners.js';

let server: TestServer;
const { call, mutate, advance } = apiCalls(() => server);
let tenant: TenantRecord;
let admin: string;
let finance: string;
let fintech: string;
let rival: string;

let keys = 0;
const key = () => `commission-${Date.now()}-${keys++}`;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('commission'), { sandbox: true, businessDate: '2026-01-05' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'commission-admin' });
  finance = await devToken(server.runtime, 'finance', tenant.slug, { subject: 'commission-finance' });
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  const setup = { tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: server.runtime.now() };
  for (const code of ['fintech', 'rival']) await registerPartner(db, server.runtime.identity, setup, { code, name: `Partner ${code}`, kind: 'origination' });
  fintech = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  rival = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'rival', kind: 'origination' } });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const RULE = `mutation($input: SetOriginationCommissionInput!) { setOriginationCommission(input: $input) { originationCommissionRule { partnerCode percent cap clawbackDays payableAccount } ${USER_ERRORS} } }`;
const STATEMENT = `query($partner: String) { originationCommissionStatement(partnerCode: $partner) { partnerCode totals { accrued clawedBack owed } commissions { loanNumber amount base percent cap accruedOn clawedBackOn } } }`;

describe('origination partners\' commissions', () => {
  it('accrues a commission with each loan the partner brought, claws back an early payoff\'s, and states it', { timeout: 600_000 }, async () => {
    expect((await mutate(finance, 'setOriginationCommission', RULE, { partnerCode: 'fintech', percent: '0', clawbackDays: 30 })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.percent' })]);
    expect((await mutate(finance, 'setOriginationCommission', RULE, { partnerCode: 'nobody', percent: '1.5', clawbackDays: 30 })).errors)
      .toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.partnerCode' })]);
    // The cap is an amount in the lender's currency, dollars here: a fraction of a cent is refused.
    expect((await mutate(finance, 'setOriginationCommission', RULE, { partnerCode: 'fintech', percent: '1.5', cap: '1.005', clawbackDays: 30 })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.cap', message: 'cap must be more than zero, in whole minor units of USD' })]);
    expect(codes(await gql(server.gateway, RULE, { token: fintech, variables: { input: { partnerCode: 'fintech', percent: '50', clawbackDays: 0 } } }))).toEqual(['FORBIDDEN']);
    const set = await mutate(finance, 'setOriginationCommission', RULE, { partnerCode: 'fintech', percent: '1.5', cap: '100', clawbackDays: 30 });
    expect(set.errors).toEqual([]);
    expect(set.data.originationCommissionRule).toEqual({ partnerCode: 'fintech', percent: '1.5', cap: '100', clawbackDays: 30, payableAccount: '2300-1' });

    const book = async (principal: string, partner: string | null) => {
      const { errors, data } = await mutate(admin, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id number } ${USER_ERRORS} } }`,
        { idempotencyKey: key(), productCode: 'PL-STD', principal, numberOfRepayments: 12, disbursementDate: tenant.businessDate, ...(partner ? { originationPartnerCode: partner } : {}) });
      expect(errors).toEqual([]);
      return data.loan as { id: string; number: string };
    };
    const large = await book('10000', 'fintech');
    const small = await book('5000', 'fintech');
    await book('8000', null);
    await book('8000', 'rival');
    const balances = async (asOf: string) => Object.fromEntries((await call(finance, `{ trialBalance(asOf: "${asOf}") { lines { account balance } } }`))['trialBalance'].lines
      .map((l: { account: string; balance: string }) => [l.account, l.balance])) as Record<string, string>;
    expect(await balances('2026-01-05')).toMatchObject({ '2300-1': '-175.00 USD', 5400: '175.00 USD' });

    // The smaller loan paid off ten days later: end of day takes its commission back.
    await advance(admin, 10);
    const QUOTE = `query($id: ID!) { node(id: $id) { ... on Loan { payoffQuote { total } } } }`;
    const total = ((await call(admin, QUOTE, { id: small.id }))['node'].payoffQuote.total as string).split(' ')[0];
    expect((await mutate(admin, 'postRepayment', `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), loanId: small.id, amount: total, valueDate: '2026-01-15', channel: 'card', purpose: 'PAYOFF' })).errors).toEqual([]);
    await advance(admin, 1);

    const statement = (await call(fintech, STATEMENT))['originationCommissionStatement'];
    expect(statement.partnerCode).toBe('fintech');
    expect(statement.totals).toEqual([{ accrued: '175.00 USD', clawedBack: '75.00 USD', owed: '100.00 USD' }]);
    expect(statement.commissions).toEqual(expect.arrayContaining([
      { loanNumber: large.number, amount: '100.00 USD', base: '10000.00 USD', percent: '1.5', cap: '100.00 USD', accruedOn: '2026-01-05', clawedBackOn: null },
      { loanNumber: small.number, amount: '75.00 USD', base: '5000.00 USD', percent: '1.5', cap: '100.00 USD', accruedOn: '2026-01-05', clawedBackOn: '2026-01-16' },
    ]));
    expect(await balances('2026-01-16')).toMatchObject({ '2300-1': '-100.00 USD', 5400: '100.00 USD' });
    // Staff read any partner's, naming it; a partner only its own: another code, existing or not, is refused alike.
    expect((await call(finance, STATEMENT, { partner: 'fintech' }))['originationCommissionStatement'].totals).toHaveLength(1);
    for (const partner of ['fintech', 'nobody-at-all']) {
      const refused = await gql(server.gateway, STATEMENT, { token: rival, variables: { partner } });
      expect(refused.errors?.map((e) => [e.extensions['code'], e.extensions['field'], e.message])).toEqual([
        ['BAD_USER_INPUT', 'partnerCode', 'a partner reads its own commission statement: leave partnerCode out, or give your own code'],
      ]);
    }
    expect((await call(rival, STATEMENT))['originationCommissionStatement']).toMatchObject({ partnerCode: 'rival', totals: [], commissions: [] });
    expect((await call(rival, STATEMENT, { partner: 'rival' }))['originationCommissionStatement']).toMatchObject({ partnerCode: 'rival' });
    expect(codes(await gql(server.gateway, STATEMENT, { token: finance }))).toEqual(['BAD_USER_INPUT']);

    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect((await db.outboxEvent.findMany({ where: { partnerScope: 'fintech', type: { startsWith: 'originationCommission.' } }, orderBy: { recorded: 'asc' } })).map((e) => [e.type, (e.payload as { amount: string }).amount]))
      .toEqual([['originationCommission.accrued', '100.00 USD'], ['originationCommission.accrued', '75.00 USD'], ['originationCommission.reclaimed', '75.00 USD']]);
    expect(await db.outboxEvent.count({ where: { partnerScope: 'rival', type: { startsWith: 'originationCommission.' } } })).toBe(0);
    expect((await call(finance, '{ ledgerInvariants { holds } }'))['ledgerInvariants']).toEqual({ holds: true });
  });
});
