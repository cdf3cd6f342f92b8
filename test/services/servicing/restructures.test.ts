// Restructures over GraphQL on a sandbox lender's clock, under India's regime: a payment holiday moves a current
// loan's due dates so nothing falls due in it; a restructure of an overdue loan, asked by a servicing agent and
// approved by finance (never by its maker), capitalises its arrears, lowers its rate and lengthens its tenor, so it
// is current again — and, restructured, end of day classes it SUBSTANDARD for the specified period as RBI asks.
// The statement says what changed, refusals name the field, the events tell staff, and the books hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { apiCalls } from '../../support/apiCalls.js';
import { lenderWithLoan } from '../../support/lenderWithLoan.js';

let server: TestServer;
const { call, mutate, advance } = apiCalls(() => server);
let tenant: TenantRecord;
let admin: string;
let maker: string;
let checker: string;
let collector: string;

let keys = 0;
const key = () => `restructure-${Date.now()}-${keys++}`;

const REQUEST = `mutation($input: RequestLoanRestructureInput!) { requestLoanRestructure(input: $input) {
  loanRestructureRequest { id status valueDate capitaliseArrears annualRatePercent instalments holidayPeriods holidayInterest requestedBy } ${USER_ERRORS} } }`;
const DECIDE = `mutation($input: DecideLoanRestructureInput!) { decideLoanRestructure(input: $input) { loanRestructureRequest { id status decidedBy transaction { kind } } ${USER_ERRORS} } }`;
const LOAN = `query($id: ID!) { node(id: $id) { ... on Loan {
  status daysPastDue assetClass restructuredOn
  account { status restructuredOn outstanding { principal interest fee penalty } instalments { number dueDate charged { principal interest } }
            restructures { valueDate annualRatePercent holidayPeriods capitalised { principal interest fee penalty } before { instalments maturityDate } after { instalments maturityDate level } } }
} } }`;

