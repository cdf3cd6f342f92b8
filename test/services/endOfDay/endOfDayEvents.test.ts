// End of day's events, batched: for 1,200 loans that changed on a date — 600 brought by partner alpha, 501 by beta,
// 99 by the lender itself — the step writes one business-date event every partner sees, one staff-only count,
// and per type exactly ceil(n/500) batches per origination partner scope. Each partner's stream and webhook
// endpoints see only its own loans' batches (and the date); every stored payload is what the catalogue's
// `writtenEvent` makes of the same facts; and the step's writes stand or fall with its transaction.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/domain/money.js';
import { databaseIdOf, globalIdOf } from '../../../src/domain/globalId.js';
import { loanTerms, termsToJson, type LoanTermsInput } from '../../../src/domain/servicing/product.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../../src/domain/servicing/allocation.js';
import { EVENT_CATALOGUE, EVERY_PARTNER, writtenEvent } from '../../../src/events/catalogue.js';
import { disburseLoan } from '../../../src/services/servicing/loans.js';
import { endOfDayEventsStep, LOANS_PER_EVENT } from '../../../src/services/endOfDay/events.js';
import type { StepContext } from '../../../src/services/endOfDay/run.js';
import { quoteIdent } from '../../../src/tenancy/schemaNames.js';
import { tenantSql, withTenantSql } from '../../../src/tenancy/tenantSql.js';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

const DATE = '2026-03-02';
const PREVIOUS = '2026-03-01';
const SCOPES: Record<string, number> = { alpha: 600, beta: 501, '': 99 };
const EOD_TYPES = ['tenant.businessDateAdvanced', 'tenant.endOfDayCompleted', 'loan.instalmentsFellDue', 'loan.delinquencyChanged'];

let server: TestServer;
let tenant: TenantRecord;
let schema: string;
/** The changed loans' ids by partner ('' for the lender's own). */
const changed = new Map<string, Set<string>>();
/** Loans whose instalment fell due on DATE, by partner. */
const fellDue = new Map<string, Set<string>>();
const endpoints: Record<string, string> = {};

const q = (sql: string, values: unknown[] = []) => server.runtime.pool.query(sql, values);

