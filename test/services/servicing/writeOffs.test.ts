// Write-off, recovery and charge-off over GraphQL on a sandbox lender's clock. A maker asks and a checker decides
// (never the same person); a write-off in full gives up exactly what a payoff that day would have asked, each
// component to its own expense account; money after it is recovery income; nothing else may be posted on it;
// reversing it (a checker's act) reinstates the loan. A write-off in part lowers the instalments still to come.
// End of day charges loans off by rule at their product's threshold (else the default), leaving alone a loan a
// checker reinstated, and the interest held in suspense and the provision against them are released; the books
// hold throughout.
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
let checker: string;
let supervisor: string;
let agent: string;
let servicing: string;

let keys = 0;
const key = () => `write-off-${Date.now()}-${keys++}`;

const REQUEST = `mutation($input: RequestLoanWriteOffInput!) { requestLoanWriteOff(input: $input) { loanWriteOffRequest { id status inFull component amount valueDate requestedBy } ${USER_ERRORS} } }`;
const DECIDE = `mutation($input: DecideLoanWriteOffInput!) { decideLoanWriteOff(input: $input) { loanWriteOffRequest { id status decidedBy decisionReason transaction { id kind enteredBy } } ${USER_ERRORS} } }`;
const LOAN = `query($id: ID!, $date: Date) { node(id: $id) { ... on Loan {
  status daysPastDue interestInSuspense provision
  payoffQuote(date: $date) { principal interest fees penalties total }
  account { status outstanding { principal interest fee penalty } writeOffs { inFull rescheduled amounts { principal interest fee penalty } }
            writtenOff { on total recovered recoverable } instalments { number writtenOff { principal } charged { principal interest } } }
  transactions { id kind enteredBy reason }
} } }`;
const CHARGE_OFF_RULE = `mutation($input: SetChargeOffRuleInput!) { setChargeOffRule(input: $input) { chargeOffRule { atDaysPastDue product { code } changedBy } ${USER_ERRORS} } }`;