const loanOf = async (id: string) => (await call(admin, LOAN, { id }))['node'];
const money = (text: string) => Number(text.split(' ')[0]);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('restructure'), { sandbox: true, businessDate: '2026-01-05' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'restructure-admin' });
  maker = await devToken(server.runtime, 'servicing-agent', tenant.slug, { subject: 'restructure-maker' });
  checker = await devToken(server.runtime, 'finance', tenant.slug, { subject: 'restructure-checker' });
  collector = await devToken(server.runtime, 'collections-agent', tenant.slug, { subject: 'restructure-collector' });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('restructures, holidays and re-ageing', () => {
  it('moves due dates for a holiday, capitalises arrears at a new rate and tenor, and classes the loan as the regime says', { timeout: 600_000 }, async () => {
    expect((await mutate(admin, 'setDelinquencyPolicy', `mutation($input: SetDelinquencyPolicyInput!) { setDelinquencyPolicy(input: $input) { delinquencyPolicy { version } ${USER_ERRORS} } }`,
      { regime: 'RBI_IRAC' })).errors).toEqual([]);
    const officer = await devToken(server.runtime, 'disbursement-officer', tenant.slug);
    const book = async () => {
      const { errors, data } = await mutate(officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`,
        { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 6, disbursementDate: '2026-01-05' });
      expect(errors).toEqual([]);
      return data.loan.id as string;
    };
    const [behind, resting] = [await book(), await book()];
    await advance(admin, 10); // 2026-01-15

    // A payment holiday of two periods, its interest waived, on a loan that is current.
    const holiday = await mutate(maker, 'requestLoanRestructure', REQUEST, { loanId: resting, capitaliseArrears: false, holidayPeriods: 2, holidayInterest: 'WAIVE', reason: 'job loss; two months without payments' });
    expect(holiday).toEqual({ errors: [], data: expect.objectContaining({ loanRestructureRequest: expect.objectContaining({ status: 'PENDING', holidayPeriods: 2, holidayInterest: 'WAIVE', capitaliseArrears: false, requestedBy: 'restructure-maker' }) }) });
    expect(codes(await gql(server.gateway, DECIDE, { token: maker, variables: { input: { requestId: holiday.data.loanRestructureRequest.id, approve: true } } }))).toEqual(['FORBIDDEN']);
    expect((await mutate(checker, 'decideLoanRestructure', DECIDE, { requestId: holiday.data.loanRestructureRequest.id, approve: true })).errors).toEqual([]);
    const rested = await loanOf(resting);
    expect(rested.account.instalments.map((i: { dueDate: string }) => i.dueDate)).toEqual(['2026-04-05', '2026-05-05', '2026-06-05', '2026-07-05', '2026-08-05', '2026-09-05']);

    // What a request must say.
    expect(codes(await gql(server.gateway, REQUEST, { token: collector, variables: { input: { loanId: behind, capitaliseArrears: true, reason: 'not mine' } } }))).toEqual(['FORBIDDEN']);
    expect((await mutate(maker, 'requestLoanRestructure', REQUEST, { loanId: behind, capitaliseArrears: false, reason: 'nothing at all' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.capitaliseArrears' })]);
    expect((await mutate(maker, 'requestLoanRestructure', REQUEST, { loanId: behind, capitaliseArrears: true, instalments: 0, reason: 'zero' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.instalments' })]);
    expect((await mutate(maker, 'requestLoanRestructure', REQUEST, { loanId: behind, capitaliseArrears: true, holidayInterest: 'ACCRUE', reason: 'no holiday' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.holidayInterest' })]);
    expect((await mutate(maker, 'requestLoanRestructure', REQUEST, { loanId: behind, capitaliseArrears: true, annualRatePercent: '1001', reason: 'usury' })).errors)
      .toEqual([{ code: 'BAD_USER_INPUT', reason: null, field: 'input.annualRatePercent', message: 'the annual rate must be a percentage from 0 to 1000' }]);
    // In range, too finely: the message says what is wrong with it.
    expect((await mutate(maker, 'requestLoanRestructure', REQUEST, { loanId: behind, capitaliseArrears: true, annualRatePercent: '5.123456789', reason: 'too fine' })).errors)
      .toEqual([{ code: 'BAD_USER_INPUT', reason: null, field: 'input.annualRatePercent', message: 'annualRatePercent may have at most 6 digits after the point' }]);

    await advance(admin, 40); // 2026-02-24: the first loan missed 5 February; the one on holiday owes nothing yet.
    let one = await loanOf(behind);
    expect([one.status, one.daysPastDue]).toEqual(['OVERDUE', 19]);
    expect((await loanOf(resting)).daysPastDue).toBe(0);
    const owedBefore = one.account.outstanding;

    // Restructured: arrears capitalised, 8 % instead of the product's rate, 9 instalments from the next due date.
    const asked = await mutate(maker, 'requestLoanRestructure', REQUEST, { loanId: behind, capitaliseArrears: true, annualRatePercent: '8', instalments: 9, reason: 'income fell by a third; a longer, cheaper loan keeps them paying' });
    expect(asked.errors).toEqual([]);
    const mine = await mutate(admin, 'requestLoanRestructure', REQUEST, { loanId: behind, capitaliseArrears: true, reason: 'the admin asks too' });
    expect((await mutate(admin, 'decideLoanRestructure', DECIDE, { requestId: mine.data.loanRestructureRequest.id, approve: true })).errors)
      .toEqual([expect.objectContaining({ code: 'FORBIDDEN', field: 'input.requestId', reason: 'MAKER_IS_CHECKER' })]);
    expect(await mutate(checker, 'decideLoanRestructure', DECIDE, { requestId: mine.data.loanRestructureRequest.id, approve: false, reason: 'one restructure is enough' }))
      .toEqual({ errors: [], data: expect.objectContaining({ loanRestructureRequest: expect.objectContaining({ status: 'REJECTED', transaction: null }) }) });
    expect(await call(checker, '{ loanRestructureRequests(first: 10) { totalCount } }')).toEqual({ loanRestructureRequests: { totalCount: 1 } });
    expect(await mutate(checker, 'decideLoanRestructure', DECIDE, { requestId: asked.data.loanRestructureRequest.id, approve: true }))
      .toEqual({ errors: [], data: expect.objectContaining({ loanRestructureRequest: expect.objectContaining({ status: 'APPROVED', decidedBy: 'restructure-checker', transaction: { kind: 'RESTRUCTURE' } }) }) });

    one = await loanOf(behind);
    expect([one.status, one.daysPastDue, one.restructuredOn, one.account.restructuredOn]).toEqual(['ACTIVE', 0, '2026-02-24', '2026-02-24']);
    const [r] = one.account.restructures;
    expect(r).toMatchObject({ valueDate: '2026-02-24', annualRatePercent: '8', holidayPeriods: 0, before: { instalments: 5 }, after: { instalments: 9, maturityDate: '2026-11-05' } });
    // What was past due is principal now: principal outstanding grew by exactly the interest and fees capitalised.
    const capitalisedCharges = money(r.capitalised.interest) + money(r.capitalised.fee) + money(r.capitalised.penalty);
    expect(money(r.capitalised.principal) + capitalisedCharges).toBeGreaterThan(1000);
    expect(money(one.account.outstanding.principal)).toBeCloseTo(money(owedBefore.principal) + capitalisedCharges, 2);

    // Undoing it is a checker's act too: its maker, a servicing agent, may not reverse it.
    // The account names the restructure's transaction by the id the API gives it, which is what would reverse it.
    const [shown] = (await call(admin, `{ node(id: "${behind}") { ... on Loan { account { restructures { transactionId transactionGlobalId } } } } }`))['node'].account.restructures;
    const restructureTx = { id: shown.transactionGlobalId as string };
    expect(shown.transactionId).toBe(decodeGlobalID(restructureTx.id).id);
    expect((await call(admin, `{ node(id: "${restructureTx.id}") { ... on LoanTransaction { kind } } }`))['node']).toEqual({ kind: 'RESTRUCTURE' });
    expect((await mutate(maker, 'reverseLoanTransaction', `mutation($input: ReverseLoanTransactionInput!) { reverseLoanTransaction(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), transactionId: restructureTx.id, reason: 'changed my mind' })).errors).toEqual([expect.objectContaining({ code: 'FORBIDDEN', reason: 'BEYOND_AUTHORITY', field: 'input.transactionId' })]);

    // Restructured under RBI: SUBSTANDARD from the next end of day although nothing is past due.
    await advance(admin, 1);
    one = await loanOf(behind);
    expect([one.daysPastDue, one.assetClass]).toEqual([0, 'SUBSTANDARD']);

    // The statement says it; the events tell staff; the books hold.
    const statement = await call(admin, `{ node(id: "${behind}") { ... on Loan { statement(from: "2026-02-24", to: "2026-02-24") { lines { kind description } } } } }`);
    expect(statement['node'].statement.lines).toEqual([expect.objectContaining({ kind: 'RESTRUCTURE', description: expect.stringMatching(/^Restructured: arrears of [0-9.]+ capitalised, 9 instalments to 2026-11-05, at 8 %$/) })]);
    // Read from the outbox itself: the stream answers an event once the settle sweep has numbered it.
    const outbox = await server.runtime.tenantClients.forSchema(tenant.schemaName).outboxEvent.findMany({
      where: { type: { in: ['loan.restructured', 'loan.restructureRequested', 'loan.restructureApproved', 'loan.restructureRejected'] } }, select: { type: true },
    });
    const types = outbox.map((e) => e.type);
    expect([types.filter((t: string) => t === 'loan.restructured').length, types.filter((t: string) => t === 'loan.restructureRequested').length,
      types.filter((t: string) => t === 'loan.restructureApproved').length, types.filter((t: string) => t === 'loan.restructureRejected').length]).toEqual([2, 3, 2, 1]);
    const invariants = await call(checker, '{ ledgerInvariants { holds } }');
    expect(invariants['ledgerInvariants']).toEqual({ holds: true });
  });
});

