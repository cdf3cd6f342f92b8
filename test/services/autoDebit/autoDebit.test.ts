// Auto-debit on a sandbox lender's clock, over GraphQL, every file read back by moov-io/ach (a NACHA reader from the
// Go module proxy, not our own): settings and mandates refused naming the field; end of day presents each instalment
// falling due on a loan with a mandate, posts it as a repayment and writes the day's PPD file; a return file reverses
// the repayments from the day they were presented — R01 charging the product's return fee and presenting again, at
// most twice (no fee once the loan is written off); R03 revoking the mandate; a file taken in twice, or naming an unknown trace, refused with nothing
// written; the account number sealed at rest and masked in answers; the ledger's invariants hold throughout. Then, on
// lenders of their own: the return of a debit staff reversed by hand taken in without reversing it twice; a file
// with a return its loan cannot take refused whole, naming it, nothing written; end of day finishing returns a
// taking-in left part-way, each once, never stopped by one loan's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { apiCalls } from '../../support/apiCalls.js';
import { hasAchcli, readWithMoov, returnFile } from '../../support/nacha.js';
import { ledgerInvariants } from '../../../src/services/servicing/ledger.js';

let server: TestServer;
const { call, mutate, advance: advanceBy } = apiCalls(() => server);
let tenant: TenantRecord;
let admin: string;
let finance: string;
let servicing: string;
let keys = 0;
const key = () => `auto-debit-${Date.now()}-${keys++}`;

