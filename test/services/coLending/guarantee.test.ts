// The default loss guarantee on a sandbox lender's clock: under the lender's own rules (a guarantee of up to 60 %),
// an arrangement sharing half of each loan with a guarantee capped at 60 % of what the partner funds, invoked at 30
// days past due. Two loans fall 30 days behind on the same day: end of day buys the first share back at its
// principal (paid to the partner in its next settlement), and leaves the second with the partner because what is
// left of the cap cannot buy it in full. After the buy-back nothing more of that loan is shared; the books hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { createTenant, devToken, startTestServer, uniqueSlug, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { apiCalls } from '../../support/apiCalls.js';
import { registerPartner } from '../../../src/services/partners.js';

let server: TestServer;
const { call, mutate, advance } = apiCalls(() => server);
let tenant: TenantRecord;
let admin: string;
let checker: string;
let partner: string;

let keys = 0;
const key = () => `guarantee-${Date.now()}-${keys++}`;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('guarantee'), { sandbox: true, businessDate: '2026-01-05' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'guarantee-admin' });
  checker = await devToken(server.runtime, 'credit-approver', tenant.slug, { subject: 'guarantee-checker' });
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  const setup = { tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: server.runtime.now() };
  await registerPartner(db, server.runtime.identity, setup, { code: 'bank-two', name: 'Bank Two', kind: 'colending' });
  partner = await devToken(server.runtime, 'colending-partner', tenant.slug, { partner: { id: 'bank-two', kind: 'colending' } });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('default loss guarantee', () => {
  it('buys a defaulted share back within the cap, leaves one the cap cannot cover, and shares nothing after', { timeout: 600_000 }, async () => {
    expect((await mutate(admin, 'setCoLendingRules', `mutation($input: SetCoLendingRulesInput!) { setCoLendingRules(input: $input) { coLendingRules { lendersOwn } ${USER_ERRORS} } }`,
      { minimumRetentionPercent: '10', maximumGuaranteePercent: '60', assignmentWindowDays: 15 })).errors).toEqual([]);
    const proposed = await mutate(admin, 'proposeCoLendingArrangement', `mutation($input: ProposeCoLendingArrangementInput!) { proposeCoLendingArrangement(input: $input) { coLendingArrangement { id } ${USER_ERRORS} } }`, {
      partnerCode: 'bank-two', name: 'Guaranteed pool', currency: tenant.currency, sharePercent: '50', partnerRatePercent: '10', model: 'COLLECTION_SHARE',
      guarantee: { capPercent: '60', triggerDaysPastDue: 30 }, validFrom: '2026-01-01',
    });
    expect(proposed.errors).toEqual([]);
    const arrangementId = proposed.data.coLendingArrangement.id as string;
    expect((await mutate(checker, 'decideCoLendingArrangement', `mutation($input: DecideCoLendingArrangementInput!) { decideCoLendingArrangement(input: $input) { coLendingArrangement { id } ${USER_ERRORS} } }`,
      { arrangementId, version: 1, approve: true })).errors).toEqual([]);

    const loans: string[] = [];
    for (let k = 0; k < 2; k += 1) {
      const booked = await mutate(admin, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`,
        { idempotencyKey: key(), productCode: 'PL-STD', principal: '10000', numberOfRepayments: 12, disbursementDate: '2026-01-05' });
      expect(booked.errors).toEqual([]);
      loans.push(booked.data.loan.id);
      expect((await mutate(admin, 'assignLoanParticipation', `mutation($input: AssignLoanParticipationInput!) { assignLoanParticipation(input: $input) { loanParticipation { funded } ${USER_ERRORS} } }`,
        { loanId: booked.data.loan.id, arrangementId })).errors).toEqual([]);
    }
    // Cap: 60 % of the 10,000 it funded is 6,000: enough to buy one 5,000 share back, not two.
    await advance(admin, 31 + 30); // 2026-03-07: the first instalments (due 5 February) are 30 days past due
    const SHARES = '{ loanParticipations(first: 5) { edges { node { id loanNumber boughtBackOn guaranteePaid principalOutstanding collected daysPastDue } } } }';
    const shares = async () => (await call(partner, SHARES))['loanParticipations'].edges.map((e: { node: Record<string, unknown> }) => e.node) as Record<string, unknown>[];
    const numbers = await Promise.all(loans.map(async (id) => (await call(admin, `query($id: ID!) { node(id: $id) { ... on Loan { number } } }`, { id }))['node'].number as string));
    const byLoan = async (k: number) => (await shares()).find((s) => s['loanNumber'] === numbers[k])!;
    const [first, second] = [await byLoan(0), await byLoan(1)];
    const bought = [first, second].filter((s) => s['boughtBackOn'] !== null);
    expect(bought).toHaveLength(1);
    expect(bought[0]).toMatchObject({ boughtBackOn: '2026-03-07', guaranteePaid: '5000.00 USD', principalOutstanding: '0.00 USD', collected: '5000.00 USD', daysPastDue: 30 });
    const kept = [first, second].find((s) => s['boughtBackOn'] === null)!;
    expect(kept).toMatchObject({ guaranteePaid: '0.00 USD', principalOutstanding: '5000.00 USD', collected: '0.00 USD' });

    // Nothing more of the bought-back loan is shared: a payment on it is the lender's alone.
    const boughtLoan = loans[numbers.indexOf(bought[0]!['loanNumber'] as string)]!;
    expect((await mutate(admin, 'postRepayment', `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), loanId: boughtLoan, amount: '1000', valueDate: '2026-03-07', channel: 'card' })).errors).toEqual([]);
    expect((await byLoan(numbers.indexOf(bought[0]!['loanNumber'] as string)))).toMatchObject({ collected: '5000.00 USD', principalOutstanding: '0.00 USD' });

    // The next day's settlement pays the buy-back (T+1); the books hold; the partner was told.
    await advance(admin, 1);
    const settled = (await call(partner, '{ coLendingSettlements(first: 5) { edges { node { amount collections } } } }'))['coLendingSettlements'].edges;
    expect(settled).toEqual([{ node: { amount: '5000.00 USD', collections: '5000.00 USD' } }]);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect((await db.outboxEvent.findMany({ where: { partnerScope: 'bank-two', type: 'loanParticipation.repurchased' } })).map((e) => (e.payload as { paid: string }).paid)).toEqual(['5000.00 USD']);
    expect((await call(admin, '{ ledgerInvariants { holds participationsOffLedger coLenderPayablesOff } }'))['ledgerInvariants']).toEqual({ holds: true, participationsOffLedger: 0, coLenderPayablesOff: 0 });
  });
});