describe('asking again', () => {
  it('a restructure asked again with the same key is the same request, asked once; other terms under the key are a conflict; another person\'s key is their own', async () => {
    // A lender of its own: the walk above counts every request and event of its lender.
    const { lender, loanId, tokens } = await lenderWithLoan(server, 'restructure-keys', { 'restructure-maker': 'servicing-agent', 'restructure-colleague': 'servicing-agent' });
    const [asker, colleague] = [tokens['restructure-maker']!, tokens['restructure-colleague']!];
    const db = server.runtime.tenantClients.forSchema(lender.schemaName);
    const written = async () => ({
      requests: await db.loanRestructureRequest.count(),
      events: await db.outboxEvent.count({ where: { type: 'loan.restructureRequested' } }),
      audits: await db.auditRecord.count({ where: { action: 'loan.requestRestructure' } }),
    });
    const input = { idempotencyKey: key(), loanId, capitaliseArrears: false, holidayPeriods: 1, reason: 'job loss; a month without payments' };

    const first = await mutate(asker, 'requestLoanRestructure', REQUEST, input);
    expect(first.errors).toEqual([]);
    const again = await mutate(asker, 'requestLoanRestructure', REQUEST, input);
    expect(again).toEqual(first);
    expect(await written()).toEqual({ requests: 1, events: 1, audits: 1 });

    const clash = await mutate(asker, 'requestLoanRestructure', REQUEST, { ...input, holidayPeriods: 2 });
    expect(clash.errors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.idempotencyKey' })]);
    expect(clash.data.loanRestructureRequest).toBeNull();
    expect(await written()).toEqual({ requests: 1, events: 1, audits: 1 });

    const theirs = await mutate(colleague, 'requestLoanRestructure', REQUEST, input);
    expect(theirs.errors).toEqual([]);
    expect(theirs.data.loanRestructureRequest).toMatchObject({ status: 'PENDING', holidayPeriods: 1, requestedBy: 'restructure-colleague' });
    expect(theirs.data.loanRestructureRequest.id).not.toBe(first.data.loanRestructureRequest.id);
    expect(await written()).toEqual({ requests: 2, events: 2, audits: 2 });
  });
});