beforeAll(async () => {
  server = await startTestServer({ MESSAGE_DISPATCH_SECONDS: '0' });
  tenant = await createTenant(server.runtime, uniqueSlug('auto-debit'), { sandbox: true, businessDate: '2026-01-05' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'auto-debit-admin' });
  finance = await devToken(server.runtime, 'finance', tenant.slug);
  servicing = await devToken(server.runtime, 'servicing-agent', tenant.slug);
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const fileOn = async (date: string) => (await call(finance, `{ debitFile(businessDate: "${date}") { businessDate entries total content } }`))['debitFile'];
const RETURNS = `mutation($input: TakeInDebitReturnsInput!) { takeInDebitReturns(input: $input) { returned { attempt status returnCode returnedOn } ${USER_ERRORS} } }`;
const REVERSE = `mutation($input: ReverseLoanTransactionInput!) { reverseLoanTransaction(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`;
const DEBITED = `query($id: ID!) { node(id: $id) { ... on Loan { status debitPresentments { attempt traceNumber status returnCode } transactions { id kind amount valueDate reason reverses { id } } } } }`;
const BOOKS_HOLD = { unbalancedJournals: 0, loansOffLedger: 0, controlAccountsOff: 0, negativeBalances: 0 };

describe('auto-debit', () => {
  it.skipIf(!hasAchcli())('presents instalments as they fall due, posts them, writes valid NACHA files, and takes returns back by R-code', { timeout: 600_000 }, async () => {
    const SETTINGS = `mutation($input: SetDebitSettingsInput!) { setDebitSettings(input: $input) { debitSettings { companyName odfiRouting returnFee productReturnFees { productCode fee } } ${USER_ERRORS} } }`;
    const settings = { companyName: 'Acme Lending', companyId: '1234567890', odfiRouting: '121000358', odfiName: 'Bank of Lenders', returnFee: '25', productReturnFees: [{ productCode: 'PL-STD', fee: '30' }] };
    expect((await mutate(finance, 'setDebitSettings', SETTINGS, { ...settings, odfiRouting: '121000359' })).errors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.odfiRouting' })]);
    expect((await mutate(finance, 'setDebitSettings', SETTINGS, { ...settings, productReturnFees: [{ productCode: 'NOPE', fee: '1' }] })).errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.productReturnFees[0].productCode' })]);
    // A product given twice is refused naming the second, rather than the last one silently kept.
    expect((await mutate(finance, 'setDebitSettings', SETTINGS, { ...settings, productReturnFees: [{ productCode: 'PL-STD', fee: '1.00' }, { productCode: 'PL-STD', fee: '99.00' }] })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.productReturnFees[1].productCode', message: "product PL-STD's return fee is given twice" })]);
    expect(codes(await gql(server.gateway, SETTINGS, { token: servicing, variables: { input: settings } }))).toEqual(['FORBIDDEN']);
    expect(await mutate(finance, 'setDebitSettings', SETTINGS, settings)).toMatchObject({ errors: [], data: { debitSettings: { companyName: 'Acme Lending', returnFee: '25.00 USD', productReturnFees: [{ productCode: 'PL-STD', fee: '30.00 USD' }] } } });

    const officer = await devToken(server.runtime, 'disbursement-officer', tenant.slug);
    const book = async () => {
      const { errors, data } = await mutate(officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id number } ${USER_ERRORS} } }`,
        { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 6, disbursementDate: '2026-01-05' });
      expect(errors).toEqual([]);
      return data.loan as { id: string; number: string };
    };
    const [l1, l2, l3, l4] = [await book(), await book(), await book(), await book()];
    const MANDATE = `mutation($input: RegisterDebitMandateInput!) { registerDebitMandate(input: $input) { debitMandate { id holderName routingNumber accountNumberMasked accountType status } ${USER_ERRORS} } }`;
    const mandate = (loanId: string, accountNumber: string, accountType = 'CHECKING', routingNumber = '021000021') => ({ loanId, holderName: 'Borrower Person', routingNumber, accountNumber, accountType });
    expect((await mutate(servicing, 'registerDebitMandate', MANDATE, mandate(l1.id, '12345678', 'CHECKING', '021000022'))).errors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.routingNumber' })]);
    expect((await mutate(servicing, 'registerDebitMandate', MANDATE, mandate(l1.id, '123'))).errors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.accountNumber' })]);
    expect(codes(await gql(server.gateway, MANDATE, { token: await devToken(server.runtime, 'collections-agent', tenant.slug), variables: { input: mandate(l1.id, '12345678') } }))).toEqual(['FORBIDDEN']);
    const accounts = { [l1.id]: '12345678', [l2.id]: '99887766554', [l3.id]: '55550000' };
    const m1 = await mutate(servicing, 'registerDebitMandate', MANDATE, mandate(l1.id, accounts[l1.id]!));
    expect(m1).toMatchObject({ errors: [], data: { debitMandate: { accountNumberMasked: '••••5678', accountType: 'CHECKING', status: 'ACTIVE' } } });
    expect((await mutate(servicing, 'registerDebitMandate', MANDATE, mandate(l2.id, accounts[l2.id]!, 'SAVINGS', '011000015'))).errors).toEqual([]);
    expect((await mutate(servicing, 'registerDebitMandate', MANDATE, mandate(l3.id, accounts[l3.id]!))).errors).toEqual([]);
    expect((await mutate(servicing, 'registerDebitMandate', MANDATE, mandate(l3.id, '44443333'))).errors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.loanId' })]);
    // Sealed at rest: the plain account number is nowhere in the mandate rows.
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(JSON.stringify(await db.debitMandate.findMany())).not.toContain('99887766554');

    // 5 February: the first instalments fall due; the three with a mandate are presented and posted.
    await advanceBy(admin, 31);
    const PRESENTMENTS = `query($id: ID!) { node(id: $id) { ... on Loan { status daysPastDue debitPresentments { attempt amount presentedOn traceNumber status returnCode } transactions { kind amount valueDate channel externalReference reason } } } }`;
    const loan = async (id: string) => (await call(admin, PRESENTMENTS, { id }))['node'];
    const first = await fileOn('2026-02-05');
    expect(first).toMatchObject({ businessDate: '2026-02-05', entries: 3 });
    const moov = readWithMoov(first.content);
    const entries = moov.batches[0]!.entryDetails;
    expect(moov.batches[0]!.batchHeader).toMatchObject({ serviceClassCode: 225, standardEntryClassCode: 'PPD', companyName: 'ACME LENDING', companyIdentification: '1234567890', effectiveEntryDate: '260206', ODFIIdentification: '12100035' });
    expect(moov.fileControl).toMatchObject({ batchCount: 1, entryAddendaCount: 3 });
    for (const l of [l1, l2, l3]) {
      const state = await loan(l.id);
      const [p] = state.debitPresentments;
      expect(p).toMatchObject({ attempt: 1, presentedOn: '2026-02-05', status: 'PRESENTED' });
      const entry = entries.find((e) => e['traceNumber'] === p.traceNumber)!;
      expect(entry).toMatchObject({ DFIAccountNumber: accounts[l.id], amount: Math.round(Number(p.amount.split(' ')[0]) * 100), transactionCode: l === l2 ? 37 : 27, identificationNumber: `${l.number}`.padEnd(15, ' ') });
      expect(state.transactions).toContainEqual({ kind: 'REPAYMENT', amount: p.amount, valueDate: '2026-02-05', channel: 'ach', externalReference: p.traceNumber, reason: null });
    }
    expect((await loan(l4.id)).debitPresentments).toEqual([]);
    expect(first.total).toBe(`${(entries.reduce((s, e) => s + (e['amount'] as number), 0) / 100).toFixed(2)} USD`);
    // Sealed at rest too: no account number in the stored file.
    expect(JSON.stringify(await db.debitFile.findMany())).not.toMatch(/12345678|99887766554|55550000/);
    // The file is finance's: it holds full account numbers.
    expect(codes(await gql(server.gateway, '{ debitFile(businessDate: "2026-02-05") { content } }', { token: servicing }))).toEqual(['FORBIDDEN']);

    // The bank returns L1 (R01, no money) and L2 (R03, no such account).
    const trace = async (l: { id: string }) => (await loan(l.id)).debitPresentments[0].traceNumber as string;
    const returns = returnFile(first.content, [{ trace: await trace(l1), code: 'R01' }, { trace: await trace(l2), code: 'R03' }]);
    expect(readWithMoov(returns).batches[0]!.entryDetails.map((e) => (e['addenda99'] as { returnCode: string }).returnCode)).toEqual(['R01', 'R03']);
    const unknown = returnFile(first.content, [{ trace: await trace(l1), code: 'R01' }]).replace(await trace(l1), '121000359999999');
    expect((await mutate(finance, 'takeInDebitReturns', RETURNS, { file: unknown })).errors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.file' })]);
    expect(await db.debitPresentment.count({ where: { status: 'returned' } })).toBe(0);
    expect(await mutate(finance, 'takeInDebitReturns', RETURNS, { file: returns })).toMatchObject({ errors: [], data: { returned: [
      { attempt: 1, status: 'RETURNED', returnCode: 'R01', returnedOn: '2026-02-05' }, { attempt: 1, status: 'RETURNED', returnCode: 'R03', returnedOn: '2026-02-05' },
    ] } });
    expect((await mutate(finance, 'takeInDebitReturns', RETURNS, { file: returns })).errors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.file' })]);
    const afterReturn = await loan(l1.id);
    const kinds = afterReturn.transactions;
    expect(kinds).toContainEqual(expect.objectContaining({ kind: 'REVERSAL', valueDate: '2026-02-05', reason: 'ACH return R01' }));
    expect(kinds).toContainEqual(expect.objectContaining({ kind: 'CHARGE', amount: '30.00 USD', reason: 'ACH return R01: return fee' }));
    // The reversal reverses the repayment the presentment was posted as.
    for (const p of await db.debitPresentment.findMany({ where: { status: 'returned' } })) {
      expect((await db.loanTransaction.findUniqueOrThrow({ where: { id: p.reversalId! } })).reverses).toBe(p.transactionId);
    }
    const l2Mandate = (await call(admin, `{ node(id: "${l2.id}") { ... on Loan { debitMandate { status revokedReason } transactions { kind } } } }`))['node'];
    expect(l2Mandate.debitMandate).toEqual({ status: 'REVOKED', revokedReason: 'ACH return R03' });
    expect(l2Mandate.transactions.map((t: { kind: string }) => t.kind).filter((k: string) => k === 'CHARGE')).toEqual([]);

    // 6 February: L1 presented again (the same amount); L2's mandate is gone; both overdue from the returned debits.
    await advanceBy(admin, 1);
    const again = await fileOn('2026-02-06');
    expect(again.entries).toBe(1);
    const retried = readWithMoov(again.content).batches;
    expect(retried.map((b) => [b.batchHeader['companyEntryDescription'], b.entryDetails.length])).toEqual([['RETRY PYMT', 1]]);
    const l1Again = await loan(l1.id);
    expect(l1Again.debitPresentments.map((p: { attempt: number; status: string }) => [p.attempt, p.status])).toEqual([[2, 'PRESENTED'], [1, 'RETURNED']]);
    expect(l1Again.debitPresentments[0].amount).toBe(l1Again.debitPresentments[1].amount);
    expect((await loan(l2.id))).toMatchObject({ status: 'OVERDUE', daysPastDue: 1 });

    // Returned again (R09), presented a third time, returned again (R01): no fourth try.
    const takeBack = async (date: string, code: string) => {
      const file = await fileOn(date);
      const [p] = (await loan(l1.id)).debitPresentments;
      expect((await mutate(finance, 'takeInDebitReturns', RETURNS, { file: returnFile(file.content, [{ trace: p.traceNumber, code }]) })).errors).toEqual([]);
    };
    await takeBack('2026-02-06', 'R09');
    // The taking-in posted the return's money with it, so end of day finds nothing of it to finish (a taking-in
    // that stopped part-way before returns' money went with it is finished by end of day: the last test below).
    const second = await db.debitPresentment.findFirstOrThrow({ where: { loanId: decodeId(l1.id), attempt: 2 } });
    expect(second).toMatchObject({ reversalId: expect.any(String), feeId: expect.any(String) });
    const before = await db.loanTransaction.count({ where: { loanId: decodeId(l1.id) } });
    await advanceBy(admin, 1);
    expect(await db.debitPresentment.findUniqueOrThrow({ where: { id: second.id } })).toMatchObject({ reversalId: second.reversalId, feeId: second.feeId });
    expect(await db.loanTransaction.count({ where: { loanId: decodeId(l1.id) } })).toBe(before + 1); // only the third presentment's repayment
    expect((await loan(l1.id)).debitPresentments.map((p: { attempt: number }) => p.attempt)).toEqual([3, 2, 1]);
    // The lender writes L1 off before the bank returns its third debit: the return still undoes the repayment, but
    // a loan written off takes no charge, so its fee is not charged (and nothing waits to be posted).
    const asked = await mutate(admin, 'requestLoanWriteOff', `mutation($input: RequestLoanWriteOffInput!) { requestLoanWriteOff(input: $input) { loanWriteOffRequest { id } ${USER_ERRORS} } }`, { loanId: l1.id, reason: 'no money, three times' });
    expect((await mutate(finance, 'decideLoanWriteOff', `mutation($input: DecideLoanWriteOffInput!) { decideLoanWriteOff(input: $input) { loanWriteOffRequest { status } ${USER_ERRORS} } }`,
      { requestId: asked.data.loanWriteOffRequest.id, approve: true })).errors).toEqual([]);
    await takeBack('2026-02-07', 'R01');
    expect(await db.debitPresentment.findFirstOrThrow({ where: { loanId: decodeId(l1.id), attempt: 3 } })).toMatchObject({ status: 'returned', feeId: null });
    expect((await db.debitPresentment.findFirstOrThrow({ where: { loanId: decodeId(l1.id), attempt: 3 } })).returnFee?.toString()).toBe('0');
    await advanceBy(admin, 2);
    expect((await loan(l1.id)).debitPresentments.map((p: { attempt: number; status: string }) => [p.attempt, p.status])).toEqual([[3, 'RETURNED'], [2, 'RETURNED'], [1, 'RETURNED']]);
    expect(await fileOn('2026-02-09')).toBeNull();
    // Three returns for want of money, two fees: the loan was written off before the third.
    const final = await loan(l1.id);
    expect(final.transactions.filter((t: { kind: string }) => t.kind === 'CHARGE')).toHaveLength(2);
    expect(final.transactions.filter((t: { kind: string }) => t.kind === 'REVERSAL')).toHaveLength(3);
    expect(final).toMatchObject({ status: 'WRITTEN_OFF', daysPastDue: 0 });
    // L3 paid by its debit: current.
    expect(await loan(l3.id)).toMatchObject({ status: 'ACTIVE', daysPastDue: 0 });

    expect(await ledgerInvariants(db, tenant.schemaName)).toMatchObject({ unbalancedJournals: 0, loansOffLedger: 0, controlAccountsOff: 0, negativeBalances: 0 });
    const events = await db.outboxEvent.findMany({ where: { type: { startsWith: 'debit' } } });
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect([count('debitSettings.changed'), count('debitMandate.registered'), count('debitMandate.revoked'), count('debitPresentment.returned')]).toEqual([1, 3, 1, 4]);
    expect(JSON.stringify(events.map((e) => e.payload))).not.toMatch(/12345678|99887766554|55550000/);
  });
});

describe('a mandate registered again', () => {
  it('refuses a mandate on a loan written off, naming its status as the API spells it', async () => {
    const lender = await createTenant(server.runtime, uniqueSlug('mandate-closed'), { sandbox: true, businessDate: '2026-01-05' });
    const officer = await devToken(server.runtime, 'disbursement-officer', lender.slug);
    const maker = await devToken(server.runtime, 'tenant-admin', lender.slug, { subject: 'write-off-maker' });
    const checker = await devToken(server.runtime, 'finance', lender.slug, { subject: 'write-off-checker' });
    const booked = await mutate(officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 6, disbursementDate: '2026-01-05' });
    expect(booked.errors).toEqual([]);
    const asked = await mutate(maker, 'requestLoanWriteOff', `mutation($input: RequestLoanWriteOffInput!) { requestLoanWriteOff(input: $input) { loanWriteOffRequest { id } ${USER_ERRORS} } }`, { loanId: booked.data.loan.id, reason: 'the borrower is gone' });
    expect(asked.errors).toEqual([]);
    expect((await mutate(checker, 'decideLoanWriteOff', `mutation($input: DecideLoanWriteOffInput!) { decideLoanWriteOff(input: $input) { loanWriteOffRequest { status } ${USER_ERRORS} } }`,
      { requestId: asked.data.loanWriteOffRequest.id, approve: true })).errors).toEqual([]);
    const refused = await mutate(maker, 'registerDebitMandate', `mutation($input: RegisterDebitMandateInput!) { registerDebitMandate(input: $input) { debitMandate { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), loanId: booked.data.loan.id, holderName: 'Borrower Person', routingNumber: '021000021', accountNumber: '12345678', accountType: 'CHECKING' });
    expect(refused.errors).toEqual([{ code: 'CONFLICT', reason: null, field: 'input.loanId', message: 'the loan is written off: nothing is left to collect' }]);
  });

  it('with the same key is the same mandate, registered once; another account under the key is a conflict; another person\'s key is their own', async () => {
    // A lender of its own: the walk above counts every mandate and event of its lender.
    const lender = await createTenant(server.runtime, uniqueSlug('mandate-keys'), { sandbox: true, businessDate: '2026-01-05' });
    const clerk = await devToken(server.runtime, 'servicing-agent', lender.slug, { subject: 'mandate-clerk' });
    const colleague = await devToken(server.runtime, 'servicing-agent', lender.slug, { subject: 'mandate-colleague' });
    const officer = await devToken(server.runtime, 'disbursement-officer', lender.slug);
    const booked = await mutate(officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 6, disbursementDate: '2026-01-05' });
    expect(booked.errors).toEqual([]);
    const db = server.runtime.tenantClients.forSchema(lender.schemaName);
    const written = async () => ({
      mandates: await db.debitMandate.count(),
      events: await db.outboxEvent.count({ where: { type: 'debitMandate.registered' } }),
      audits: await db.auditRecord.count({ where: { action: 'debitMandate.registered' } }),
    });
    const MANDATE = `mutation($input: RegisterDebitMandateInput!) { registerDebitMandate(input: $input) { debitMandate { id holderName routingNumber accountNumberMasked accountType status } ${USER_ERRORS} } }`;
    const input = { idempotencyKey: key(), loanId: booked.data.loan.id, holderName: 'Borrower Person', routingNumber: '021000021', accountNumber: '12345678', accountType: 'CHECKING' };

    const first = await mutate(clerk, 'registerDebitMandate', MANDATE, input);
    expect(first.errors).toEqual([]);
    const again = await mutate(clerk, 'registerDebitMandate', MANDATE, input);
    expect(again).toEqual(first);
    expect(await written()).toEqual({ mandates: 1, events: 1, audits: 1 });

    // The key holds the account number too (as a keyed digest, never as given).
    const clash = await mutate(clerk, 'registerDebitMandate', MANDATE, { ...input, accountNumber: '12345679' });
    expect(clash.errors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.idempotencyKey' })]);
    expect(clash.data.debitMandate).toBeNull();
    expect(await written()).toEqual({ mandates: 1, events: 1, audits: 1 });

    // A loan has one active mandate: once the first is revoked, a colleague's same request is a mandate of its own.
    const REVOKE = `mutation($input: RevokeDebitMandateInput!) { revokeDebitMandate(input: $input) { debitMandate { status } ${USER_ERRORS} } }`;
    expect((await mutate(clerk, 'revokeDebitMandate', REVOKE, { mandateId: first.data.debitMandate.id, reason: 'borrower changed banks' })).errors).toEqual([]);
    const theirs = await mutate(colleague, 'registerDebitMandate', MANDATE, input);
    expect(theirs.errors).toEqual([]);
    expect(theirs.data.debitMandate).toMatchObject({ status: 'ACTIVE', accountNumberMasked: '••••5678' });
    expect(theirs.data.debitMandate.id).not.toBe(first.data.debitMandate.id);
    expect(await written()).toEqual({ mandates: 2, events: 2, audits: 2 });
  });
});


/**
 * A lender of its own (the first test counts its lender's events) on 5 February, with `count` loans whose first
 * instalments were debited that day and posted as repayments, and the day's debit file.
 */
async function lenderWithDebits(prefix: string, count: number) {
  const lender = await createTenant(server.runtime, uniqueSlug(prefix), { sandbox: true, businessDate: '2026-01-05' });
  const staff = {
    admin: await devToken(server.runtime, 'tenant-admin', lender.slug, { subject: `${prefix}-admin` }),
    finance: await devToken(server.runtime, 'finance', lender.slug),
    servicing: await devToken(server.runtime, 'servicing-agent', lender.slug),
    officer: await devToken(server.runtime, 'disbursement-officer', lender.slug),
  };
  expect((await mutate(staff.finance, 'setDebitSettings', `mutation($input: SetDebitSettingsInput!) { setDebitSettings(input: $input) { debitSettings { companyName } ${USER_ERRORS} } }`, {
    companyName: 'Acme Lending', companyId: '1234567890', odfiRouting: '121000358', odfiName: 'Bank of Lenders', returnFee: '25', productReturnFees: [{ productCode: 'PL-STD', fee: '30' }],
  })).errors).toEqual([]);
  const loans: { id: string; number: string }[] = [];
  for (let k = 0; k < count; k += 1) {
    const booked = await mutate(staff.officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id number } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 6, disbursementDate: '2026-01-05' });
    expect(booked.errors).toEqual([]);
    expect((await mutate(staff.servicing, 'registerDebitMandate', `mutation($input: RegisterDebitMandateInput!) { registerDebitMandate(input: $input) { debitMandate { id } ${USER_ERRORS} } }`,
      { loanId: booked.data.loan.id, holderName: 'Borrower Person', routingNumber: '021000021', accountNumber: `1234567${k}`, accountType: 'CHECKING' })).errors).toEqual([]);
    loans.push(booked.data.loan);
  }
  await advanceBy(staff.admin, 31);
  const file = (await call(staff.finance, '{ debitFile(businessDate: "2026-02-05") { entries content } }'))['debitFile'];
  expect(file.entries).toBe(count);
  const debited = async (id: string) => (await call(staff.admin, DEBITED, { id }))['node'];
  return { lender, staff, loans, file: file.content as string, debited, db: server.runtime.tenantClients.forSchema(lender.schemaName) };
}

type Debited = { debitPresentments: { attempt: number; traceNumber: string; status: string }[]; transactions: { id: string; kind: string; amount: string; reason: string | null; reverses: { id: string } | null }[] };
const repaymentOf = (loan: Debited) => loan.transactions.find((t) => t.kind === 'REPAYMENT')!;
const traceOf = (loan: Debited) => loan.debitPresentments[0]!.traceNumber;

/** The borrower pays the loan off on 5 February by transfer, 25 over, and the lender refunds the 25. */
async function paidOffAndRefunded(servicing: string, loanId: string): Promise<void> {
  const { total } = (await call(servicing, `query($id: ID!) { node(id: $id) { ... on Loan { payoffQuote { total } } } }`, { id: loanId }))['node'].payoffQuote;
  expect((await mutate(servicing, 'postRepayment', `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
    { idempotencyKey: key(), loanId, amount: (Number(total.split(' ')[0]) + 25).toFixed(2), valueDate: '2026-02-05', channel: 'bank-transfer', purpose: 'PAYOFF' })).errors).toEqual([]);
  expect((await mutate(servicing, 'refundLoanExcess', `mutation($input: RefundLoanExcessInput!) { refundLoanExcess(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
    { idempotencyKey: key(), loanId, amount: '25', valueDate: '2026-02-05', channel: 'bank-transfer' })).errors).toEqual([]);
}

describe('a return of a debit whose repayment was reversed already, or that its loan refuses', () => {
  it('a debit staff reversed by hand is taken in when the bank returns it: returned with its code and fee, its repayment not reversed twice, and end of day goes on', { timeout: 300_000 }, async () => {
    const { lender, staff, loans: [loan], file, debited, db } = await lenderWithDebits('returned-by-hand', 1);
    const repayment = repaymentOf(await debited(loan!.id));
    const byHand = await mutate(staff.servicing, 'reverseLoanTransaction', REVERSE, { idempotencyKey: key(), transactionId: repayment.id, reason: 'the borrower says the debit bounced' });
    expect(byHand.errors).toEqual([]);

    const returns = returnFile(file, [{ trace: traceOf(await debited(loan!.id)), code: 'R01' }]);
    expect(await mutate(staff.finance, 'takeInDebitReturns', RETURNS, { file: returns })).toMatchObject({ errors: [], data: { returned: [{ attempt: 1, status: 'RETURNED', returnCode: 'R01', returnedOn: '2026-02-05' }] } });
    const after = await debited(loan!.id);
    // Reversed once, by hand: that reversal is the return's. The bank's return costs the product's fee as any does.
    expect(after.transactions.filter((t: { kind: string }) => t.kind === 'REVERSAL')).toEqual([expect.objectContaining({ id: byHand.data.loanTransaction.id, reverses: { id: repayment.id } })]);
    expect(after.transactions.filter((t: { kind: string }) => t.kind === 'CHARGE')).toEqual([expect.objectContaining({ amount: '30.00 USD', reason: 'ACH return R01: return fee' })]);
    expect(await db.debitPresentment.findFirstOrThrow({ where: { loanId: decodeId(loan!.id) } })).toMatchObject({ reversalId: decodeId(byHand.data.loanTransaction.id), feeId: expect.any(String) });
    expect((await mutate(staff.finance, 'takeInDebitReturns', RETURNS, { file: returns })).errors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.file', message: 'this return file was taken in already' })]);

    // End of day runs on, and presents the debit again: the instalment is still unpaid.
    await advanceBy(staff.admin, 1);
    expect((await debited(loan!.id)).debitPresentments.map((p: { attempt: number; status: string }) => [p.attempt, p.status])).toEqual([[2, 'PRESENTED'], [1, 'RETURNED']]);
    expect(await ledgerInvariants(db, lender.schemaName)).toMatchObject(BOOKS_HOLD);
  });

  it('a file with a return its loan refuses is refused whole, naming that return in the lender\'s words, with nothing written; without it the rest is taken in', { timeout: 300_000 }, async () => {
    const { lender, staff, loans: [closing, other], file, debited, db } = await lenderWithDebits('return-refused', 2);
    // Paid off and the excess refunded after its debit: undoing the debit would take back money already refunded.
    await paidOffAndRefunded(staff.servicing, closing!.id);
    const traces = { closing: traceOf(await debited(closing!.id)), other: traceOf(await debited(other!.id)) };
    const written = async () => ({
      returned: await db.debitPresentment.count({ where: { status: 'returned' } }), files: await db.debitReturnFile.count(),
      transactions: await db.loanTransaction.count(), journals: await db.journal.count(), mandates: await db.debitMandate.count({ where: { status: 'active' } }),
      events: await db.outboxEvent.count(), audits: await db.auditRecord.count(),
    });
    const before = await written();
    const both = returnFile(file, [{ trace: traces.other, code: 'R03' }, { trace: traces.closing, code: 'R01' }]);
    const refused = await mutate(staff.finance, 'takeInDebitReturns', RETURNS, { file: both });
    expect(refused.data.returned).toBeNull();
    expect(refused.errors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.file' })]);
    expect(refused.errors[0]!.message).toMatch(new RegExp(`^return 2 \\(R01, trace ${traces.closing}, loan ${closing!.number}\\) cannot be posted against the loan as it stands: `));
    expect(refused.errors[0]!.message).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(await written()).toEqual(before);
    // Not claimed: the same file is refused for the same reason, not as one taken in already.
    expect((await mutate(staff.finance, 'takeInDebitReturns', RETURNS, { file: both })).errors).toEqual(refused.errors);
    expect(await written()).toEqual(before);

    expect((await mutate(staff.finance, 'takeInDebitReturns', RETURNS, { file: returnFile(file, [{ trace: traces.other, code: 'R03' }]) })).errors).toEqual([]);
    await advanceBy(staff.admin, 1);
    expect((await debited(closing!.id)).debitPresentments.map((p: { status: string }) => p.status)).toEqual(['PRESENTED']);
    expect((await debited(other!.id)).debitPresentments.map((p: { status: string }) => p.status)).toEqual(['RETURNED']);
    expect(await ledgerInvariants(db, lender.schemaName)).toMatchObject(BOOKS_HOLD);
  });

  it('end of day finishes returns a taking-in left part-way, each posted once, a repayment reversed by hand not reversed again, and one its loan refuses never stops the day', { timeout: 300_000 }, async () => {
    const { lender, staff, loans: [reversed, closing], debited, db } = await lenderWithDebits('returns-left', 2);
    const byHand = await mutate(staff.servicing, 'reverseLoanTransaction', REVERSE, { idempotencyKey: key(), transactionId: repaymentOf(await debited(reversed!.id)).id, reason: 'the borrower says the debit bounced' });
    expect(byHand.errors).toEqual([]);
    await paidOffAndRefunded(staff.servicing, closing!.id);
    // What a taking-in wrote of an R01 return before returns' money went with it, stopped there (the reversal refused).
    await db.debitPresentment.updateMany({ where: { loanId: { in: [reversed!, closing!].map((l) => decodeId(l.id)) } }, data: { status: 'returned', returnCode: 'R01', returnedOn: new Date('2026-02-05'), returnFee: '30' } });

    await advanceBy(staff.admin, 1);
    const finished = await db.debitPresentment.findFirstOrThrow({ where: { loanId: decodeId(reversed!.id), attempt: 1 } });
    expect(finished).toMatchObject({ reversalId: decodeId(byHand.data.loanTransaction.id), feeId: expect.any(String) });
    const after = await debited(reversed!.id);
    expect(after.transactions.filter((t: { kind: string }) => t.kind === 'REVERSAL')).toHaveLength(1);
    expect(after.transactions.filter((t: { kind: string }) => t.kind === 'CHARGE')).toEqual([expect.objectContaining({ amount: '30.00 USD', reason: 'ACH return R01: return fee' })]);
    // The loan that refuses its return keeps it waiting (and said in the log) for the next day, without stopping this one.
    expect(await db.debitPresentment.findFirstOrThrow({ where: { loanId: decodeId(closing!.id) } })).toMatchObject({ status: 'returned', reversalId: null, feeId: null });

    // Each once: were what was posted not recorded on the return (a crash in between), the next day finds the same.
    await db.debitPresentment.update({ where: { id: finished.id }, data: { reversalId: null, feeId: null } });
    const transactions = await db.loanTransaction.count();
    await advanceBy(staff.admin, 1);
    expect(await db.debitPresentment.findUniqueOrThrow({ where: { id: finished.id } })).toMatchObject({ reversalId: finished.reversalId, feeId: finished.feeId });
    expect(await db.loanTransaction.count()).toBe(transactions);
    expect(await ledgerInvariants(db, lender.schemaName)).toMatchObject(BOOKS_HOLD);
  });
});


const decodeId = (globalId: string) => decodeGlobalID(globalId).id;
