// Reminders on a sandbox lender's clock, with the dispatcher driven by the instants the test gives it: rules set over
// GraphQL (bad templates refused naming the field); end of day makes each rule's messages from its template, kept on
// the loan; an opted-out channel and a missing address are kept as suppressed; the sandbox provider records what is
// sent; a borrower in their quiet hours gets theirs when those end, in their own time zone; an opt-out recorded after
// a message was made stops it; a loan paid before its past-due reminder went stops it; a provider that keeps failing
// fails the message after five tries; each outcome is announced to staff.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { apiCalls } from '../../support/apiCalls.js';
import { dispatchDueMessages, MAX_SEND_ATTEMPTS } from '../../../src/services/reminders/dispatch.js';
import { sandboxNotificationProvider, type NotificationProvider } from '../../../src/services/reminders/notificationProvider.js';
import { clockText, localMinutes } from '../../../src/domain/servicing/reminders.js';
import { poolSql } from '../../../src/tenancy/tenantSql.js';

let server: TestServer;
const { call, mutate, advance: advanceBy } = apiCalls(() => server);
let tenant: TenantRecord;
let admin: string;
let keys = 0;
const key = () => `reminders-${Date.now()}-${keys++}`;

beforeAll(async () => {
  // The dispatcher's own tick is off: the test gives it its instants.
  server = await startTestServer({ MESSAGE_DISPATCH_SECONDS: '0' });
  tenant = await createTenant(server.runtime, uniqueSlug('reminders'), { sandbox: true, businessDate: '2026-01-05' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'reminders-admin' });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

type Message = { trigger: string; days: number; dueDate: string; channel: string; destination: string | null; body: string; status: string; reason: string | null; sendAfter: string; attempts: number; providerReference: string | null };
async function messages(loanId: string): Promise<Message[]> {
  const response = await gql(server.gateway, `{ node(id: "${loanId}") { ... on Loan { messages { trigger days dueDate channel destination body status reason sendAfter attempts providerReference } } } }`, { token: admin });
  expect(response.errors).toBeUndefined();
  return response.data!['node'].messages;
}

const deps = (provider: NotificationProvider = sandboxNotificationProvider(server.runtime.databases)) => ({ databases: server.runtime.databases, tenantClients: server.runtime.tenantClients, log: server.runtime.log, provider });

describe('reminders', () => {
  it('are made by end of day, wait out quiet hours, respect opt-outs and are kept on the loan', { timeout: 600_000 }, async () => {
    const RULES = `mutation($input: SetReminderRulesInput!) { setReminderRules(input: $input) { reminderSettings { quietHoursStart quietHoursEnd rules { trigger days channel } } ${USER_ERRORS} } }`;
    // Quiet hours an hour wide around now in UTC+12, far from now in UTC: one borrower waits, the other does not.
    const now = new Date();
    const far = localMinutes(now, 'Etc/GMT-12');
    const quiet = { start: clockText((far - 30 + 1440) % 1440), end: clockText((far + 30) % 1440) };
    // PL-STD's own three-days-before text takes the place of the every-product one for its loans (all of them here).
    const rules = [
      { trigger: 'BEFORE_DUE', days: 3, channel: 'SMS', template: 'GENERAL: {{dueDate}}' },
      { trigger: 'BEFORE_DUE', days: 3, channel: 'SMS', template: 'Dear {{borrowerName}}, {{amountDue}} on {{loanNumber}} falls due on {{dueDate}}. {{lenderName}}', productCode: 'PL-STD' },
      { trigger: 'BEFORE_DUE', days: 0, channel: 'EMAIL', template: 'Due today: {{amountDue}} on {{loanNumber}}.' },
      { trigger: 'PAST_DUE', days: 2, channel: 'SMS', template: '{{loanNumber}} is {{daysPastDue}} days past due since {{dueDate}}.' },
    ];
    expect((await mutate(admin, 'setReminderRules', RULES, { quietHoursStart: quiet.start, quietHoursEnd: quiet.end, rules: [rules[0], { ...rules[3], template: '{{amountDue}} overdue' }] })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.rules[1].template' })]);
    expect((await mutate(admin, 'setReminderRules', RULES, { quietHoursStart: '25:00', quietHoursEnd: quiet.end, rules })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.quietHoursStart' })]);
    const agent = await devToken(server.runtime, 'collections-agent', tenant.slug);
    expect(codes(await gql(server.gateway, RULES, { token: agent, variables: { input: { quietHoursStart: '21:00', quietHoursEnd: '08:00', rules: [] } } }))).toEqual(['FORBIDDEN']);
    expect(await mutate(admin, 'setReminderRules', RULES, { quietHoursStart: quiet.start, quietHoursEnd: quiet.end, rules }))
      .toMatchObject({ errors: [], data: { reminderSettings: { quietHoursStart: quiet.start, rules: [{ trigger: 'BEFORE_DUE', days: 3 }, { trigger: 'BEFORE_DUE', days: 3 }, { trigger: 'BEFORE_DUE', days: 0 }, { trigger: 'PAST_DUE', days: 2 }] } } });

    // Four borrowers: one in UTC with a phone and e-mail, one who opted out of text messages, one with no phone,
    // one in UTC+12 (in their quiet hours now).
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const party = async (legalName: string, phone: string | null, email: string | null) => (await db.party.create({ data: { id: randomUUID(), kind: 'PERSON', legalName, phone, email } })).id;
    const [p1, p2, p3, p4] = [await party('Uma Utc', '+14155550101', 'uma@example.test'), await party('Otto Optout', '+14155550102', null), await party('Nell Nophone', null, 'nell@example.test'), await party('Kiri Farzone', '+64215550104', null)];
    const PREFS = `mutation($input: SetPartyContactPreferencesInput!) { setPartyContactPreferences(input: $input) { contactPreferences { timeZone optedOutChannels } ${USER_ERRORS} } }`;
    const servicing = await devToken(server.runtime, 'servicing-agent', tenant.slug);
    expect((await mutate(servicing, 'setPartyContactPreferences', PREFS, { partyId: encodeGlobalID('Party', p1), timeZone: 'Mars/Olympus', optedOutChannels: [] })).errors)
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.timeZone' })]);
    for (const [id, timeZone, out] of [[p1, 'UTC', []], [p2, 'UTC', ['SMS']], [p3, 'UTC', []], [p4, 'Etc/GMT-12', []]] as const) {
      expect(await mutate(servicing, 'setPartyContactPreferences', PREFS, { partyId: encodeGlobalID('Party', id), timeZone, optedOutChannels: out }))
        .toEqual({ errors: [], data: expect.objectContaining({ contactPreferences: { timeZone, optedOutChannels: out } }) });
    }

    const officer = await devToken(server.runtime, 'disbursement-officer', tenant.slug);
    const book = async (borrower: string) => {
      const { errors, data } = await mutate(officer, 'disburseLoan', `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id number } ${USER_ERRORS} } }`,
        { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 6, disbursementDate: '2026-01-05', borrowerPartyId: encodeGlobalID('Party', borrower) });
      expect(errors).toEqual([]);
      return data.loan as { id: string; number: string };
    };
    const [l1, l2, l3, l4] = [await book(p1), await book(p2), await book(p3), await book(p4)];

    await advanceBy(admin, 28); // 2 February: three days before the first instalment falls due on 5 February.
    const [m1] = await messages(l1.id);
    expect(m1).toMatchObject({ trigger: 'BEFORE_DUE', days: 3, dueDate: '2026-02-05', channel: 'SMS', destination: '+141•••01', status: 'SCHEDULED', reason: null, attempts: 0 });
    expect(m1!.body).toMatch(new RegExp(`^Dear Uma Utc, \\d+\\.\\d{2} USD on ${l1.number} falls due on 2026-02-05\\. Lender ${tenant.slug}$`));
    expect((await messages(l2.id)).map((m) => [m.channel, m.status, m.reason])).toEqual([['SMS', 'SUPPRESSED', 'optedOut']]);
    expect((await messages(l3.id)).map((m) => [m.channel, m.status, m.reason, m.destination])).toEqual([['SMS', 'SUPPRESSED', 'noContact', null]]);
    const [m4] = await messages(l4.id);
    expect(m4!.status).toBe('SCHEDULED');
    // Made at a quiet moment for the UTC+12 borrower: it waits for the end of their quiet hours.
    expect(Date.parse(m4!.sendAfter)).toBeGreaterThan(Date.now());
    expect(clockText(localMinutes(new Date(m4!.sendAfter), 'Etc/GMT-12'))).toBe(quiet.end);

    // The dispatcher now: the UTC borrower's goes, recorded by the sandbox provider; the other waits.
    const first = await dispatchDueMessages(deps(), new Date());
    expect(first).toEqual({ sent: 1, suppressed: 0, failed: 0, postponed: 0 });
    const [sent1] = await messages(l1.id);
    expect(sent1).toMatchObject({ status: 'SENT', attempts: 1, providerReference: expect.stringMatching(/^sandbox:/) });
    const sql = poolSql(server.runtime.pool, tenant.schemaName);
    const recorded = async () => (await sql.query<{ recipient: string; body: string; channel: string }>((s) => `SELECT recipient, body, channel FROM ${s}.sandbox_notification ORDER BY recorded_at, recipient`)).rows;
    expect(await recorded()).toEqual([{ recipient: '+14155550101', body: m1!.body, channel: 'sms' }]);
    // Once their quiet hours end, the UTC+12 borrower's goes too.
    const later = new Date(Date.parse(m4!.sendAfter) + 60_000);
    expect(await dispatchDueMessages(deps(), later)).toEqual({ sent: 1, suppressed: 0, failed: 0, postponed: 0 });
    expect((await messages(l4.id))[0]).toMatchObject({ status: 'SENT' });
    expect((await recorded()).map((r) => r.recipient)).toEqual(['+14155550101', '+64215550104']);
    // Nothing left to send: the tenant is off the schedule.
    const schedule = async () => (await server.runtime.pool.query(`SELECT count(*)::int AS n FROM platform.message_schedule WHERE tenant_id = $1`, [tenant.id])).rows[0].n;
    expect(await schedule()).toBe(0);

    // 5 February: due today, by e-mail — to the two borrowers with an address. One opts out before it goes.
    await advanceBy(admin, 3);
    expect((await messages(l1.id)).map((m) => [m.channel, m.status])).toEqual([['EMAIL', 'SCHEDULED'], ['SMS', 'SENT']]);
    expect((await messages(l3.id))[0]).toMatchObject({ channel: 'EMAIL', status: 'SCHEDULED', destination: 'n•••@example.test' });
    expect(await schedule()).toBe(1);
    expect((await mutate(servicing, 'setPartyContactPreferences', PREFS, { partyId: encodeGlobalID('Party', p1), timeZone: 'UTC', optedOutChannels: ['EMAIL'] })).errors).toEqual([]);
    expect(await dispatchDueMessages(deps(), later)).toEqual({ sent: 1, suppressed: 1, failed: 0, postponed: 0 });
    expect((await messages(l1.id))[0]).toMatchObject({ channel: 'EMAIL', status: 'SUPPRESSED', reason: 'optedOut' });
    expect((await messages(l3.id))[0]).toMatchObject({ channel: 'EMAIL', status: 'SENT' });

    // 7 February: two days past due. The opted-out and the phoneless borrowers' are kept unsent; the UTC borrower's
    // goes; the UTC+12 borrower pays before theirs does.
    await advanceBy(admin, 2);
    const overdue = (await messages(l4.id))[0]!;
    expect(overdue).toMatchObject({ trigger: 'PAST_DUE', days: 2, dueDate: '2026-02-05', status: 'SCHEDULED' });
    expect(overdue.body).toBe(`${l4.number} is 2 days past due since 2026-02-05.`);
    expect((await messages(l2.id))[0]).toMatchObject({ trigger: 'PAST_DUE', status: 'SUPPRESSED', reason: 'optedOut' });
    const owed = await gql(server.gateway, `{ node(id: "${l4.id}") { ... on Loan { payoffQuote: account { instalments { outstanding { principal interest fee penalty } } } } } }`, { token: admin });
    const first4 = owed.data!['node'].payoffQuote.instalments[0].outstanding as Record<string, string>;
    const cents = ['principal', 'interest', 'fee', 'penalty'].reduce((sum, c) => sum + Math.round(Number(first4[c]!.split(' ')[0]) * 100), 0);
    expect((await mutate(servicing, 'postRepayment', `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { idempotencyKey: key(), loanId: l4.id, amount: (cents / 100).toFixed(2), valueDate: '2026-02-07', channel: 'bank-transfer' })).errors).toEqual([]);
    const dayAfter = new Date(Date.parse(overdue.sendAfter) + 86_400_000);
    expect((await messages(l3.id))[0]).toMatchObject({ trigger: 'PAST_DUE', status: 'SUPPRESSED', reason: 'noContact' });
    expect(await dispatchDueMessages(deps(), dayAfter)).toEqual({ sent: 1, suppressed: 1, failed: 0, postponed: 0 });
    expect((await messages(l1.id))[0]).toMatchObject({ trigger: 'PAST_DUE', status: 'SENT' });
    expect((await messages(l4.id))[0]).toMatchObject({ status: 'SUPPRESSED', reason: 'loanNotDue' });

    // A provider that refuses every message: tried five times, further apart each time, then failed.
    const failing: NotificationProvider = { name: 'refusing', send: () => Promise.reject(new Error('gateway down')) };
    const doomed = await db.loanMessage.create({ data: {
      id: randomUUID(), loanId: decodeId(l1.id), trigger: 'beforeDue', days: 9, dueDate: new Date('2026-03-05T00:00:00Z'), businessDate: new Date('2026-02-07T00:00:00Z'),
      channel: 'sms', destination: '+141•••01', body: 'try me', status: 'scheduled', sendAfter: new Date(dayAfter), createdAt: new Date(), updatedAt: new Date(),
    } });
    await server.runtime.pool.query(`INSERT INTO platform.message_schedule (tenant_id, next_at) VALUES ($1, $2) ON CONFLICT (tenant_id) DO UPDATE SET next_at = EXCLUDED.next_at`, [tenant.id, dayAfter]);
    let at = dayAfter;
    for (let attempt = 1; attempt <= MAX_SEND_ATTEMPTS; attempt += 1) {
      expect(await dispatchDueMessages(deps(failing), at)).toEqual(attempt < MAX_SEND_ATTEMPTS ? { sent: 0, suppressed: 0, failed: 0, postponed: 1 } : { sent: 0, suppressed: 0, failed: 1, postponed: 0 });
      const row = await db.loanMessage.findUniqueOrThrow({ where: { id: doomed.id } });
      expect(row.attempts).toBe(attempt);
      if (attempt < MAX_SEND_ATTEMPTS) {
        // Tried again after 1, 2, 4, then 8 minutes; not before.
        expect(row.sendAfter.getTime() - at.getTime()).toBe(60_000 * 2 ** (attempt - 1));
        expect(await dispatchDueMessages(deps(failing), new Date(row.sendAfter.getTime() - 1000))).toEqual({ sent: 0, suppressed: 0, failed: 0, postponed: 0 });
      }
      at = new Date(row.sendAfter.getTime());
    }
    expect(await db.loanMessage.findUniqueOrThrow({ where: { id: doomed.id } })).toMatchObject({ status: 'failed', reason: 'providerFailed' });

    // 2 March: three days before the second instalment. The amount quoted is that instalment's, as the account has it.
    await advanceBy(admin, 23);
    const second = (await messages(l3.id))[0]!;
    expect(second).toMatchObject({ trigger: 'BEFORE_DUE', days: 3, dueDate: '2026-03-05' });
    const account = await gql(server.gateway, `{ node(id: "${l3.id}") { ... on Loan { account { instalments { dueDate outstanding { principal interest fee penalty } } } } } }`, { token: admin });
    const secondOutstanding = (account.data!['node'].account.instalments as { dueDate: string; outstanding: Record<string, string> }[]).find((i) => i.dueDate === '2026-03-05')!.outstanding;
    const secondCents = ['principal', 'interest', 'fee', 'penalty'].reduce((sum, c) => sum + Math.round(Number(secondOutstanding[c]!.split(' ')[0]) * 100), 0);
    expect(second.body).toBe(`Dear Nell Nophone, ${(secondCents / 100).toFixed(2)} USD on ${l3.number} falls due on 2026-03-05. Lender ${tenant.slug}`);

    // No loan got the every-product text: PL-STD's own rule took its place, one message per loan and date.
    expect((await db.loanMessage.findMany()).filter((m) => m.body.startsWith('GENERAL'))).toEqual([]);

    // Every outcome announced, to staff only; none carries the message's text or the full address.
    const events = await db.outboxEvent.findMany({ where: { type: { startsWith: 'loanMessage.' } } });
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect([count('loanMessage.dispatched'), count('loanMessage.suppressed'), count('loanMessage.failed')]).toEqual([4, 10, 1]);
    expect(events.every((e) => e.partnerScope === null)).toBe(true);
    expect(JSON.stringify(events.map((e) => e.payload))).not.toMatch(/4155550101|Dear Uma/);
  });
});

function decodeId(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;
}