async function seedBook() {
  const sql = tenantSql(server.runtime.tenantClients.forSchema(schema), schema);
  const productId = randomUUID();
  const terms = loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 6 } as LoanTermsInput);
  await sql.execute((s) => `INSERT INTO ${s}.loan_product (id, code, name, currency, min_amount, max_amount, min_tenor_months, max_tenor_months, annual_rate, current_version)
    VALUES ($1::uuid, 'PLAIN', 'Plain', 'USD', 100, 100000, 1, 60, 0.12, 1)`, productId);
  await sql.execute((s) => `INSERT INTO ${s}.loan_product_version (product_id, version, terms, allocation, created_by, created_at)
    VALUES ($1::uuid, 1, $2::jsonb, $3::jsonb, 'test', now())`, productId, JSON.stringify(termsToJson(terms)), JSON.stringify(PENALTIES_FEES_INTEREST_PRINCIPAL));
  const db = server.runtime.tenantClients.forSchema(schema);
  const { loanId } = await disburseLoan(db, { tenant: tenant.slug, now: new Date(), actor: { subject: 'officer', roles: [], partner: null, clientId: null, requestId: randomUUID() } },
    PREVIOUS, { productCode: 'PLAIN', principal: new Decimal(1000), disbursementDate: PREVIOUS });
  // The other loans are copies of that one, each its own row and number, brought by the partner of its scope;
  // 20 more by the lender change nothing that day and must appear in no batch.
  const { rows: columns } = await q(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'loan' ORDER BY ordinal_position`, [schema]);
  const names = columns.map((c: { column_name: string }) => c.column_name as string);
  const override: Record<string, string> = {
    id: 'gen_random_uuid()', number: `nextval('${quoteIdent(schema)}.loan_number')`, origination_partner: '$2', application_id: 'NULL', external_reference: 'NULL',
  };
  const select = names.map((n) => override[n] ?? `t.${quoteIdent(n)}`).join(', ');
  const clone = (count: number, partner: string | null) => q(`INSERT INTO ${quoteIdent(schema)}.loan (${names.map(quoteIdent).join(', ')})
    SELECT ${select} FROM ${quoteIdent(schema)}.loan t CROSS JOIN generate_series(1, $3) WHERE t.id = $1::uuid`, [loanId, partner, count]);
  await clone(SCOPES['alpha']!, 'alpha');
  await clone(SCOPES['beta']!, 'beta');
  await clone(SCOPES['']! - 1, null);
  const { rows: loans } = await q(`SELECT id::text, coalesce(origination_partner, '') AS partner FROM ${quoteIdent(schema)}.loan ORDER BY number`);
  for (const loan of loans) changed.set(loan.partner, (changed.get(loan.partner) ?? new Set()).add(loan.id));
  await clone(20, null);

  // What the classify step would have recorded, and the set-based step's mark on loans whose instalment fell due
  // (every second changed loan; one overdue loan fell due too, a closed one does not count).
  await q(`INSERT INTO ${quoteIdent(schema)}.loan_delinquency_change (loan_id, business_date, days_past_due, bucket_before, bucket_after, class_before, class_after)
    SELECT id, $2::date, k % 120, CASE WHEN k % 3 = 0 THEN NULL ELSE '1-30' END, '31-60', 'STANDARD', CASE WHEN k % 2 = 0 THEN 'SUBSTANDARD' ELSE 'STANDARD' END
      FROM unnest($1::uuid[]) WITH ORDINALITY AS c(id, k)`, [loans.map((l: { id: string }) => l.id), DATE]);
  const due = loans.filter((_l: unknown, k: number) => k % 2 === 0);
  await q(`UPDATE ${quoteIdent(schema)}.loan SET last_due_date = $2::date WHERE id = ANY($1::uuid[])`, [due.map((l: { id: string }) => l.id), DATE]);
  await q(`UPDATE ${quoteIdent(schema)}.loan SET status = 'overdue', oldest_due_date = $2::date - 1, days_past_due = 1 WHERE id = $1::uuid`, [due[0]!.id, DATE]);
  await q(`UPDATE ${quoteIdent(schema)}.loan SET status = 'closed' WHERE id = $1::uuid`, [due[1]!.id]);
  for (const loan of due.filter((_l: unknown, k: number) => k !== 1)) fellDue.set(loan.partner, (fellDue.get(loan.partner) ?? new Set()).add(loan.id));
  await q(`INSERT INTO ${quoteIdent(schema)}.end_of_day_run (business_date, previous_date, status, started_by, started_at) VALUES ($1, $2, 'running', 'test', now())`, [DATE, PREVIOUS]);
}

/** Webhook endpoints of alpha, of the co-lending partner gamma and of the lender, each for every event. */
async function addEndpoints() {
  for (const [name, partner] of [['alpha', 'alpha'], ['gamma', 'gamma'], ['lender', null]] as const) {
    const id = randomUUID();
    await q(`INSERT INTO ${quoteIdent(schema)}.webhook_endpoint (id, partner_code, url, event_types, secret_sealed, active, created_by, created_at, updated_at)
      VALUES ($1, $2, 'https://hooks.example.test/in', '{*}', 'sealed', true, 'test', now(), now())`, [id, partner]);
    endpoints[name] = id;
  }
}

function stepContext(): StepContext {
  return {
    rt: server.runtime, tenant, db: server.runtime.tenantClients.forSchema(schema), schema, pool: server.runtime.pool, businessDate: DATE, startedBy: 'test',
    actor: { subject: 'test', roles: [], partner: null, clientId: null, requestId: `end-of-day:${DATE}` }, now: new Date(), batchSize: { positions: 100, replays: 10 }, progress: async () => undefined,
    policy: async () => { throw new Error('the events step reads no delinquency policy'); }, policyChanged: async () => false,
  };
}

async function runStep(): Promise<number> {
  if (endOfDayEventsStep.kind !== 'once') throw new Error('the events step runs in the run\'s transaction');
  const step = endOfDayEventsStep;
  return withTenantSql(server.runtime.pool, schema, (_client, sql) => step.run(sql, stepContext()));
}

interface Row { id: string; seq: string | null; type: string; aggregate_type: string; aggregate_id: string; tenant: string; partner_scope: string | null; schema_version: number; payload: any }

const stored = async (): Promise<Row[]> => (await q(`SELECT * FROM ${quoteIdent(schema)}.outbox_event WHERE type = ANY($1) ORDER BY recorded`, [EOD_TYPES])).rows;

beforeAll(async () => {
  server = await startTestServer();
  const slug = uniqueSlug('eod-events');
  tenant = await createTenant(server.runtime, slug, { businessDate: PREVIOUS });
  schema = tenant.schemaName;
  const admin = await devToken(server.runtime, 'tenant-admin', slug);
  for (const [code, kind] of [['alpha', 'ORIGINATION'], ['beta', 'ORIGINATION'], ['gamma', 'COLENDING']]) {
    const registered = await gql(server.gateway, `mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { code } ${USER_ERRORS} } }`, {
      token: admin, variables: { input: { code, name: `Partner ${code}`, kind } },
    });
    expect(userErrors(registered, 'registerPartner')).toEqual([]);
  }
  await seedBook();
  await addEndpoints();
}, 300_000);
afterAll(async () => {
  await server?.close();
});

describe('end of day events', () => {
  it('writes nothing when its transaction rolls back: the events stand or fall with the step\'s record', async () => {
    await expect(withTenantSql(server.runtime.pool, schema, async (_client, sql) => {
      if (endOfDayEventsStep.kind !== 'once') throw new Error('once');
      const written = await endOfDayEventsStep.run(sql, stepContext());
      expect(written).toBeGreaterThan(2);
      // Inside the transaction they are there…
      const { rows } = await sql.query<{ n: number }>((s) => `SELECT count(*)::int AS n FROM ${s}.outbox_event WHERE type = ANY($1)`, [EOD_TYPES]);
      expect(rows[0]!.n).toBe(written);
      throw new Error('the process died before commit');
    })).rejects.toThrow(/died before commit/);
    // …and after the rollback, nothing.
    expect(await stored()).toEqual([]);
  });

  it('writes one date event, one staff count and ceil(n/500) batches per partner scope, each loan once', async () => {
    const written = await runStep();
    const rows = await stored();
    expect(rows.length).toBe(written);
    const byType = (type: string) => rows.filter((r) => r.type === type);

    const date = byType('tenant.businessDateAdvanced');
    expect(date.map((r) => [r.partner_scope, r.aggregate_id, r.payload])).toEqual([[EVERY_PARTNER, globalIdOf('Tenant', tenant.id), { previousDate: PREVIOUS, businessDate: DATE }]]);

    const fellDueCount = [...fellDue.values()].reduce((n, s) => n + s.size, 0);
    expect(byType('tenant.endOfDayCompleted').map((r) => [r.partner_scope, r.payload])).toEqual([[null, {
      previousDate: PREVIOUS, businessDate: DATE, loansFellDue: fellDueCount, loansBecameOverdue: 1,
      // bucket_before is null for every third loan; the class changes for every second.
      loansChangedBucket: 1200, loansChangedClass: 600,
    }]]);

    for (const [type, expected] of [['loan.delinquencyChanged', changed], ['loan.instalmentsFellDue', fellDue]] as const) {
      const batches = byType(type);
      for (const [partner, loans] of expected) {
        const mine = batches.filter((r) => (r.partner_scope ?? '') === partner);
        expect(mine.length, `${type} ${partner}`).toBe(Math.ceil(loans.size / LOANS_PER_EVENT));
        const listed = mine.flatMap((r) => r.payload.loans.map((l: { loan: string }) => databaseIdOf(l.loan, 'Loan')));
        expect(mine.every((r) => r.payload.loans.length <= LOANS_PER_EVENT && r.payload.businessDate === DATE)).toBe(true);
        // Every loan of the scope once, and no other.
        expect(listed.length).toBe(loans.size);
        expect(new Set(listed)).toEqual(loans);
      }
      expect(new Set(batches.map((r) => r.partner_scope ?? ''))).toEqual(new Set(expected.keys()));
      // A batch's aggregate id is its own.
      expect(batches.every((r) => r.aggregate_type === 'Loan' && r.aggregate_id === r.id)).toBe(true);
    }
    expect(changed.get('alpha')!.size + changed.get('beta')!.size + changed.get('')!.size).toBe(1200);
    expect(byType('loan.delinquencyChanged').length).toBe(2 + 2 + 1);
  });

  it('stores exactly what the catalogue writes for the same facts', async () => {
    const rows = await stored();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const entry = EVENT_CATALOGUE[row.type]!;
      // The facts behind the payload, in the use case's form (database ids), written again through the catalogue.
      const facts = entry.batch
        ? { ...row.payload, loans: row.payload.loans.map((l: { loan: string }) => ({ ...l, loan: databaseIdOf(l.loan, 'Loan') })) }
        : row.payload;
      const aggregateId = entry.batch ? row.aggregate_id : databaseIdOf(row.aggregate_id, row.aggregate_type)!;
      const written = writtenEvent(row.type, row.aggregate_type, aggregateId, facts);
      expect(written.payload, row.type).toEqual(row.payload);
      expect(written.aggregateId).toBe(row.aggregate_id);
      expect(row.schema_version).toBe(written.schemaVersion);
      expect(row.tenant).toBe(tenant.slug);
    }
    // The delinquency entries carry every field the classify step recorded, nulls as nulls.
    const entry = rows.find((r) => r.type === 'loan.delinquencyChanged')!.payload.loans[0];
    expect(Object.keys(entry).sort()).toEqual(['bucketAfter', 'bucketBefore', 'classAfter', 'classBefore', 'daysPastDue', 'loan']);
    expect(rows.some((r) => r.type === 'loan.delinquencyChanged' && r.payload.loans.some((l: { bucketBefore: string | null }) => l.bucketBefore === null))).toBe(true);
  });

  it('shows a partner its own loans\' batches and the date, a co-lending partner the date, staff everything — by query and by webhook', async () => {
    await server.runtime.settler.settle(schema);
    const read = async (token: string) => {
      const response = await gql(server.gateway, `query($types: [String!]) { events(first: 100, types: $types) { edges { node { type aggregateId payload } } } }`, {
        token, variables: { types: EOD_TYPES },
      });
      expect(response.errors).toBeUndefined();
      return (response.data!['events'].edges as { node: { type: string; aggregateId: string; payload: any } }[]).map((e) => e.node);
    };
    const loansIn = (events: { type: string; payload: any }[]) => events.filter((e) => e.type.startsWith('loan.'))
      .flatMap((e) => e.payload.loans.map((l: { loan: string }) => databaseIdOf(l.loan, 'Loan')!));

    const alpha = await read(await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'alpha', kind: 'origination' } }));
    expect(alpha.map((e) => e.type).sort()).toEqual(['loan.delinquencyChanged', 'loan.delinquencyChanged', 'loan.instalmentsFellDue', 'tenant.businessDateAdvanced']);
    expect(loansIn(alpha).every((id) => changed.get('alpha')!.has(id))).toBe(true);

    const beta = await read(await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'beta', kind: 'origination' } }));
    expect(loansIn(beta).every((id) => changed.get('beta')!.has(id))).toBe(true);
    expect(beta.filter((e) => e.type === 'tenant.businessDateAdvanced')).toHaveLength(1);

    const gamma = await read(await devToken(server.runtime, 'colending-partner', tenant.slug, { partner: { id: 'gamma', kind: 'colending' } }));
    expect(gamma.map((e) => e.type)).toEqual(['tenant.businessDateAdvanced']);

    const staff = await read(await devToken(server.runtime, 'tenant-admin', tenant.slug));
    expect(staff.length).toBe((await stored()).length);

    // Webhooks: the deliveries the settle pass created, per endpoint.
    const { rows: deliveries } = await q(`SELECT d.endpoint_id::text, e.type, e.partner_scope FROM ${quoteIdent(schema)}.webhook_delivery d
      JOIN ${quoteIdent(schema)}.outbox_event e ON e.id = d.event_id WHERE e.type = ANY($1)`, [EOD_TYPES]);
    const to = (endpoint: string) => deliveries.filter((d: { endpoint_id: string }) => d.endpoint_id === endpoints[endpoint]);
    expect(to('alpha').map((d: { type: string }) => d.type).sort()).toEqual(alpha.map((e) => e.type).sort());
    expect(to('alpha').every((d: { partner_scope: string }) => d.partner_scope === 'alpha' || d.partner_scope === EVERY_PARTNER)).toBe(true);
    expect(to('gamma').map((d: { type: string }) => d.type)).toEqual(['tenant.businessDateAdvanced']);
    expect(to('lender').length).toBe(staff.length);
  });
});
