// Collections over GraphQL on a sandbox lender's clock: a supervisor sets the rules (PL-STD's loans from the first
// day past due, to two collectors in turn for 1-30 and a third for 31-60; SME-WC's from the fifth day, to nobody);
// end of day opens the cases and hands them round; each collector sees only their own queue and works only their
// own cases; one promise is kept by two part payments, one broken by a part payment and escalates its case; a cured
// loan's case closes; a supervisor reassigns by hand; a collector who leaves gives up their cases in turn; a roll into 31-60 hands cases on to that bucket's collector;
// the figures (roll rates between month closes among them), timelines and events say the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, staffToken, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { apiCalls } from '../../support/apiCalls.js';

let server: TestServer;
const { call, mutate, advance: advanceBy } = apiCalls(() => server);
let tenant: TenantRecord;
let admin: string;
let supervisor: string;
let agentA: string;
let agentB: string;
let agentC: string;
const staff: Record<string, string> = {};

let keys = 0;
const key = () => `collections-${Date.now()}-${keys++}`;

/** Whether the mutation was refused outright, as a field its caller has no rule for. */
async function forbidden(token: string, document: string, input: Record<string, unknown>) {
  const response = await gql(server.gateway, document, { token, variables: { input } });
  return codes(response).length === 1 && codes(response)[0] === 'FORBIDDEN';
}

const CASES = `query($first: Int, $bucket: String, $assignedTo: ID, $status: CollectionCaseStatus, $unassigned: Boolean) {
  collectionCases(first: $first, bucket: $bucket, assignedTo: $assignedTo, status: $status, unassigned: $unassigned) {
    totalCount edges { node { id status bucket daysPastDue escalationLevel closeReason assignedTo { staffMemberId displayName } loan { id } } }
  }
}`;
type Case = { id: string; status: string; bucket: string; daysPastDue: number; escalationLevel: number; closeReason: string | null; assignedTo: { staffMemberId: string; displayName: string } | null; loan: { id: string } };

async function cases(token: string, variables: Record<string, unknown> = {}): Promise<{ totalCount: number; cases: Case[] }> {
  const data = await call(token, CASES, { first: 50, ...variables });
  return { totalCount: data['collectionCases'].totalCount, cases: data['collectionCases'].edges.map((e: { node: Case }) => e.node) };
}

