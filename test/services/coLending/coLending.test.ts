// Co-lending over GraphQL on a sandbox lender's clock: the lender's rules (the Reserve Bank of India's 2025 values
// until it sets its own), an arrangement proposed by one person and approved by another, shares of loans taken at
// disbursement or within the assignment window (and refused outside it, or beyond what the lender must keep), the
// partner's funding and its parts of a repayment posted to its own accounts and corrected when the repayment is
// reversed, settlements T+1 by end of day (the correction of a settled period paid back as an adjustment of the
// next, its statement as CSV and PDF, the escrow transfer instruction for finance), what a co-lending partner reads (its own shares and arrangements, the loan's standing — the same days
// past due and class the lender sees, collections without notes — never the whole loan or another partner's share),
// the events it receives, and the books holding throughout.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { globalIdOf } from '../../../src/domain/globalId.js';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { apiCalls } from '../../support/apiCalls.js';
import { subscribe, until } from '../../support/ws.js';
import { registerPartner } from '../../../src/services/partners.js';
import { Decimal } from '../../../src/domain/money.js';
import { MAX_ARRANGEMENT_VERSIONS, partnerPrincipal, splitCollection, type ArrangementTerms, type LoanParticipation } from '../../../src/domain/servicing/coLending.js';
import { decideArrangement, proposeArrangement } from '../../../src/services/coLending/arrangements.js';

let server: TestServer;
const { call, mutate, advance } = apiCalls(() => server);
let tenant: TenantRecord;
let admin: string;
let maker: string;
let checker: string;
let officer: string;
let servicing: string;
let partnerOne: string;
let partnerTwo: string;

let keys = 0;
const key = () => `co-lending-${Date.now()}-${keys++}`;

const PROPOSE = `mutation($input: ProposeCoLendingArrangementInput!) { proposeCoLendingArrangement(input: $input) { coLendingArrangement { id partnerCode name inForce { version } versions { version status proposedBy } } ${USER_ERRORS} } }`;
const DECIDE = `mutation($input: DecideCoLendingArrangementInput!) { decideCoLendingArrangement(input: $input) { coLendingArrangement { id inForce { version sharePercent model decidedBy guarantee { capPercent triggerDaysPastDue } } } ${USER_ERRORS} } }`;
const ASSIGN = `mutation($input: AssignLoanParticipationInput!) { assignLoanParticipation(input: $input) { loanParticipation { id sharePercent from funded principalOutstanding collected } ${USER_ERRORS} } }`;
const SHARES = `{ loanParticipations(first: 5) { edges { node { id loanNumber partnerCode sharePercent from funded principalOutstanding collected borrowerRatePercent borrower { initials }
  loanStatus daysPastDue delinquencyBucket assetClass collectionStatus { open } expectedSchedule { number principal interest servicingFee total } } } } }`;

