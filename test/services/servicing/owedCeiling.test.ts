// What a booked loan owes stays below the amount ceiling (10^15) over the API: a charge by hand, a later tranche, the
// reversal of a repayment a charge relied on and a restructure asked for are each refused naming the input's field
// when they would take it there, and nothing is written. A bank return's fee, charged by the system, is not charged
// where it would take the loan there, and the return is done.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { Decimal } from '../../../src/domain/money.js';
import { AUTO_DEBIT_ACTOR, postReturns } from '../../../src/services/autoDebit/returns.js';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let admin: string;
let keys = 0;
const key = () => `ceiling-${Date.now()}-${keys++}`;
const DATE = '2026-01-10';

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('ceiling'), { businessDate: DATE });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
  const product = await gql(server.gateway, `mutation($input: CreateLoanProductInput!) { createLoanProduct(input: $input) { loanProduct { id } ${USER_ERRORS} } }`, { token: admin, variables: { input: {
    code: 'LARGE', name: 'Large', currency: 'USD', terms: { annualRatePercent: '12', numberOfRepayments: 3 },
    limits: { minAmount: '100', maxAmount: '999999999999999', minTenorMonths: 1, maxTenorMonths: 120 },
  } } });
  expect(userErrors(product, 'createLoanProduct')).toEqual([]);
});
afterAll(async () => {
  await server?.close();
});

const amount = (money: string) => new Decimal(money.split(' ')[0]!);

/** A mutation's payload, its refusals asked for. */
async function mutate(name: string, input: string, fields: string, variables: Record<string, unknown>) {
  const response = await gql(server.gateway, `mutation($input: ${input}!) { ${name}(input: $input) { ${fields} ${USER_ERRORS} } }`, { token: admin, variables: { input: variables } });
  return { errors: userErrors(response, name), payload: response.data![name] as Record<string, any> };
}

/** 900,000,000,000,000 paid out of 950,000,000,000,000 approved: it owes about 918 × 10^12 in all. */
async function book(): Promise<string> {
  const { errors, payload } = await mutate('disburseLoan', 'DisburseLoanInput', 'loan { id }', {
    idempotencyKey: key(), productCode: 'LARGE', principal: '950000000000000', disbursementDate: DATE,
    tranches: [{ expectedDate: DATE, amount: '900000000000000' }, { expectedDate: '2026-01-25', amount: '50000000000000' }],
  });
  expect(errors).toEqual([]);
  return payload['loan'].id;
}