const caseOf = async (loanId: string, status = 'OPEN') => (await cases(supervisor, { status })).cases.find((c) => c.loan.id === loanId);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('collections'), { sandbox: true, businessDate: '2026-01-05' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'collections-admin' });
  for (const [name, role] of [['a', 'COLLECTIONS_AGENT'], ['b', 'COLLECTIONS_AGENT'], ['c', 'COLLECTIONS_AGENT'], ['s', 'COLLECTIONS_SUPERVISOR']] as const) {
    const { errors, data } = await mutate(admin, 'inviteStaffMember', `mutation($input: InviteStaffMemberInput!) { inviteStaffMember(input: $input) { staffMember { id } ${USER_ERRORS} } }`,
      { email: `collector-${name}@lender.example`, displayName: `Collector ${name.toUpperCase()}`, roles: [role] });
    expect(errors).toEqual([]);
    staff[name] = data.staffMember.id;
  }
  [agentA, agentB, agentC, supervisor] = (await Promise.all(['a', 'b', 'c', 's'].map((name) => staffToken(server.runtime, tenant, `collector-${name}@lender.example`)))) as [string, string, string, string];
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('collection cases through end of day', () => {
  it('opens, assigns, works, judges, escalates, closes and hands on cases as the rules say', { timeout: 600_000 }, async () => {
    const RULE = `mutation($input: SetCollectionRuleInput!) { setCollectionRule(input: $input) { collectionRule { openAtDays product { code } collectors { bucket collectors { displayName } } } ${USER_ERRORS} } }`;
    // A collector may not set rules; a bucket the product does not have, or a collector who is not one, is refused naming the field.
    expect(await forbidden(agentA, RULE, { openAtDays: 1, collectors: [] })).toBe(true);
    expect((await mutate(supervisor, 'setCollectionRule', RULE, { productCode: 'PL-STD', openAtDays: 1, collectors: [{ bucket: '1-45', staffMemberIds: [staff['a']] }] })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.collectors[0].bucket' })]);
    const officerInvite = await mutate(admin, 'inviteStaffMember', `mutation($input: InviteStaffMemberInput!) { inviteStaffMember(input: $input) { staffMember { id } ${USER_ERRORS} } }`,
      { email: 'officer@lender.example', displayName: 'Officer', roles: ['LOAN_OFFICER'] });
    expect((await mutate(supervisor, 'setCollectionRule', RULE, { productCode: 'PL-STD', openAtDays: 1, collectors: [{ bucket: '1-30', staffMemberIds: [staff['a'], officerInvite.data.staffMember.id] }] })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.collectors[0].staffMemberIds[1]' })]);
    expect(await mutate(supervisor, 'setCollectionRule', RULE, { productCode: 'PL-STD', openAtDays: 1, collectors: [{ bucket: '1-30', staffMemberIds: [staff['a'], staff['b']] }, { bucket: '31-60', staffMemberIds: [staff['c']] }] }))
      .toEqual({ errors: [], data: expect.objectContaining({ collectionRule: { openAtDays: 1, product: { code: 'PL-STD' }, collectors: [{ bucket: '1-30', collectors: [{ displayName: 'Collector A' }, { displayName: 'Collector B' }] }, { bucket: '31-60', collectors: [{ displayName: 'Collector C' }] }] } }) });
    expect((await mutate(supervisor, 'setCollectionRule', RULE, { productCode: 'SME-WC', openAtDays: 5, collectors: [] })).errors).toEqual([]);
    const rules = await call(agentA, '{ collectionRules { openAtDays product { code } } }');
    expect(rules['collectionRules']).toEqual([{ openAtDays: 1, product: null }, { openAtDays: 1, product: { code: 'PL-STD' } }, { openAtDays: 5, product: { code: 'SME-WC' } }]);

    // Four personal loans and one working-capital loan, none ever paid on time.
    const officer = await devToken(server.runtime, 'disbursement-officer', tenant.slug);
    const book = async (productCode: string, principal: string) => {
      const { errors, data } = await mutate(officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`,
        { idempotencyKey: key(), productCode, principal, numberOfRepayments: 6, disbursementDate: '2026-01-05' });
      expect(errors).toEqual([]);
      return data.loan.id as string;
    };
    const [l1, l2, l3, l4] = [await book('PL-STD', '6000'), await book('PL-STD', '6000'), await book('PL-STD', '6000'), await book('PL-STD', '6000')];
    const sme = await book('SME-WC', '12000');

    await advanceBy(admin, 32); // 2026-02-06: the first instalments (due 5 February) are a day past due.
    const opened = await cases(supervisor);
    expect(opened.totalCount).toBe(4);
    expect(opened.cases.map((c) => c.loan.id).sort()).toEqual([l1, l2, l3, l4].sort());
    expect(opened.cases.every((c) => c.daysPastDue === 1 && c.bucket === '1-30' && c.status === 'OPEN')).toBe(true);
    // Handed round A and B in turn: two each.
    const holders = opened.cases.map((c) => c.assignedTo!.staffMemberId);
    expect(holders.filter((h) => h === staff['a'])).toHaveLength(2);
    expect(holders.filter((h) => h === staff['b'])).toHaveLength(2);

    // Each collector sees their own queue and nothing else, whatever they ask for.
    const mineA = await cases(agentA);
    expect(mineA.totalCount).toBe(2);
    expect(mineA.cases.every((c) => c.assignedTo!.staffMemberId === staff['a'])).toBe(true);
    expect((await cases(agentA, { assignedTo: staff['b'] })).totalCount).toBe(0);
    expect((await cases(agentC)).totalCount).toBe(0);
    const ofB = opened.cases.find((c) => c.assignedTo!.staffMemberId === staff['b'])!;
    expect((await call(agentA, `{ node(id: "${ofB.id}") { id } }`))['node']).toBeNull();
    expect((await call(agentB, `{ node(id: "${ofB.id}") { id } }`))['node']).toEqual({ id: ofB.id });
    expect((await gql(server.gateway, '{ collectionFigures { openCases } }', { token: agentA })).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    // Nor through the loan, `nodes`, or the tenant's event stream (a collector's leaves out every case).
    expect((await call(agentA, `{ node(id: "${ofB.loan.id}") { ... on Loan { collectionCase { id } } } }`))['node']).toEqual({ collectionCase: null });
    expect((await call(agentB, `{ node(id: "${ofB.loan.id}") { ... on Loan { collectionCase { id } } } }`))['node']).toEqual({ collectionCase: { id: ofB.id } });
    expect((await call(agentA, `{ nodes(ids: ["${ofB.id}", "${mineA.cases[0]!.id}"]) { id } }`))['nodes']).toEqual([null, { id: mineA.cases[0]!.id }]);
    const streamOf = async (token: string) => (await call(token, '{ events(first: 100, types: ["collectionCase.*", "promiseToPay.*"]) { edges { node { type } } } }'))['events'].edges.map((e: { node: { type: string } }) => e.node.type);
    expect(await streamOf(supervisor)).toContain('collectionCase.opened');
    expect(await streamOf(agentA)).toEqual([]);

    // The SME loan is a day past due too, but its rule opens a case from the fifth day.
    expect(await caseOf(sme)).toBeUndefined();

    // Collectors work their own cases only.
    const ACTIVITY = `mutation($input: LogCollectionActivityInput!) { logCollectionActivity(input: $input) { entry { kind channel outcome note by } ${USER_ERRORS} } }`;
    const caseA1 = mineA.cases[0]!;
    const caseA2 = mineA.cases[1]!;
    expect(await mutate(agentA, 'logCollectionActivity', ACTIVITY, { caseId: caseA1.id, channel: 'CALL', outcome: 'REACHED', note: 'Will pay the instalment in two parts.' }))
      .toEqual({ errors: [], data: expect.objectContaining({ entry: { kind: 'ACTIVITY', channel: 'CALL', outcome: 'REACHED', note: 'Will pay the instalment in two parts.', by: expect.any(String) } }) });
    expect((await mutate(agentA, 'logCollectionActivity', ACTIVITY, { caseId: ofB.id, channel: 'NOTE', outcome: 'NOTED', note: 'not mine' })).errors)
      .toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.caseId' })]);
    expect((await mutate(agentA, 'logCollectionActivity', ACTIVITY, { caseId: caseA1.id, channel: 'NOTE', outcome: 'NOTED' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.note' })]);

    // Promises: A's first loan promises what fell due, by 10 February, paid in two parts; A's second promises 100
    // by 8 February and pays 40.
    const PROMISE = `mutation($input: RecordPromiseToPayInput!) { recordPromiseToPay(input: $input) { promiseToPay { id amount promisedDate status } ${USER_ERRORS} } }`;
    const instalment = await call(admin, `{ node(id: "${caseA1.loan.id}") { ... on Loan { account { instalments { outstanding { principal interest fee penalty } } } } } }`);
    const owed = instalment['node'].account.instalments[0].outstanding as Record<string, string>;
    const owedCents = ['principal', 'interest', 'fee', 'penalty'].reduce((sum, c) => sum + Math.round(Number(owed[c]!.split(' ')[0]) * 100), 0);
    const kept = await mutate(agentA, 'recordPromiseToPay', PROMISE, { caseId: caseA1.id, amount: (owedCents / 100).toFixed(2), promisedDate: '2026-02-10' });
    expect(kept.errors).toEqual([]);
    expect(kept.data.promiseToPay).toMatchObject({ promisedDate: '2026-02-10', status: 'PENDING' });
    expect((await mutate(agentA, 'recordPromiseToPay', PROMISE, { caseId: caseA2.id, amount: '100', promisedDate: '2026-02-05' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.promisedDate' })]);
    expect((await mutate(agentA, 'recordPromiseToPay', PROMISE, { caseId: caseA2.id, amount: '100.001', promisedDate: '2026-02-08' })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.amount' })]);
    expect((await mutate(agentA, 'recordPromiseToPay', PROMISE, { caseId: caseA2.id, amount: '100', promisedDate: '2026-02-08' })).errors).toEqual([]);
    expect((await mutate(agentA, 'recordPromiseToPay', PROMISE, { caseId: ofB.id, amount: '100', promisedDate: '2026-02-08' })).errors)
      .toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.caseId' })]);

    const agent = await devToken(server.runtime, 'servicing-agent', tenant.slug);
    const pay = async (loanId: string, amount: string, valueDate: string) => {
      const { errors } = await mutate(agent, 'postRepayment', `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
        { idempotencyKey: key(), loanId, amount, valueDate, channel: 'bank-transfer' });
      expect(errors).toEqual([]);
    };
    const half = Math.floor(owedCents / 2);
    await pay(caseA1.loan.id, (half / 100).toFixed(2), '2026-02-06');
    await pay(caseA2.loan.id, '40', '2026-02-06');
    await advanceBy(admin, 1); // 2026-02-07: A's first promise is half paid, not judged yet.
    const PROMISES = `query($id: ID!) { node(id: $id) { ... on CollectionCase { status escalationLevel closeReason promises { status paid judgedOn } timeline { kind by } } } }`;
    expect((await call(supervisor, PROMISES, { id: caseA1.id }))['node'].promises).toEqual([{ status: 'PENDING', paid: null, judgedOn: null }]);
    await pay(caseA1.loan.id, ((owedCents - half) / 100).toFixed(2), '2026-02-07');
    await advanceBy(admin, 1); // 2026-02-08: kept (the parts reached the amount), and the loan is cured: its case closes.
    const first = (await call(supervisor, PROMISES, { id: caseA1.id }))['node'];
    expect(first).toMatchObject({ status: 'CLOSED', closeReason: 'CURED', escalationLevel: 0, promises: [{ status: 'KEPT', paid: `${(owedCents / 100).toFixed(2)} USD`, judgedOn: '2026-02-08' }] });
    expect(first.timeline.map((e: { kind: string }) => e.kind)).toEqual(['OPENED', 'ASSIGNED', 'ACTIVITY', 'PROMISE_MADE', 'PROMISE_KEPT', 'CLOSED']);
    expect((await call(supervisor, PROMISES, { id: caseA2.id }))['node'].promises).toEqual([{ status: 'PENDING', paid: null, judgedOn: null }]);
    // A closed case is worked no more.
    expect((await mutate(agentA, 'logCollectionActivity', ACTIVITY, { caseId: caseA1.id, channel: 'CALL', outcome: 'NO_ANSWER' })).errors)
      .toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.caseId' })]);

    await advanceBy(admin, 1); // 2026-02-09: 8 February ended with 40 of 100 paid: broken, and the case escalated.
    const second = (await call(supervisor, PROMISES, { id: caseA2.id }))['node'];
    expect(second).toMatchObject({ status: 'OPEN', escalationLevel: 1, promises: [{ status: 'BROKEN', paid: '40.00 USD', judgedOn: '2026-02-09' }] });
    expect(second.timeline.map((e: { kind: string }) => e.kind)).toEqual(['OPENED', 'ASSIGNED', 'PROMISE_MADE', 'PROMISE_BROKEN', 'ESCALATED']);
    expect((await cases(supervisor, { status: 'OPEN' })).cases.filter((c) => c.escalationLevel > 0).map((c) => c.id)).toEqual([caseA2.id]);

    await advanceBy(admin, 1); // 2026-02-10: the SME loan is five days past due: its case opens, for nobody.
    const smeCase = (await caseOf(sme))!;
    expect(smeCase).toMatchObject({ daysPastDue: 5, assignedTo: null });
    expect((await cases(supervisor, { unassigned: true })).cases.map((c) => c.id)).toEqual([smeCase.id]);

    // A supervisor hands the case of one of B's loans to C by hand; a collector may not.
    const ASSIGN = `mutation($input: AssignCollectionCaseInput!) { assignCollectionCase(input: $input) { collectionCase { id assignedTo { displayName } } ${USER_ERRORS} } }`;
    expect(await forbidden(agentB, ASSIGN, { caseId: ofB.id, staffMemberId: staff['b'] })).toBe(true);
    expect(await mutate(supervisor, 'assignCollectionCase', ASSIGN, { caseId: ofB.id, staffMemberId: staff['c'] }))
      .toEqual({ errors: [], data: expect.objectContaining({ collectionCase: { id: ofB.id, assignedTo: { displayName: 'Collector C' } } }) });
    // The same hand-over again is a repeat: the case as it stands, and nothing written (no second ASSIGNED entry on its
    // timeline, no event, no audit record).
    const tenantDb = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const assignments = async () => ({
      timeline: ((await call(supervisor, PROMISES, { id: ofB.id }))['node'].timeline as { kind: string }[]).filter((e) => e.kind === 'ASSIGNED').length,
      events: await tenantDb.outboxEvent.count({ where: { type: 'collectionCase.assigned' } }),
      audits: await tenantDb.auditRecord.count({ where: { action: 'collectionCase.assigned' } }),
    });
    const handedOver = await assignments();
    expect(await mutate(supervisor, 'assignCollectionCase', ASSIGN, { caseId: ofB.id, staffMemberId: staff['c'] }))
      .toEqual({ errors: [], data: expect.objectContaining({ collectionCase: { id: ofB.id, assignedTo: { displayName: 'Collector C' } } }) });
    expect(await assignments()).toEqual(handedOver);
    expect((await cases(agentC)).cases.map((c) => c.id)).toEqual([ofB.id]);
    expect((await cases(agentB)).cases.map((c) => c.id)).not.toContain(ofB.id);

    // B leaves collections: end of day hands B's remaining case to A, the only 1-30 collector left, in turn.
    const leftWithB = (await cases(agentB)).cases.map((c) => c.id);
    expect(leftWithB).toHaveLength(1);
    expect((await mutate(admin, 'deactivateStaffMember', `mutation($input: DeactivateStaffMemberInput!) { deactivateStaffMember(input: $input) { staffMember { status } ${USER_ERRORS} } }`, { staffMemberId: staff['b'] })).errors).toEqual([]);
    await advanceBy(admin, 1); // 2026-02-11
    expect((await caseOf((await cases(supervisor)).cases.find((c) => c.id === leftWithB[0])!.loan.id))!.assignedTo).toEqual({ staffMemberId: staff['a'], displayName: 'Collector A' });

    const figures = await call(supervisor, '{ collectionFigures { businessDate openCases promisesDueToday promisesJudged promisesKept keptRatePercent queues { bucket openCases unassigned escalated } } }');
    expect(figures['collectionFigures']).toEqual({
      businessDate: '2026-02-11', openCases: 4, promisesDueToday: 0, promisesJudged: 2, promisesKept: 1, keptRatePercent: '50.00',
      queues: [{ bucket: '1-30', openCases: 4, unassigned: 1, escalated: 1 }],
    });

    // 8 March: the three personal loans still behind are 31 days past due, in 31-60, C's bucket: every one is C's now.
    await advanceBy(admin, 25);
    const rolled = await cases(supervisor);
    const personal = rolled.cases.filter((c) => c.loan.id !== sme && c.loan.id !== caseA1.loan.id);
    expect(personal.map((c) => c.loan.id).sort()).toEqual([l1, l2, l3, l4].filter((l) => l !== caseA1.loan.id).sort());
    expect(personal.map((c) => [c.bucket, c.daysPastDue, c.assignedTo?.displayName])).toEqual(personal.map(() => ['31-60', 31, 'Collector C']));
    // The cured loan fell behind again with its March instalment: a new case, the next in the 1-30 turn (A's).
    const again = rolled.cases.find((c) => c.loan.id === caseA1.loan.id)!;
    expect(again).toMatchObject({ bucket: '1-30', daysPastDue: 3, assignedTo: { displayName: 'Collector A' } });
    expect(again.id).not.toBe(caseA1.id);
    expect(rolled.totalCount).toBe(5);
    // The case C already held by hand stays with C, with no second hand-over on its timeline.
    const held = (await call(supervisor, PROMISES, { id: ofB.id }))['node'];
    expect(held.timeline.filter((e: { kind: string }) => e.kind === 'ASSIGNED')).toEqual([{ kind: 'ASSIGNED', by: 'end-of-day' }, { kind: 'ASSIGNED', by: expect.not.stringMatching(/^end-of-day$/) }]);

    // Roll rates between the January and February closes: all five current at the end of January; at the end of
    // February the cured loan current again, the four others in 1-30.
    const rolls = await call(supervisor, '{ collectionFigures { rollRates { fromMonthEnd toMonthEnd fromBucket toBucket loans ratePercent } } }');
    expect(rolls['collectionFigures'].rollRates).toEqual([
      { fromMonthEnd: '2026-01-31', toMonthEnd: '2026-02-28', fromBucket: 'Current', toBucket: '1-30', loans: 4, ratePercent: '80.00' },
      { fromMonthEnd: '2026-01-31', toMonthEnd: '2026-02-28', fromBucket: 'Current', toBucket: 'Current', loans: 1, ratePercent: '20.00' },
    ]);

    // Every change was announced, to staff only.
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const events = await db.outboxEvent.findMany({ where: { type: { startsWith: 'collection' } }, orderBy: { recorded: 'asc' } });
    const promisesEvents = await db.outboxEvent.findMany({ where: { type: { startsWith: 'promiseToPay' } }, orderBy: { recorded: 'asc' } });
    expect([...new Set(events.map((e) => e.type))].sort()).toEqual(['collectionCase.activityLogged', 'collectionCase.assigned', 'collectionCase.closed', 'collectionCase.opened', 'collectionCase.reassigned', 'collectionRule.changed']);
    expect(promisesEvents.map((e) => e.type)).toEqual(['promiseToPay.recorded', 'promiseToPay.recorded', 'promiseToPay.judged', 'promiseToPay.judged']);
    expect([...events, ...promisesEvents].every((e) => e.partnerScope === null)).toBe(true);
    const firstOpened = events.find((e) => e.type === 'collectionCase.opened')!;
    expect((firstOpened.payload as { cases: unknown[] }).cases).toHaveLength(4);
  });
});

describe('a promise recorded again', () => {
  it('with the same key is the same promise, recorded once; another promise under the key is a conflict; another person\'s key is their own', async () => {
    // A lender of its own, its one loan booked in the past so that the next end of day opens its case.
    const lender = await createTenant(server.runtime, uniqueSlug('promise-keys'), { sandbox: true, businessDate: '2026-03-01' });
    const collector = await devToken(server.runtime, 'collections-supervisor', lender.slug, { subject: 'promise-collector' });
    const colleague = await devToken(server.runtime, 'collections-supervisor', lender.slug, { subject: 'promise-colleague' });
    const officer = await devToken(server.runtime, 'disbursement-officer', lender.slug);
    const booked = await mutate(officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 6, disbursementDate: '2026-01-05' });
    expect(booked.errors).toEqual([]);
    await advanceBy(await devToken(server.runtime, 'tenant-admin', lender.slug), 1);
    const opened = await call(collector, '{ collectionCases(first: 10) { edges { node { id loan { id } } } } }');
    expect(opened['collectionCases'].edges.map((e: { node: { loan: { id: string } } }) => e.node.loan.id)).toEqual([booked.data.loan.id]);
    const caseId = opened['collectionCases'].edges[0].node.id as string;
    const db = server.runtime.tenantClients.forSchema(lender.schemaName);
    const written = async () => ({
      promises: await db.promiseToPay.count(),
      events: await db.outboxEvent.count({ where: { type: 'promiseToPay.recorded' } }),
      audits: await db.auditRecord.count({ where: { action: 'promiseToPay.recorded' } }),
      entries: await db.collectionCaseEntry.count({ where: { kind: 'promiseMade' } }),
    });
    const PROMISE = `mutation($input: RecordPromiseToPayInput!) { recordPromiseToPay(input: $input) { promiseToPay { id amount promisedDate status } ${USER_ERRORS} } }`;
    const input = { idempotencyKey: key(), caseId, amount: '150', promisedDate: '2026-03-10' };

    const first = await mutate(collector, 'recordPromiseToPay', PROMISE, input);
    expect(first.errors).toEqual([]);
    const again = await mutate(collector, 'recordPromiseToPay', PROMISE, input);
    expect(again).toEqual(first);
    expect(await written()).toEqual({ promises: 1, events: 1, audits: 1, entries: 1 });

    const clash = await mutate(collector, 'recordPromiseToPay', PROMISE, { ...input, promisedDate: '2026-03-12' });
    expect(clash.errors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.idempotencyKey' })]);
    expect(clash.data.promiseToPay).toBeNull();
    expect(await written()).toEqual({ promises: 1, events: 1, audits: 1, entries: 1 });

    // Theirs replaces the promise still pending, as any new promise does.
    const theirs = await mutate(colleague, 'recordPromiseToPay', PROMISE, input);
    expect(theirs.errors).toEqual([]);
    expect(theirs.data.promiseToPay).toMatchObject({ status: 'PENDING', promisedDate: '2026-03-10' });
    expect(theirs.data.promiseToPay.id).not.toBe(first.data.promiseToPay.id);
    expect(await written()).toEqual({ promises: 2, events: 2, audits: 2, entries: 2 });
    expect(await db.promiseToPay.findFirstOrThrow({ where: { madeBy: 'promise-collector' } })).toMatchObject({ status: 'replaced' });
  });
});