const amount = (money: string) => new Decimal(money.split(' ')[0]!);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('colend'), { sandbox: true, businessDate: '2026-01-05' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'co-lending-admin' });
  maker = await devToken(server.runtime, 'finance', tenant.slug, { subject: 'co-lending-maker' });
  checker = await devToken(server.runtime, 'credit-approver', tenant.slug, { subject: 'co-lending-checker' });
  officer = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'co-lending-officer' });
  servicing = await devToken(server.runtime, 'servicing-agent', tenant.slug, { subject: 'co-lending-servicing' });
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  const setup = { tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: server.runtime.now() };
  for (const code of ['cl-one', 'cl-two']) await registerPartner(db, server.runtime.identity, setup, { code, name: `Co-lender ${code}`, kind: 'colending' });
  partnerOne = await devToken(server.runtime, 'colending-partner', tenant.slug, { partner: { id: 'cl-one', kind: 'colending' } });
  partnerTwo = await devToken(server.runtime, 'colending-partner', tenant.slug, { partner: { id: 'cl-two', kind: 'colending' } });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('co-lending', () => {
  it('takes shares under approved arrangements, posts each partner\'s parts, shows partners only their share, and the books hold', { timeout: 600_000 }, async () => {
    // The rules until the lender sets its own: the 2025 values.
    expect((await call(partnerOne, '{ coLendingRules { minimumRetentionPercent maximumGuaranteePercent assignmentWindowDays lendersOwn } }'))['coLendingRules'])
      .toEqual({ minimumRetentionPercent: '10', maximumGuaranteePercent: '5', assignmentWindowDays: 15, lendersOwn: false });

    // An arrangement: refused beyond the rules, naming the field; proposed by one person, approved by another.
    const terms = {
      partnerCode: 'cl-one', name: 'Personal loans pool', currency: tenant.currency, sharePercent: '80', partnerRatePercent: '10', model: 'PRINCIPAL_PLUS_PARTNER_RATE',
      servicingFeePercent: '0.5', guarantee: { capPercent: '5', triggerDaysPastDue: 90 }, productCodes: ['PL-STD'], validFrom: '2026-01-01',
    };
    expect((await mutate(maker, 'proposeCoLendingArrangement', PROPOSE, { ...terms, sharePercent: '95' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.sharePercent' })]);
    expect((await mutate(maker, 'proposeCoLendingArrangement', PROPOSE, { ...terms, guarantee: { capPercent: '6', triggerDaysPastDue: 90 } })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.guarantee.capPercent' })]);
    expect((await mutate(maker, 'proposeCoLendingArrangement', PROPOSE, { ...terms, productCodes: ['NOPE'] })).errors)
      .toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.productCodes[0]' })]);
    expect(codes(await gql(server.gateway, PROPOSE, { token: officer, variables: { input: terms } }))).toEqual(['FORBIDDEN']);
    // A tenant admin may both propose and approve, but never approve what it proposed itself.
    const proposed = await mutate(admin, 'proposeCoLendingArrangement', PROPOSE, terms);
    expect(proposed.errors).toEqual([]);
    const arrangementId = proposed.data.coLendingArrangement.id as string;
    expect(proposed.data.coLendingArrangement).toMatchObject({ inForce: null, versions: [{ version: 1, status: 'PENDING', proposedBy: 'co-lending-admin' }] });
    expect(codes(await gql(server.gateway, DECIDE, { token: maker, variables: { input: { arrangementId, version: 1, approve: true } } }))).toEqual(['FORBIDDEN']);
    expect((await mutate(admin, 'decideCoLendingArrangement', DECIDE, { arrangementId, version: 1, approve: true })).errors)
      .toEqual([expect.objectContaining({ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER' })]);
    // An arrangement that is not there is named as such, not as a version number at fault.
    const elsewhere = globalIdOf('CoLendingArrangement', randomUUID());
    expect((await mutate(checker, 'decideCoLendingArrangement', DECIDE, { arrangementId: elsewhere, version: 1, approve: true })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.arrangementId' })]);
    expect((await mutate(checker, 'decideCoLendingArrangement', DECIDE, { arrangementId, version: 9, approve: true })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.version' })]);
    const decided = await mutate(checker, 'decideCoLendingArrangement', DECIDE, { arrangementId, version: 1, approve: true });
    expect(decided.errors).toEqual([]);
    expect(decided.data.coLendingArrangement.inForce).toEqual({ version: 1, sharePercent: '80', model: 'PRINCIPAL_PLUS_PARTNER_RATE', decidedBy: 'co-lending-checker', guarantee: { capPercent: '5', triggerDaysPastDue: 90 } });
    // The second partner's arrangement: a collection share of 15 %.
    const second = await mutate(maker, 'proposeCoLendingArrangement', PROPOSE, { ...terms, partnerCode: 'cl-two', name: 'Second pool', sharePercent: '15', model: 'COLLECTION_SHARE', guarantee: null });
    const secondId = second.data.coLendingArrangement.id as string;
    expect((await mutate(checker, 'decideCoLendingArrangement', DECIDE, { arrangementId: secondId, version: 1, approve: true })).errors).toEqual([]);

    // A loan shared on its disbursement date: the partner funds 80 % of the principal with the payout.
    const book = async () => {
      const { errors, data } = await mutate(officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id number } ${USER_ERRORS} } }`,
        { idempotencyKey: key(), productCode: 'PL-STD', principal: '10000', numberOfRepayments: 12, disbursementDate: tenant.businessDate });
      expect(errors).toEqual([]);
      return data.loan as { id: string; number: string };
    };
    const l1 = await book();
    const assigned = await mutate(officer, 'assignLoanParticipation', ASSIGN, { loanId: l1.id, arrangementId });
    expect(assigned.errors).toEqual([]);
    expect(assigned.data.loanParticipation).toMatchObject({ sharePercent: '80', from: '2026-01-05', funded: '8000.00 USD', principalOutstanding: '8000.00 USD', collected: '0.00 USD' });
    // The lender must keep 10 %: a second partner's 15 % on top of 80 % is refused, as is a second share for the same partner.
    expect((await mutate(officer, 'assignLoanParticipation', ASSIGN, { loanId: l1.id, arrangementId: secondId })).errors)
      .toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.loanId' })]);
    expect((await mutate(officer, 'assignLoanParticipation', ASSIGN, { loanId: l1.id, arrangementId })).errors)
      .toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.loanId' })]);
    const mine = async (token: string) => (await call(token, SHARES))['loanParticipations'].edges.map((e: { node: Record<string, unknown> }) => e.node) as Record<string, unknown>[];
    const l2 = await book();
    expect((await mutate(officer, 'assignLoanParticipation', ASSIGN, { loanId: l2.id, arrangementId: secondId })).errors).toEqual([]);
    // A new version in force with limits: loans keep the version they were assigned under; new shares are held to it.
    const limited = async (extra: Record<string, unknown>) => {
      const proposedAgain = await mutate(maker, 'proposeCoLendingArrangement', PROPOSE, { arrangementId: secondId, ...terms, partnerCode: undefined, name: undefined, currency: undefined, sharePercent: '15', model: 'COLLECTION_SHARE', guarantee: null, ...extra });
      expect(proposedAgain.errors).toEqual([]);
      const version = Math.max(...proposedAgain.data.coLendingArrangement.versions.map((v: { version: number }) => v.version));
      expect((await mutate(checker, 'decideCoLendingArrangement', DECIDE, { arrangementId: secondId, version, approve: true })).errors).toEqual([]);
    };
    const refusedShare = async () => (await mutate(officer, 'assignLoanParticipation', ASSIGN, { loanId: (await book()).id, arrangementId: secondId })).errors;
    await limited({ maxLoanPrincipal: '5000' });
    expect(await refusedShare()).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.arrangementId', message: expect.stringContaining('up to 5000') })]);
    await limited({ totalLimit: '2000' });
    expect(await refusedShare()).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.arrangementId', message: expect.stringContaining('at most 2000') })]);
    await limited({ validTo: '2026-01-04' });
    expect(await refusedShare()).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.arrangementId', message: expect.stringContaining('valid from 2026-01-01 to 2026-01-04') })]);
    await limited({ productCodes: ['SME-WC'] });
    expect(await refusedShare()).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.arrangementId', message: expect.stringContaining('PL-STD') })]);
    expect((await mine(partnerTwo)).map((p) => p['sharePercent'])).toEqual(['15']);

    const balances = async (asOf: string) => {
      const data = await call(admin, `{ trialBalance(asOf: "${asOf}") { lines { account balance } } }`);
      return Object.fromEntries(data['trialBalance'].lines.map((l: { account: string; balance: string }) => [l.account, l.balance])) as Record<string, string>;
    };
    // Partners' accounts open with their first approved arrangement, numbered in turn.
    expect(await balances('2026-01-05')).toMatchObject({ '2210-1': '-8000.00 USD', '2210-2': '-1500.00 USD', 1000: '-50500.00 USD' }); // six loans of 10,000 paid out, 9,500 funded by the partners

    // A loan shared three days after its payout funds its share of the principal owed then.
    const l3 = await book();
    await advance(admin, 3);
    const late = await mutate(officer, 'assignLoanParticipation', ASSIGN, { loanId: l3.id, arrangementId });
    expect(late.errors).toEqual([]);
    expect(late.data.loanParticipation).toMatchObject({ from: '2026-01-08', funded: '8000.00 USD' });

    // The first instalment paid on its due date: the partner's parts go to its payable.
    await advance(admin, 28); // 2026-02-05
    const LOAN = `query($id: ID!) { node(id: $id) { ... on Loan { daysPastDue assetClass receivable { principal } account { instalments { number charged { principal interest } } } } } }`;
    const first = (await call(admin, LOAN, { id: l1.id }))['node'].account.instalments[0];
    const due = amount(first.charged.principal).plus(amount(first.charged.interest));
    // The partner follows its money live: its share's change reaches its event stream.
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${partnerOne}` }, 'subscription { events(after: "0", types: ["loan.coLendingShareChanged"]) { type payload } }');
    const otherLive = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${partnerTwo}` }, 'subscription { events(after: "0", types: ["loan.coLendingShareChanged"]) { type payload } }');
    const repaid = await mutate(servicing, 'postRepayment', `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), loanId: l1.id, amount: due.toFixed(2), valueDate: '2026-02-05', channel: 'card' });
    expect(repaid.errors).toEqual([]);
    const participation: LoanParticipation = {
      partnerCode: 'cl-one', sharePercent: new Decimal(80), model: 'principalPlusPartnerRate', partnerRatePercent: new Decimal(10), servicingFeePercent: new Decimal('0.5'),
      sharesFees: false, sharesPenalties: false, from: '2026-01-05', emiInterestRatio: null, accounts: { payable: '2200-1', funded: '2210-1', servicingFee: '4400-1' },
    };
    const split = splitCollection([participation], { principal: amount(first.charged.principal), interest: amount(first.charged.interest), fee: new Decimal(0), penalty: new Decimal(0) },
      new Decimal(10000), new Decimal('14.9'), 'USD').partners[0]!;
    const collectedLive = (r: Record<string, any>) => r['data']?.events.payload.collected === `${split.total.toFixed(2)} USD`;
    await until(() => live.results.some(collectedLive));
    expect(live.results.every((r) => r['data']?.events.payload.partnerCode === 'cl-one')).toBe(true);
    await live.stop();
    // The other partner's stream has its own share's funding only.
    await until(() => otherLive.results.length > 0);
    expect(otherLive.results.map((r) => r['data']?.events.payload.partnerCode)).toEqual(['cl-two']);
    await otherLive.stop();
    const afterRepayment = (await mine(partnerOne)).find((p) => p['loanNumber'] === l1.number)!;
    expect(afterRepayment['collected']).toBe(`${split.total.toFixed(2)} USD`);
    const owed = amount((await call(admin, LOAN, { id: l1.id }))['node'].receivable.principal);
    expect(afterRepayment['principalOutstanding']).toBe(`${partnerPrincipal(new Decimal(80), owed, 'USD').toFixed(2)} USD`);
    expect(await balances('2026-02-05')).toMatchObject({ '2200-1': `${split.total.negated().toFixed(2)} USD`, '4400-1': `${split.servicingFee.negated().toFixed(2)} USD` });
    // The borrower pays 14.9 %; the partner earns 10 % on its 80 %, so the lender earns 34.5 % on the 20 % it keeps.
    expect(afterRepayment).toMatchObject({ borrowerRatePercent: '14.9', loanStatus: 'ACTIVE', daysPastDue: 0, borrower: null });
    // The lender's own rate is worked out from every partner's terms: its staff read it, a partner never.
    const staffShares = (await call(admin, '{ loanParticipations(first: 10, partnerCode: "cl-one") { edges { node { loanNumber lenderRatePercent } } } }'))['loanParticipations'].edges;
    expect(staffShares.find((e: { node: { loanNumber: string } }) => e.node.loanNumber === l1.number).node.lenderRatePercent).toBe('34.5');
    expect(codes(await gql(server.gateway, '{ loanParticipations(first: 1) { edges { node { lenderRatePercent } } } }', { token: partnerOne }))).toEqual(['FORBIDDEN']);
    const expected = afterRepayment['expectedSchedule'] as { principal: string }[];
    expect(expected).toHaveLength(12);
    expect(expected.reduce((s, i) => s.plus(amount(i.principal)), new Decimal(0)).toFixed(2)).toBe('8000.00');

    // End of day settles T+1: the next day, what the partner was owed through the repayment's date is paid.
    const SETTLEMENTS = `{ coLendingSettlements(first: 5) { edges { node { number partnerCode through collections adjustments amount csvPath pdfPath lines { loanNumber valueDate amount adjustment } } } } }`;
    const settlements = async (token: string) => (await call(token, SETTLEMENTS))['coLendingSettlements'].edges.map((e: { node: Record<string, unknown> }) => e.node) as Record<string, unknown>[];
    await advance(admin, 1); // 2026-02-06
    const paidOut = split.total.toFixed(2);
    expect(await settlements(partnerOne)).toEqual([expect.objectContaining({
      number: 1, partnerCode: 'cl-one', through: '2026-02-05', collections: `${paidOut} USD`, adjustments: '0.00 USD', amount: `${paidOut} USD`,
      lines: [{ loanNumber: l1.number, valueDate: '2026-02-05', amount: `${paidOut} USD`, adjustment: false }],
    })]);
    expect(await settlements(partnerTwo)).toEqual([]);
    expect((await balances('2026-02-06'))['2200-1']).toBe('0.00 USD');

    // The repayment reversed after it was settled: the partner's parts come back out of its payable, as a correction;
    // the next settlement would take them back, so nothing is paid until collections cover it.
    expect((await mutate(servicing, 'reverseLoanTransaction', `mutation($input: ReverseLoanTransactionInput!) { reverseLoanTransaction(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), transactionId: repaid.data.loanTransaction.id, reason: 'payment returned' })).errors).toEqual([]);
    expect((await mine(partnerOne)).find((p) => p['loanNumber'] === l1.number)).toMatchObject({ collected: '0.00 USD', principalOutstanding: '8000.00 USD' });
    await advance(admin, 1); // 2026-02-07
    expect(await settlements(partnerOne)).toHaveLength(1);
    expect((await balances('2026-02-07'))['2200-1']).toBe(`${split.total.toFixed(2)} USD`);
    // Twice the instalment paid: the next settlement pays the new collections less the correction, as an adjustment.
    expect((await mutate(servicing, 'postRepayment', `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), loanId: l1.id, amount: due.times(2).toFixed(2), valueDate: '2026-02-07', channel: 'card' })).errors).toEqual([]);
    const collectedAgain = amount((await mine(partnerOne)).find((p) => p['loanNumber'] === l1.number)!['collected'] as string);
    expect(collectedAgain.gt(split.total)).toBe(true);
    await advance(admin, 1); // 2026-02-08
    const settledAgain = (await settlements(partnerOne)).find((x) => x['number'] === 2)!;
    expect(settledAgain).toMatchObject({
      through: '2026-02-07', collections: `${collectedAgain.toFixed(2)} USD`, adjustments: `${split.total.negated().toFixed(2)} USD`,
      amount: `${collectedAgain.minus(split.total).toFixed(2)} USD`,
    });
    expect(settledAgain['lines']).toEqual(expect.arrayContaining([{ loanNumber: l1.number, valueDate: '2026-02-05', amount: `${split.total.negated().toFixed(2)} USD`, adjustment: true }]));
    expect((await balances('2026-02-08'))['2200-1']).toBe('0.00 USD');

    // The statement as CSV and PDF, for the partner; the escrow transfer instruction for finance only, once its accounts are set.
    const download = (path: string, token: string) => fetch(`${server.gateway.url.replace(/\/$/, '')}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const csv = await (await download(settledAgain['csvPath'] as string, partnerOne)).text();
    expect(csv).toContain(`line,${l1.number},2026-02-05,adjustment,${split.total.negated().toFixed(2)}\r\n`);
    expect(csv).toContain(`total,,,settled,${collectedAgain.minus(split.total).toFixed(2)}\r\n`);
    const pdf = await download(settledAgain['pdfPath'] as string, partnerOne);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await download(settledAgain['csvPath'] as string, partnerTwo)).status).toBe(404);
    // An id that names no settlement at all (a global id around no UUID) is as unknown as another's, never a 500.
    const nowhere = encodeURIComponent(Buffer.from('CoLendingSettlement:nope').toString('base64'));
    for (const suffix of ['.csv', '.pdf', '.instruction.csv']) expect((await download(`/settlements/colending/${nowhere}${suffix}`, maker)).status).toBe(404);
    const instructionPath = (settledAgain['csvPath'] as string).replace(/\.csv$/, '.instruction.csv');
    expect((await download(instructionPath, partnerOne)).status).toBe(403);
    expect((await download(instructionPath, maker)).status).toBe(409);
    const TERMS = `mutation($input: SetCoLenderSettlementInput!) { setCoLenderSettlement(input: $input) { coLenderSettlementTerms { settlementLagDays escrowAccount beneficiaryAccountMasked } ${USER_ERRORS} } }`;
    expect((await mutate(maker, 'setCoLenderSettlement', TERMS, { partnerCode: 'cl-one', settlementLagDays: 31 })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.settlementLagDays' })]);
    const set = await mutate(maker, 'setCoLenderSettlement', TERMS, { partnerCode: 'cl-one', settlementLagDays: 1, escrowAccount: 'ESCROW-0001', beneficiaryName: 'Co-lender One', beneficiaryAccount: '000123456789', beneficiaryBankCode: 'CLON0001' });
    expect(set.data.coLenderSettlementTerms).toEqual({ settlementLagDays: 1, escrowAccount: 'ESCROW-0001', beneficiaryAccountMasked: '••••••••6789' });
    const instruction = await (await download(instructionPath, maker)).text();
    expect(instruction.split('\r\n')[1]).toBe(`cl-one-2,2026-02-08,ESCROW-0001,Co-lender One,000123456789,CLON0001,USD,${collectedAgain.minus(split.total).toFixed(2)},Settlement 2 to cl-one through 2026-02-07`);

    // What a co-lending partner reads: its own shares only, never the loan itself or another partner's share.
    expect((await mine(partnerOne)).map((p) => p['loanNumber']).sort()).toEqual([l1.number, l3.number].sort());
    expect((await mine(partnerTwo)).map((p) => p['loanNumber'])).toEqual([l2.number]);
    expect((await call(partnerOne, `{ node(id: "${l1.id}") { id ... on Loan { principal } } }`))['node']).toBeNull();
    expect(codes(await gql(server.gateway, '{ loans(first: 5) { edges { node { id } } } }', { token: partnerOne }))).toEqual(['FORBIDDEN']);
    expect((await call(partnerTwo, '{ coLendingArrangements { partnerCode } }'))['coLendingArrangements']).toEqual([{ partnerCode: 'cl-two' }]);
    const oneShare = (await mine(partnerOne))[0]!;
    expect((await call(partnerTwo, `{ node(id: "${oneShare['id']}") { id } }`))['node']).toBeNull();
    expect((await gql(server.gateway, `{ loanParticipations(first: 5) { edges { node { loan { id } } } } }`, { token: partnerOne })).errors?.map((e) => e.extensions?.['code'])).toContain('FORBIDDEN');

    // Unpaid, a loan falls behind: both lenders see the same days past due, class and collections (no case notes).
    await advance(admin, 7); // 2026-02-15: the third loan's first instalment is ten days past due
    const staffView = (await call(admin, LOAN, { id: l3.id }))['node'];
    const partnerView = (await mine(partnerOne)).find((p) => p['loanNumber'] === l3.number)!;
    expect(staffView.daysPastDue).toBe(10);
    expect(partnerView).toMatchObject({ daysPastDue: staffView.daysPastDue, assetClass: staffView.assetClass, loanStatus: 'OVERDUE', collectionStatus: { open: true } });

    // Outside the window (15 days after the payout) a share is refused.
    const l4 = await book();
    await advance(admin, 16);
    expect((await mutate(officer, 'assignLoanParticipation', ASSIGN, { loanId: l4.id, arrangementId })).errors)
      .toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.loanId' })]);

    // Partners' rates that would take more than the borrower pays are refused: here 50 % at 40 % of a loan at 14.9 %.
    const greedy = await mutate(maker, 'proposeCoLendingArrangement', PROPOSE, { ...terms, partnerCode: 'cl-two', name: 'High rate pool', sharePercent: '50', partnerRatePercent: '40', guarantee: null });
    expect((await mutate(checker, 'decideCoLendingArrangement', DECIDE, { arrangementId: greedy.data.coLendingArrangement.id, version: 1, approve: true })).errors).toEqual([]);
    const l5 = await mutate(officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), productCode: 'PL-STD', principal: '10000', numberOfRepayments: 12, disbursementDate: '2026-03-03' });
    expect((await mutate(officer, 'assignLoanParticipation', ASSIGN, { loanId: l5.data.loan.id, arrangementId: greedy.data.coLendingArrangement.id })).errors)
      .toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.arrangementId', message: expect.stringContaining('less than the partners') })]);

    // The partner was told of its arrangement and its shares; the other partner of none of them.
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    // Each posting that moved its money told it how much, and end of day told it of its loans' delinquency.
    const changes = (await db.outboxEvent.findMany({ where: { partnerScope: 'cl-one', type: 'loan.coLendingShareChanged' }, orderBy: { recorded: 'asc' } }))
      .map((e) => e.payload as { collected: string; principal: string; status: string });
    expect(changes.map((c) => [c.collected, c.principal]).slice(0, 4)).toEqual([
      ['0.00 USD', '8000.00 USD'], ['0.00 USD', '8000.00 USD'],
      [`${split.total.toFixed(2)} USD`, `${split.principal.negated().toFixed(2)} USD`],
      [`${split.total.negated().toFixed(2)} USD`, `${split.principal.toFixed(2)} USD`],
    ]);
    expect(changes[4]!.collected).toBe(`${collectedAgain.toFixed(2)} USD`);
    expect((await db.outboxEvent.findMany({ where: { partnerScope: 'cl-one', type: 'coLendingSettlement.posted' }, orderBy: { recorded: 'asc' } })).map((e) => (e.payload as { amount: string }).amount))
      .toEqual([`${split.total.toFixed(2)} USD`, `${collectedAgain.minus(split.total).toFixed(2)} USD`]);
    expect(await db.outboxEvent.count({ where: { partnerScope: 'cl-two', type: 'loan.coLendingShareChanged' } })).toBe(1);
    const delinquency = await db.outboxEvent.findMany({ where: { partnerScope: 'cl-one', type: 'loan.delinquencyChanged' } });
    expect(delinquency.length).toBeGreaterThan(0);
    expect(JSON.stringify(delinquency.map((e) => e.payload))).toContain(l3.id);
    expect(JSON.stringify((await db.outboxEvent.findMany({ where: { partnerScope: 'cl-two', type: 'loan.delinquencyChanged' } })).map((e) => e.payload))).not.toContain(l3.id);
    const told = async (partner: string) => (await db.outboxEvent.findMany({ where: { partnerScope: partner, type: { startsWith: 'coLendingArrangement.' } } })).length
      + (await db.outboxEvent.findMany({ where: { partnerScope: partner, type: 'loanParticipation.assigned' } })).length;
    expect(await told('cl-one')).toBe(3);
    expect(await told('cl-two')).toBe(7); // six versions approved (two arrangements), one share

    const invariants = (await call(admin, '{ ledgerInvariants { holds participationsOffLedger coLenderPayablesOff loansOffLedger controlAccountsOff } }'))['ledgerInvariants'];
    expect(invariants).toEqual({ holds: true, participationsOffLedger: 0, coLenderPayablesOff: 0, loansOffLedger: 0, controlAccountsOff: 0 });
  });
});

describe('idempotency keys', () => {
  // A lender of its own: the walk above counts every share, settlement and event of its tenant.
  let lender: TenantRecord;
  let lenderAdmin: string;
  let lenderOfficer: string;
  let lenderFinance: string;
  let arrangements: Record<'cl-one' | 'cl-two', string>;
  let loans: { id: string }[];
  const raw = (id: string) => decodeGlobalID(id).id;
  const SETTLE = `mutation($input: SettleCoLenderInput!) { settleCoLender(input: $input) { settlements { id number partnerCode amount } ${USER_ERRORS} } }`;

  beforeAll(async () => {
    lender = await createTenant(server.runtime, uniqueSlug('colend-keys'), { sandbox: true, businessDate: '2026-01-05' });
    lenderAdmin = await devToken(server.runtime, 'tenant-admin', lender.slug, { subject: 'keys-admin' });
    const lenderChecker = await devToken(server.runtime, 'credit-approver', lender.slug, { subject: 'keys-checker' });
    lenderOfficer = await devToken(server.runtime, 'disbursement-officer', lender.slug, { subject: 'keys-officer' });
    lenderFinance = await devToken(server.runtime, 'finance', lender.slug, { subject: 'keys-finance' });
    const setup = { tenant: lender.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: server.runtime.now() };
    const db = server.runtime.tenantClients.forSchema(lender.schemaName);
    arrangements = { 'cl-one': '', 'cl-two': '' };
    for (const [partnerCode, sharePercent] of [['cl-one', '60'], ['cl-two', '20']] as const) {
      await registerPartner(db, server.runtime.identity, setup, { code: partnerCode, name: `Co-lender ${partnerCode}`, kind: 'colending' });
      const proposed = await mutate(lenderAdmin, 'proposeCoLendingArrangement', PROPOSE, {
        partnerCode, name: `${partnerCode} pool`, currency: lender.currency, sharePercent, partnerRatePercent: '10', model: 'COLLECTION_SHARE', productCodes: ['PL-STD'], validFrom: '2026-01-01',
      });
      expect(proposed.errors).toEqual([]);
      arrangements[partnerCode] = proposed.data.coLendingArrangement.id;
      expect((await mutate(lenderChecker, 'decideCoLendingArrangement', DECIDE, { arrangementId: arrangements[partnerCode], version: 1, approve: true })).errors).toEqual([]);
    }
    loans = [];
    for (let k = 0; k < 2; k += 1) {
      const booked = await mutate(lenderOfficer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`,
        { idempotencyKey: key(), productCode: 'PL-STD', principal: '10000', numberOfRepayments: 12, disbursementDate: lender.businessDate });
      expect(booked.errors).toEqual([]);
      loans.push(booked.data.loan);
    }
  }, 120_000);

  it('a share given again under the same key is the share given the first time; another input is refused; another officer\'s key is its own', async () => {
    const db = server.runtime.tenantClients.forSchema(lender.schemaName);
    const shares = () => db.loanParticipation.findMany({ orderBy: { assignedBy: 'asc' } });
    const assign = (token: string, input: Record<string, unknown>) => mutate(token, 'assignLoanParticipation', ASSIGN, { idempotencyKey: 'assign-share-1', ...input });
    const first = await assign(lenderOfficer, { loanId: loans[0]!.id, arrangementId: arrangements['cl-one'] });
    expect(first.errors).toEqual([]);
    expect(first.data.loanParticipation).toMatchObject({ sharePercent: '60', funded: '6000.00 USD' });
    // Without the key the repeat is refused (the partner has its share); with it, it is the same share again.
    const again = await assign(lenderOfficer, { loanId: loans[0]!.id, arrangementId: arrangements['cl-one'] });
    expect(again).toEqual(first);
    expect((await shares()).map((s) => s.id)).toEqual([raw(first.data.loanParticipation.id)]);
    expect(await db.outboxEvent.count({ where: { type: 'loanParticipation.assigned' } })).toBe(1);

    const changed = await assign(lenderOfficer, { loanId: loans[0]!.id, arrangementId: arrangements['cl-two'] });
    expect(changed.errors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.idempotencyKey' })]);
    expect(await shares()).toHaveLength(1);

    const otherOfficer = await devToken(server.runtime, 'disbursement-officer', lender.slug, { subject: 'keys-officer-2' });
    const theirs = await assign(otherOfficer, { loanId: loans[1]!.id, arrangementId: arrangements['cl-one'] });
    expect(theirs.errors).toEqual([]);
    expect(theirs.data.loanParticipation.id).not.toBe(first.data.loanParticipation.id);
    expect((await shares()).map((s) => [s.loanId, s.assignedBy])).toEqual([[raw(loans[0]!.id), 'keys-officer'], [raw(loans[1]!.id), 'keys-officer-2']]);
  });

  it('a settlement made again under the same key is the settlement made the first time; another input is refused; another person\'s key is its own', async () => {
    const db = server.runtime.tenantClients.forSchema(lender.schemaName);
    // Both partners are owed from one repayment.
    expect((await mutate(lenderOfficer, 'assignLoanParticipation', ASSIGN, { loanId: loans[0]!.id, arrangementId: arrangements['cl-two'] })).errors).toEqual([]);
    expect((await mutate(lenderAdmin, 'postRepayment', `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), loanId: loans[0]!.id, amount: '1000', valueDate: lender.businessDate, channel: 'card' })).errors).toEqual([]);
    const settle = (token: string, partnerCode: string) => mutate(token, 'settleCoLender', SETTLE, { idempotencyKey: 'settle-by-hand-1', partnerCode });
    const first = await settle(lenderFinance, 'cl-one');
    expect(first.errors).toEqual([]);
    expect(first.data.settlements).toEqual([expect.objectContaining({ number: 1, partnerCode: 'cl-one' })]);
    const again = await settle(lenderFinance, 'cl-one');
    expect(again).toEqual(first);
    expect(await db.coLendingSettlement.count()).toBe(1);
    expect(await db.outboxEvent.count({ where: { type: 'coLendingSettlement.posted' } })).toBe(1);

    const changed = await settle(lenderFinance, 'cl-two');
    expect(changed.errors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.idempotencyKey' })]);
    expect(await db.coLendingSettlement.count()).toBe(1);

    const otherFinance = await devToken(server.runtime, 'finance', lender.slug, { subject: 'keys-finance-2' });
    const theirs = await settle(otherFinance, 'cl-two');
    expect(theirs.errors).toEqual([]);
    expect(theirs.data.settlements).toEqual([expect.objectContaining({ number: 1, partnerCode: 'cl-two' })]);
    expect((await db.coLendingSettlement.findMany({ orderBy: { partnerCode: 'asc' } })).map((s) => [s.id, s.createdBy]))
      .toEqual([[raw(first.data.settlements[0].id), 'keys-finance'], [raw(theirs.data.settlements[0].id), 'keys-finance-2']]);
    // The first answer still stands for its key, though nothing is owed now.
    expect(await settle(lenderFinance, 'cl-one')).toEqual(first);
  });

  it('after a restructure sets a new rate, the shares show the rate the borrower pays now, and the lender\'s from it', async () => {
    const RATES = '{ loanParticipations(first: 10) { edges { node { loanNumber partnerCode borrowerRatePercent lenderRatePercent } } } }';
    const rates = async () => (await call(lenderAdmin, RATES))['loanParticipations'].edges.map((e: { node: Record<string, string> }) => e.node)
      .filter((n: Record<string, string>) => n['partnerCode'] === 'cl-two');
    // Booked at 14.9 %, 60 % and 20 % of it lent by partners at 10 %: the lender keeps 20 % at (14.9 − 8) / 0.2.
    expect(await rates()).toEqual([expect.objectContaining({ borrowerRatePercent: '14.9', lenderRatePercent: '34.5' })]);
    const asked = await mutate(lenderAdmin, 'requestLoanRestructure', `mutation($input: RequestLoanRestructureInput!) { requestLoanRestructure(input: $input) { loanRestructureRequest { id } ${USER_ERRORS} } }`,
      { loanId: loans[0]!.id, capitaliseArrears: false, annualRatePercent: '12', reason: 'hardship: a lower rate from today' });
    expect(asked.errors).toEqual([]);
    const checker = await devToken(server.runtime, 'credit-approver', lender.slug, { subject: 'keys-restructure-checker' });
    const decided = await mutate(checker, 'decideLoanRestructure', `mutation($input: DecideLoanRestructureInput!) { decideLoanRestructure(input: $input) { loanRestructureRequest { status } ${USER_ERRORS} } }`,
      { requestId: asked.data.loanRestructureRequest.id, approve: true });
    expect(decided.errors).toEqual([]);
    expect(await rates()).toEqual([expect.objectContaining({ borrowerRatePercent: '12', lenderRatePercent: '20' })]);
  });
});

describe('an arrangement\'s versions', () => {
  // A lender of its own, whose one arrangement has as many versions as an arrangement may have.
  let lender: TenantRecord;
  let lenderAdmin: string;
  let lenderPartner: string;
  let arrangementId: string;
  const ARRANGEMENTS = `{ coLendingArrangements { id name partnerCode inForce { version sharePercent }
    versions { version status sharePercent partnerRatePercent model guarantee { capPercent triggerDaysPastDue } validFrom proposedBy decidedBy } } }`;

  beforeAll(async () => {
    lender = await createTenant(server.runtime, uniqueSlug('colend-versions'), { sandbox: true, businessDate: '2026-01-05' });
    lenderAdmin = await devToken(server.runtime, 'tenant-admin', lender.slug, { subject: 'versions-admin' });
    lenderPartner = await devToken(server.runtime, 'colending-partner', lender.slug, { partner: { id: 'cl-versions', kind: 'colending' } });
    const db = server.runtime.tenantClients.forSchema(lender.schemaName);
    const as = (subject: string) => ({ tenant: lender.slug, actor: { subject, roles: ['tenant-admin'], partner: null, clientId: null, requestId: subject }, now: server.runtime.now() });
    await registerPartner(db, server.runtime.identity, as('test-setup'), { code: 'cl-versions', name: 'Co-lender of many versions', kind: 'colending' });
    const terms = (version: number): ArrangementTerms => ({
      sharePercent: new Decimal(20 + version), partnerRatePercent: new Decimal(10), model: 'collectionShare', servicingFeePercent: new Decimal(0),
      guarantee: { capPercent: new Decimal(5), triggerDaysPastDue: 90 }, sharesFees: false, sharesPenalties: false, productCodes: ['PL-STD'],
      maxLoanPrincipal: null, totalLimit: null, validFrom: '2026-01-01', validTo: null, borrowerData: 'none',
    });
    for (let version = 1; version <= MAX_ARRANGEMENT_VERSIONS; version += 1) {
      const proposal = version === 1
        ? { partnerCode: 'cl-versions', name: 'Revised often', currency: lender.currency, terms: terms(version) }
        : { arrangementId, terms: terms(version) };
      arrangementId = (await proposeArrangement(db, as('versions-maker'), proposal)).arrangementId;
      await decideArrangement(db, as('versions-checker'), { arrangementId, version, approve: true, reason: null });
    }
  }, 120_000);

  it('a page of arrangements is read with every version of each, by the partner and by the lender\'s staff; one asking for far more is still refused', async () => {
    for (const [reader, decidedBy] of [[lenderPartner, 'lender'], [lenderAdmin, 'versions-checker']] as const) {
      const [arrangement] = (await call(reader, ARRANGEMENTS))['coLendingArrangements'] as { inForce: unknown; versions: Record<string, unknown>[] }[];
      expect(arrangement!.inForce).toEqual({ version: MAX_ARRANGEMENT_VERSIONS, sharePercent: String(20 + MAX_ARRANGEMENT_VERSIONS) });
      expect(arrangement!.versions.map((v) => [v['version'], v['status']])).toEqual(Array.from({ length: MAX_ARRANGEMENT_VERSIONS }, (_, k) => [k + 1, k + 1 === MAX_ARRANGEMENT_VERSIONS ? 'APPROVED' : 'SUPERSEDED']));
      expect(arrangement!.versions[0]).toMatchObject({ sharePercent: '21', guarantee: { capPercent: '5', triggerDaysPastDue: 90 }, decidedBy });
    }
    // Every version of every arrangement, each with every version of its arrangement again: far past the node limit.
    const abusive = await gql(server.gateway, '{ coLendingArrangements { versions { arrangement { versions { version } } } } }', { token: lenderPartner });
    expect(abusive.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_LARGE' }) })]);
  });

  it(`an arrangement takes at most ${MAX_ARRANGEMENT_VERSIONS} versions: one more is refused naming the arrangement, and nothing is written`, async () => {
    const db = server.runtime.tenantClients.forSchema(lender.schemaName);
    const refused = await mutate(lenderAdmin, 'proposeCoLendingArrangement', PROPOSE, {
      arrangementId: encodeGlobalID('CoLendingArrangement', arrangementId), sharePercent: '30', partnerRatePercent: '10', model: 'COLLECTION_SHARE', productCodes: ['PL-STD'], validFrom: '2026-01-01',
    });
    expect(refused.errors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.arrangementId', message: expect.stringContaining('a new arrangement') })]);
    expect(await db.coLendingArrangementVersion.count()).toBe(MAX_ARRANGEMENT_VERSIONS);
    expect(await db.outboxEvent.count({ where: { type: 'coLendingArrangement.proposed' } })).toBe(MAX_ARRANGEMENT_VERSIONS);
  });
});