async function owedInAll(loanId: string): Promise<Decimal> {
  const response = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Loan { account { outstanding { principal interest fee penalty } } } } }`, { token: admin, variables: { id: loanId } });
  expect(response.errors).toBeUndefined();
  const owed = response.data!['node'].account.outstanding as Record<string, string>;
  return Object.values(owed).reduce((total, money) => total.plus(amount(money)), new Decimal(0));
}

const charge = (loanId: string, money: string) => mutate('applyLoanCharge', 'ApplyLoanChargeInput', 'loanTransaction { id }', {
  idempotencyKey: key(), loanId, component: 'FEE', amount: money, valueDate: DATE, reason: 'collection costs',
});

const written = async (loanId: string) => {
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  const id = decodeGlobalID(loanId).id;
  return { transactions: await db.loanTransaction.count({ where: { loanId: id } }), journals: await db.journal.count({ where: { loanId: id } }), restructures: await db.loanRestructureRequest.count({ where: { loanId: id } }) };
};

const beyond = (field: string) => [expect.objectContaining({ code: 'BAD_USER_INPUT', field, message: expect.stringMatching(/would take what the loan owes .* USD: what a loan owes must be less than 10\^15$/) })];

describe('what a booked loan owes stays below 10^15', () => {
  it('a charge by hand and a later tranche that would take it there are refused naming the amount; nothing is written', async () => {
    const loanId = await book();
    const room = new Decimal('1e15').minus('0.01').minus(await owedInAll(loanId));
    const before = await written(loanId);
    const over = await charge(loanId, room.plus('0.01').toFixed(2));
    expect(over.errors).toEqual(beyond('input.amount'));
    expect(over.payload['loanTransaction']).toBeNull();
    expect(await written(loanId)).toEqual(before);

    // Up to the ceiling it is taken; a tranche after it, approved as it is, no longer fits.
    expect((await charge(loanId, room.minus(10_000_000_000_000).toFixed(2))).errors).toEqual([]);
    const taken = await written(loanId);
    const tranche = await mutate('disburseLoanTranche', 'DisburseLoanTrancheInput', 'loanTransaction { id }', { idempotencyKey: key(), loanId, amount: '50000000000000', valueDate: DATE });
    expect(tranche.errors).toEqual(beyond('input.amount'));
    expect(await written(loanId)).toEqual(taken);
    expect((await owedInAll(loanId)).lt('1e15')).toBe(true);
  });

  it('reversing a repayment is refused naming the transaction when a charge after it fitted only because of it', async () => {
    const loanId = await book();
    const repaid = await mutate('postRepayment', 'PostRepaymentInput', 'loanTransaction { id }', { idempotencyKey: key(), loanId, amount: '100000000000000', valueDate: DATE, channel: 'bank-transfer' });
    expect(repaid.errors).toEqual([]);
    const room = new Decimal('1e15').minus('0.01').minus(await owedInAll(loanId));
    expect((await charge(loanId, room.toFixed(2))).errors).toEqual([]);
    const before = await written(loanId);
    const reversed = await mutate('reverseLoanTransaction', 'ReverseLoanTransactionInput', 'loanTransaction { id }', {
      idempotencyKey: key(), transactionId: repaid.payload['loanTransaction'].id, reason: 'the payment bounced',
    });
    expect(reversed.errors).toEqual(beyond('input.transactionId'));
    expect(await written(loanId)).toEqual(before);
  });

  it('a restructure whose new schedule would take it there is refused when asked, naming the rate; nothing is written', async () => {
    const loanId = await book();
    const before = await written(loanId);
    const asked = await mutate('requestLoanRestructure', 'RequestLoanRestructureInput', 'loanRestructureRequest { id }', {
      loanId, capitaliseArrears: false, annualRatePercent: '100', instalments: 24, reason: 'a longer loan at a higher rate',
    });
    expect(asked.errors).toEqual(beyond('input.annualRatePercent'));
    expect(asked.payload['loanRestructureRequest']).toBeNull();
    expect(await written(loanId)).toEqual(before);
    // Within the ceiling it is asked as before.
    const fits = await mutate('requestLoanRestructure', 'RequestLoanRestructureInput', 'loanRestructureRequest { status }', {
      loanId, capitaliseArrears: false, instalments: 4, reason: 'one more month',
    });
    expect(fits).toEqual({ errors: [], payload: expect.objectContaining({ loanRestructureRequest: { status: 'PENDING' } }) });
  });
});

describe('a bank return\'s fee', () => {
  it('is not charged where it would take what the loan owes to 10^15; the repayment is still reversed and the return done', async () => {
    const loanId = await book();
    const id = decodeGlobalID(loanId).id;
    const room = new Decimal('1e15').minus('0.01').minus(await owedInAll(loanId));
    // 500 of room left, then a debit of 1,000 that the bank returns with a fee of 1,000.
    expect((await charge(loanId, room.minus(500).toFixed(2))).errors).toEqual([]);
    const repaid = await mutate('postRepayment', 'PostRepaymentInput', 'loanTransaction { id }', { idempotencyKey: key(), loanId, amount: '1000', valueDate: DATE, channel: 'ach' });
    expect(repaid.errors).toEqual([]);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const mandate = await db.debitMandate.create({ data: {
      id: randomUUID(), loanId: id, holderName: 'Borrower Person', routingNumber: '021000021', accountNumberSealed: 'sealed', accountLast4: '5678', accountType: 'checking',
      status: 'active', createdBy: 'test', createdAt: new Date(),
    } });
    const returned = await db.debitPresentment.create({ data: {
      id: randomUUID(), mandateId: mandate.id, loanId: id, dueDate: new Date('2026-02-10'), attempt: 1, amount: '1000', presentedOn: new Date(DATE), traceNumber: '121000350000001',
      transactionId: decodeGlobalID(repaid.payload['loanTransaction'].id).id, status: 'returned', returnCode: 'R01', returnedOn: new Date(DATE), returnFee: '1000', createdAt: new Date(),
    } });
    await postReturns(db, tenant.schemaName, { tenant: tenant.slug, now: new Date(), actor: { ...AUTO_DEBIT_ACTOR, requestId: 'ceiling-return' } }, DATE);
    const done = await db.debitPresentment.findUniqueOrThrow({ where: { id: returned.id } });
    expect(done.reversalId).not.toBeNull();
    expect([done.feeId, done.returnFee?.toString()]).toEqual([null, '0']);
    expect(await db.loanTransaction.count({ where: { loanId: id, kind: 'charge' } })).toBe(1);
    expect((await owedInAll(loanId)).toFixed(2)).toBe(new Decimal('1e15').minus('500.01').toFixed(2));
  });
});