const loanOf = async (id: string, date?: string) => (await call(admin, LOAN, { id, ...(date ? { date } : {}) }))['node'];
const balances = async (asOf: string) => {
  const data = await call(checker, `{ trialBalance(asOf: "${asOf}") { lines { account balance } } }`);
  return Object.fromEntries(data['trialBalance'].lines.map((l: { account: string; balance: string }) => [l.account, l.balance])) as Record<string, string>;
};
const money = (text: string) => Number(text.split(' ')[0]);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('writeoff'), { sandbox: true, businessDate: '2026-01-05' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'write-off-maker' });
  checker = await devToken(server.runtime, 'finance', tenant.slug, { subject: 'write-off-checker' });
  supervisor = await devToken(server.runtime, 'collections-supervisor', tenant.slug, { subject: 'write-off-supervisor' });
  agent = await devToken(server.runtime, 'collections-agent', tenant.slug, { subject: 'write-off-agent' });
  servicing = await devToken(server.runtime, 'servicing-agent', tenant.slug, { subject: 'write-off-servicing' });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('write-off, recovery and charge-off', () => {
  it('writes off by four eyes and by rule, takes recoveries as income, reinstates on reversal, and the books hold', { timeout: 600_000 }, async () => {
    const officer = await devToken(server.runtime, 'disbursement-officer', tenant.slug);
    const book = async (productCode: string) => {
      const { errors, data } = await mutate(officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`,
        { idempotencyKey: key(), productCode, principal: productCode === 'SME-WC' ? '12000' : '6000', numberOfRepayments: 6, disbursementDate: '2026-01-05' });
      expect(errors).toEqual([]);
      return data.loan.id as string;
    };
    const [l1, l2, l3, l4] = [await book('PL-STD'), await book('PL-STD'), await book('PL-STD'), await book('PL-STD')];
    const sme = await book('SME-WC');
    // Interest stops accruing from 30 days past due: a loan charged off later holds interest in suspense until then.
    expect((await mutate(admin, 'setDelinquencyPolicy', `mutation($input: SetDelinquencyPolicyInput!) { setDelinquencyPolicy(input: $input) { delinquencyPolicy { version } ${USER_ERRORS} } }`,
      { regime: 'US_CHARGE_OFF', parameters: { substandardAfterDays: 30, nonAccrualAfterDays: 30 } })).errors).toEqual([]);
    await advance(admin, 32); // 2026-02-06: every first instalment (due 5 February) is a day past due.

    // Who may ask, and what a request must say.
    expect(codes(await gql(server.gateway, REQUEST, { token: agent, variables: { input: { loanId: l1, reason: 'not mine to ask' } } }))).toEqual(['FORBIDDEN']);
    expect((await mutate(admin, 'requestLoanWriteOff', REQUEST, { loanId: l1, component: 'PRINCIPAL', reason: 'part of it' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.amount' })]);
    expect((await mutate(admin, 'requestLoanWriteOff', REQUEST, { loanId: l1, reason: 'no' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.reason' })]);
    expect((await mutate(admin, 'requestLoanWriteOff', REQUEST, { loanId: l1, valueDate: '2026-02-07', reason: 'tomorrow' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.valueDate' })]);
    // What its approval would refuse is refused when asked, naming the request's field: none of these is stored
    // (the checkers' queue below holds one request).
    expect((await mutate(admin, 'requestLoanWriteOff', REQUEST, { loanId: l1, valueDate: '1900-01-01', reason: 'before the loan' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.valueDate', message: expect.stringContaining('before the disbursement on 2026-01-05') })]);
    expect((await mutate(admin, 'requestLoanWriteOff', REQUEST, { loanId: l1, component: 'PRINCIPAL', amount: '999999', reason: 'more than lent' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.amount', message: expect.stringMatching(/^at most 6000\.00 USD of principal can be written off/) })]);

    // In full: asked by the maker, refused to the maker as checker, approved by the checker.
    const quote = (await loanOf(l1, '2026-02-06'))['payoffQuote'];
    const asked = await mutate(admin, 'requestLoanWriteOff', REQUEST, { loanId: l1, reason: 'borrower deceased; estate has no assets' });
    expect(asked).toEqual({ errors: [], data: expect.objectContaining({ loanWriteOffRequest: expect.objectContaining({ status: 'PENDING', inFull: true, component: null, amount: null, valueDate: '2026-02-06', requestedBy: 'write-off-maker' }) }) });
    const requestId = asked.data.loanWriteOffRequest.id;
    expect(await call(checker, '{ loanWriteOffRequests(first: 10) { totalCount edges { node { id } } } }')).toEqual({ loanWriteOffRequests: { totalCount: 1, edges: [{ node: { id: requestId } }] } });
    expect((await mutate(admin, 'decideLoanWriteOff', DECIDE, { requestId, approve: true })).errors)
      .toEqual([expect.objectContaining({ code: 'FORBIDDEN', field: 'input.requestId' })]);
    expect(codes(await gql(server.gateway, DECIDE, { token: supervisor, variables: { input: { requestId, approve: true } } }))).toEqual(['FORBIDDEN']);
    const approved = await mutate(checker, 'decideLoanWriteOff', DECIDE, { requestId, approve: true, reason: 'estate confirmed insolvent' });
    expect(approved).toEqual({ errors: [], data: expect.objectContaining({ loanWriteOffRequest: expect.objectContaining({ status: 'APPROVED', decidedBy: 'write-off-checker', transaction: expect.objectContaining({ kind: 'WRITE_OFF', enteredBy: 'write-off-checker' }) }) }) });

    // What was given up is what paying the loan off that day would have asked: principal and interest earned to date.
    let one = await loanOf(l1);
    expect(one.status).toBe('WRITTEN_OFF');
    expect(one.account.status).toBe('WRITTEN_OFF');
    expect(one.account.writtenOff).toEqual({ on: '2026-02-06', total: quote.total, recovered: '0.00 USD', recoverable: quote.total });
    expect(one.account.writeOffs).toEqual([{ inFull: true, rescheduled: false, amounts: { principal: quote.principal, interest: quote.interest, fee: quote.fees, penalty: quote.penalties } }]);
    expect(one.account.outstanding).toEqual({ principal: '0.00 USD', interest: '0.00 USD', fee: '0.00 USD', penalty: '0.00 USD' });
    let books = await balances('2026-02-06');
    expect(money(books['5100']!)).toBe(money(quote.principal));
    expect(money(books['5110']!)).toBe(money(quote.interest));

    // Nothing but money in, refunds and reversals after it; money in is recovery income.
    const CHARGE = `mutation($input: ApplyLoanChargeInput!) { applyLoanCharge(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`;
    const refusedCharge = await mutate(admin, 'applyLoanCharge', CHARGE, { idempotencyKey: key(), loanId: l1, component: 'FEE', amount: '10', valueDate: '2026-02-06', reason: 'collection visit' });
    expect(refusedCharge.errors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.valueDate' })]);
    expect(refusedCharge.errors[0]!.message).toContain('written off on 2026-02-06');
    expect((await mutate(admin, 'requestLoanWriteOff', REQUEST, { loanId: l1, reason: 'again' })).errors)
      .toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.loanId' })]);
    const REPAY = `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`;
    expect((await mutate(servicing, 'postRepayment', REPAY, { idempotencyKey: key(), loanId: l1, amount: '100', valueDate: '2026-02-06', channel: 'bank_transfer' })).errors).toEqual([]);
    one = await loanOf(l1);
    expect(one.status).toBe('WRITTEN_OFF');
    expect(one.account.writtenOff).toMatchObject({ recovered: '100.00 USD', recoverable: `${(money(quote.total) - 100).toFixed(2)} USD` });
    books = await balances('2026-02-06');
    expect(books['4300']).toBe('-100.00 USD');

    // Reversing the write-off is a checker's act; it reinstates the loan, and the recovery becomes a repayment.
    // The account names the write-off's transaction by the id the decision answered, which is what reverses it.
    const [shown] = (await call(admin, `{ node(id: "${l1}") { ... on Loan { account { writeOffs { transactionId transactionGlobalId } } } } }`))['node'].account.writeOffs;
    expect(shown.transactionGlobalId).toBe(approved.data.loanWriteOffRequest.transaction.id);
    expect(shown.transactionId).toBe(decodeGlobalID(shown.transactionGlobalId).id);
    const writeOffTx = { id: shown.transactionGlobalId as string };
    const REVERSE = `mutation($input: ReverseLoanTransactionInput!) { reverseLoanTransaction(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`;
    expect((await mutate(servicing, 'reverseLoanTransaction', REVERSE, { idempotencyKey: key(), transactionId: writeOffTx.id, reason: 'estate found assets' })).errors)
      .toEqual([expect.objectContaining({ code: 'FORBIDDEN', field: 'input.transactionId' })]);
    expect((await mutate(checker, 'reverseLoanTransaction', REVERSE, { idempotencyKey: key(), transactionId: writeOffTx.id, reason: 'estate found assets' })).errors).toEqual([]);
    one = await loanOf(l1);
    expect(one.status).toBe('OVERDUE');
    expect(one.account.writtenOff).toBeNull();
    expect(one.account.writeOffs).toEqual([]);
    books = await balances('2026-02-06');
    for (const account of ['4300', '5100', '5110']) expect(money(books[account] ?? '0 USD')).toBe(0);

    // In part, oldest first: the overdue first instalment's principal, then principal still to fall due, which lowers
    // the instalments still to come.
    const before = await loanOf(l2);
    const part = await mutate(admin, 'requestLoanWriteOff', REQUEST, { loanId: l2, component: 'PRINCIPAL', amount: '1500', reason: 'settlement: lender forgives 1500 of principal' });
    expect(part.errors).toEqual([]);
    expect((await mutate(checker, 'decideLoanWriteOff', DECIDE, { requestId: part.data.loanWriteOffRequest.id, approve: true })).errors).toEqual([]);
    const two = await loanOf(l2);
    expect(two.status).toBe('OVERDUE');
    expect(two.account.writeOffs).toEqual([{ inFull: false, rescheduled: true, amounts: { principal: '1500.00 USD', interest: '0.00 USD', fee: '0.00 USD', penalty: '0.00 USD' } }]);
    expect(money(two.account.outstanding.principal)).toBe(money(before.account.outstanding.principal) - 1500);
    expect(two.account.instalments[0].writtenOff.principal).toBe(before.account.instalments[0].charged.principal);
    expect(money(two.account.instalments[3].charged.interest)).toBeLessThan(money(before.account.instalments[3].charged.interest));
    expect(money(two.account.instalments[5].charged.principal)).toBeLessThan(money(before.account.instalments[5].charged.principal));

    // Rejected: nothing moves, and a rejection needs a reason.
    const third = await mutate(admin, 'requestLoanWriteOff', REQUEST, { loanId: l4, reason: 'will not pay' });
    expect((await mutate(checker, 'decideLoanWriteOff', DECIDE, { requestId: third.data.loanWriteOffRequest.id, approve: false })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.reason' })]);
    expect(await mutate(checker, 'decideLoanWriteOff', DECIDE, { requestId: third.data.loanWriteOffRequest.id, approve: false, reason: 'give collections another month' }))
      .toEqual({ errors: [], data: expect.objectContaining({ loanWriteOffRequest: expect.objectContaining({ status: 'REJECTED', transaction: null }) }) });
    expect((await loanOf(l4)).status).toBe('OVERDUE');

    // Charge-off by rule: PL-STD at 45 days past due, everything else (SME-WC) at 40. Only finance or an admin sets it.
    expect(codes(await gql(server.gateway, CHARGE_OFF_RULE, { token: supervisor, variables: { input: { atDaysPastDue: 40 } } }))).toEqual(['FORBIDDEN']);
    expect((await mutate(checker, 'setChargeOffRule', CHARGE_OFF_RULE, { atDaysPastDue: 0 })).errors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.atDaysPastDue' })]);
    expect((await mutate(checker, 'setChargeOffRule', CHARGE_OFF_RULE, { atDaysPastDue: 40 })).errors).toEqual([]);
    expect((await mutate(checker, 'setChargeOffRule', CHARGE_OFF_RULE, { productCode: 'PL-STD', atDaysPastDue: 45 })).errors).toEqual([]);
    expect((await call(supervisor, '{ chargeOffRules { atDaysPastDue product { code } changedBy } }'))['chargeOffRules'])
      .toEqual([{ atDaysPastDue: 40, product: null, changedBy: 'write-off-checker' }, { atDaysPastDue: 45, product: { code: 'PL-STD' }, changedBy: 'write-off-checker' }]);

    await advance(admin, 38); // 2026-03-16: 39 days past due; non-accrual since 30, so interest is held in suspense.
    const held = await loanOf(sme);
    expect(held.status).toBe('OVERDUE');
    expect(money(held.interestInSuspense)).toBeGreaterThan(0);
    expect(money(held.provision)).toBeGreaterThan(0);

    await advance(admin, 1); // 2026-03-17: the SME loan reaches 40 days past due; the PL-STD loans wait for 45.
    const charged = await loanOf(sme);
    expect(charged.status).toBe('WRITTEN_OFF');
    expect(charged.transactions.filter((t: { kind: string }) => t.kind === 'WRITE_OFF')).toEqual([
      expect.objectContaining({ enteredBy: 'charge-off-rule', reason: 'charged off by rule at 40 days past due' }),
    ]);
    expect(charged.interestInSuspense).toBe('0.00 USD');
    expect(charged.provision).toBe('0.00 USD');
    for (const id of [l1, l2, l3, l4]) expect((await loanOf(id)).status).toBe('OVERDUE');

    await advance(admin, 5); // 2026-03-22: 45 days past due. The loan reinstated by a checker is left to people.
    expect((await loanOf(l1)).status).toBe('OVERDUE');
    for (const id of [l2, l3, l4]) {
      const loan = await loanOf(id);
      expect(loan.status).toBe('WRITTEN_OFF');
      expect(loan.interestInSuspense).toBe('0.00 USD');
      expect(loan.provision).toBe('0.00 USD');
    }
    // A charge-off runs once per loan, however often end of day comes back.
    await advance(admin, 1);
    expect((await loanOf(l3)).transactions.filter((t: { kind: string }) => t.kind === 'WRITE_OFF')).toHaveLength(1);

    // Their collection cases close for that reason; the event stream tells partners and staff; the books hold.
    const cases = await call(admin, '{ collectionCases(first: 10, status: CLOSED) { edges { node { closeReason loan { id } } } } }');
    expect(cases['collectionCases'].edges.map((e: { node: { closeReason: string } }) => e.node.closeReason)).toEqual(Array(4).fill('WRITTEN_OFF'));
    // Read from the outbox itself: the stream answers an event once the settle sweep has numbered it, which under
    // load may be a moment after its commit.
    const outbox = await server.runtime.tenantClients.forSchema(tenant.schemaName).outboxEvent.findMany({
      where: { type: { in: ['loan.writtenOff', 'loan.writeOffRequested', 'loan.writeOffApproved', 'loan.writeOffRejected', 'chargeOffRule.changed'] } }, select: { type: true },
    });
    const types = outbox.map((e) => e.type);
    expect(types.filter((t: string) => t === 'loan.writtenOff')).toHaveLength(2 + 4);
    expect(types.filter((t: string) => t === 'loan.writeOffRequested')).toHaveLength(3);
    expect(types.filter((t: string) => t === 'loan.writeOffApproved')).toHaveLength(2);
    expect(types.filter((t: string) => t === 'loan.writeOffRejected')).toHaveLength(1);
    expect(types.filter((t: string) => t === 'chargeOffRule.changed')).toHaveLength(2);
    const invariants = await call(checker, '{ ledgerInvariants { holds unbalancedJournals loansOffLedger controlAccountsOff negativeBalances } }');
    expect(invariants['ledgerInvariants']).toMatchObject({ holds: true });
  });
});

describe('asking again', () => {
  it('a write-off asked again with the same key is the same request, asked once; another write-off under the key is a conflict; another person\'s key is their own', async () => {
    // A lender of its own: the walk above counts every request and event of its lender.
    const { lender, loanId, tokens } = await lenderWithLoan(server, 'writeoff-keys', { 'write-off-maker': 'tenant-admin', 'write-off-colleague': 'tenant-admin' });
    const [maker, colleague] = [tokens['write-off-maker']!, tokens['write-off-colleague']!];
    const db = server.runtime.tenantClients.forSchema(lender.schemaName);
    const written = async () => ({
      requests: await db.loanWriteOffRequest.count(),
      events: await db.outboxEvent.count({ where: { type: 'loan.writeOffRequested' } }),
      audits: await db.auditRecord.count({ where: { action: 'loan.requestWriteOff' } }),
    });
    const input = { idempotencyKey: key(), loanId, component: 'PRINCIPAL', amount: '500', reason: 'settlement: lender forgives 500 of principal' };

    const first = await mutate(maker, 'requestLoanWriteOff', REQUEST, input);
    expect(first.errors).toEqual([]);
    const again = await mutate(maker, 'requestLoanWriteOff', REQUEST, input);
    expect(again).toEqual(first);
    expect(await written()).toEqual({ requests: 1, events: 1, audits: 1 });

    const clash = await mutate(maker, 'requestLoanWriteOff', REQUEST, { ...input, amount: '600' });
    expect(clash.errors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.idempotencyKey' })]);
    expect(clash.data.loanWriteOffRequest).toBeNull();
    expect(await written()).toEqual({ requests: 1, events: 1, audits: 1 });

    const theirs = await mutate(colleague, 'requestLoanWriteOff', REQUEST, input);
    expect(theirs.errors).toEqual([]);
    expect(theirs.data.loanWriteOffRequest).toMatchObject({ status: 'PENDING', requestedBy: 'write-off-colleague' });
    expect(theirs.data.loanWriteOffRequest.id).not.toBe(first.data.loanWriteOffRequest.id);
    expect(await written()).toEqual({ requests: 2, events: 2, audits: 2 });
  });
});
