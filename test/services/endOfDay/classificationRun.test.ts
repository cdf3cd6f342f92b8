// End of day classifies as the regulator's own texts do, through the whole run: RBI's worked example of November
// 2021 (a loan due 31 March and never paid is SMA-1 at the close of 30 April, SMA-2 at the close of 30 May, NPA at
// the close of 29 June — in Lendgraph the runs to 1 May, 31 May and 30 June), borrower-wise NPA (the borrower's
// loan that is paid on time becomes NPA with it), interest moved to suspense and provisions posted, and the
// upgrade only once every arrear is paid; then the US charge-off policy at 90 and 120 days, loan by loan.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/domain/money.js';
import type { Runtime } from '../../../src/runtime.js';
import { disburseLoan, postLoanTransaction } from '../../../src/services/servicing/loans.js';
import { ledgerInvariants } from '../../../src/services/servicing/ledger.js';
import { runEndOfDay } from '../../../src/services/endOfDay/run.js';
import { checkPositions } from '../../../src/services/endOfDay/positionCheck.js';
import { tenantSql } from '../../../src/tenancy/tenantSql.js';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { createTenant, openTestRuntime, uniqueSlug } from '../../support/harness.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await openTestRuntime();
});
afterAll(async () => {
  await runtime.close();
});

interface Position {
  status: string; days_past_due: number; delinquency_bucket: string; own_class: string; asset_class: string; npa_since: string | null;
  interest_receivable: string; interest_suspense: string; provision: string; exposure: string; last_due_owing: string;
}

function lender(tenant: TenantRecord) {
  const db = runtime.tenantClients.forSchema(tenant.schemaName);
  const sql = tenantSql(db, tenant.schemaName);
  const command = () => ({ tenant: tenant.slug, now: runtime.now(), actor: { subject: 'officer', roles: [], partner: null, clientId: null, requestId: randomUUID() } });
  return {
    db, command,
    async position(loanId: string): Promise<Position> {
      const [row] = await sql.query<Position[]>((s) => `SELECT status, days_past_due, delinquency_bucket, own_class, asset_class, npa_since::text,
          interest_receivable::text, interest_suspense::text, provision::text, last_due_owing::text,
          (principal_receivable + interest_receivable + fee_receivable + penalty_receivable - interest_suspense)::text AS exposure
        FROM ${s}.loan WHERE id = $1::uuid`, loanId);
      return row!;
    },
    async borrower(): Promise<string> {
      const [row] = await sql.query<{ id: string }[]>((s) => `SELECT id::text FROM ${s}.party ORDER BY legal_name LIMIT 1`);
      return row!.id;
    },
    async changes(loanId: string) {
      return sql.query<{ business_date: string; class_before: string; class_after: string }[]>((s) => `
        SELECT business_date::text, class_before, class_after FROM ${s}.loan_delinquency_change
         WHERE loan_id = $1::uuid AND class_before <> class_after ORDER BY business_date`, loanId);
    },
    async books(loans: string[]) {
      expect(await checkPositions(db, tenant.schemaName, loans, (await runtime.registry.findBySlug(tenant.slug))!.businessDate)).toEqual([]);
      const invariants = await ledgerInvariants(db, tenant.schemaName);
      expect([invariants.unbalancedJournals, invariants.loansOffLedger, invariants.controlAccountsOff, invariants.negativeBalances]).toEqual([0, 0, 0, 0]);
    },
  };
}

const run = (tenant: TenantRecord, to: string) => runEndOfDay(runtime, tenant.slug, { to, startedBy: 'test' });

describe('classification at end of day', () => {
  it("follows RBI's example, borrower-wise, with suspense and provisions, and upgrades only when all arrears are paid", { timeout: 300_000 }, async () => {
    // A lender onboarded on the example's first date: a first business date is at most 1,827 days before its today.
    const tenant = await createTenant(runtime, uniqueSlug('irac'), { sandbox: true, currency: 'INR', timeZone: 'Asia/Kolkata', businessDate: '2021-02-28' }, new Date('2021-02-28T12:00:00Z'));
    const l = lender(tenant);
    const borrowerPartyId = await l.borrower();
    const book = (firstRepaymentDate: string) => disburseLoan(l.db, l.command(), '2021-02-28', {
      productCode: 'PL-STD', principal: new Decimal(120_000), numberOfRepayments: 12, disbursementDate: '2021-02-28', firstRepaymentDate, borrowerPartyId,
    });
    const { loanId: unpaid } = await book('2021-03-31');
    const { loanId: paid } = await book('2021-03-15');
    // The second loan is paid on each due date, as it falls due.
    const payOnDue = async (date: string) => {
      await run(tenant, date);
      const owing = (await l.position(paid)).last_due_owing;
      await postLoanTransaction(l.db, l.command(), date, { loanId: paid, kind: 'repayment', valueDate: date, amount: new Decimal(owing), channel: 'test' });
    };

    await payOnDue('2021-03-15');
    await run(tenant, '2021-03-31');
    expect(await l.position(unpaid)).toMatchObject({ days_past_due: 0, own_class: 'STANDARD' });
    await run(tenant, '2021-04-01');
    expect(await l.position(unpaid)).toMatchObject({ status: 'overdue', days_past_due: 1, own_class: 'SMA_0', asset_class: 'SMA_0' });
    await payOnDue('2021-04-15');
    await run(tenant, '2021-04-30');
    expect(await l.position(unpaid)).toMatchObject({ days_past_due: 30, own_class: 'SMA_0' });
    await run(tenant, '2021-05-01');
    expect(await l.position(unpaid)).toMatchObject({ days_past_due: 31, own_class: 'SMA_1', asset_class: 'SMA_1' });
    // An SMA is the loan's own: the borrower's other loan stays standard.
    expect(await l.position(paid)).toMatchObject({ days_past_due: 0, asset_class: 'STANDARD' });
    await payOnDue('2021-05-15');
    await run(tenant, '2021-05-30');
    expect((await l.position(unpaid)).own_class).toBe('SMA_1');
    await run(tenant, '2021-05-31');
    expect(await l.position(unpaid)).toMatchObject({ days_past_due: 61, own_class: 'SMA_2' });
    await payOnDue('2021-06-15');
    await run(tenant, '2021-06-29');
    expect(await l.position(unpaid)).toMatchObject({ days_past_due: 90, own_class: 'SMA_2', interest_suspense: '0.0000' });
    await run(tenant, '2021-06-30');
    const npa = await l.position(unpaid);
    expect(npa).toMatchObject({ days_past_due: 91, own_class: 'SUBSTANDARD', asset_class: 'SUBSTANDARD', npa_since: '2021-06-30', delinquency_bucket: '91-180' });
    // Income on the NPA stops: what was recognised and is unpaid sits in suspense; sub-standard is provided at 15 %.
    expect(new Decimal(npa.interest_suspense).eq(npa.interest_receivable)).toBe(true);
    expect(new Decimal(npa.interest_suspense).gt(0)).toBe(true);
    expect(npa.provision).toBe(new Decimal(npa.exposure).times('0.15').toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(4));
    // Borrower-wise: the loan paid on time is NPA too, by its borrower; its own class stays standard.
    const other = await l.position(paid);
    expect(other).toMatchObject({ days_past_due: 0, own_class: 'STANDARD', asset_class: 'SUBSTANDARD' });
    expect(other.provision).toBe(new Decimal(other.exposure).times('0.15').toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(4));
    await l.books([unpaid, paid]);

    // Part of the arrears paid: still NPA (no upgrade while any arrear is unpaid).
    await postLoanTransaction(l.db, l.command(), '2021-06-30', { loanId: unpaid, kind: 'repayment', valueDate: '2021-06-30', amount: new Decimal(15_000), channel: 'test' });
    await run(tenant, '2021-07-01');
    const partly = await l.position(unpaid);
    expect(partly.days_past_due).toBeGreaterThan(0);
    expect(partly.own_class).toBe('SUBSTANDARD');
    // Every arrear paid: standard again at the next run, suspense released, provision back to 0.4 %.
    // More than every arrear (the rest pays the next instalments ahead, by the product's rule).
    await postLoanTransaction(l.db, l.command(), '2021-07-01', { loanId: unpaid, kind: 'repayment', valueDate: '2021-07-01', amount: new Decimal(60_000), channel: 'test' });
    await run(tenant, '2021-07-02');
    const cured = await l.position(unpaid);
    expect(cured).toMatchObject({ days_past_due: 0, own_class: 'STANDARD', asset_class: 'STANDARD', npa_since: null, interest_suspense: '0.0000' });
    expect(cured.provision).toBe(new Decimal(cured.exposure).times('0.004').toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(4));
    expect((await l.position(paid)).asset_class).toBe('STANDARD');
    expect((await l.changes(unpaid)).map((c) => [c.business_date, c.class_before, c.class_after])).toEqual([
      ['2021-04-01', 'STANDARD', 'SMA_0'], ['2021-05-01', 'SMA_0', 'SMA_1'], ['2021-05-31', 'SMA_1', 'SMA_2'],
      ['2021-06-30', 'SMA_2', 'SUBSTANDARD'], ['2021-07-02', 'SUBSTANDARD', 'STANDARD'],
    ]);
    await l.books([unpaid, paid]);
    // Each run closes as a command on the audit trail: who started it, the date it moved from, what it did.
    const [audit] = await tenantSql(l.db, tenant.schemaName).query<{ actor: string; before: { businessDate: string }; after: { totals: Record<string, number> } }[]>((s) => `
      SELECT actor, before, after FROM ${s}.audit_record WHERE action = 'endOfDay.complete' AND entity_type = 'EndOfDayRun' AND entity_id = '2021-06-30'`);
    expect(audit).toMatchObject({ actor: 'test', before: { businessDate: '2021-06-29' } });
    expect(audit!.after.totals['classify']).toBeGreaterThan(0);
  });

  it('charges off under the US policy at 120 days, loan by loan, substandard and non-accrual from 90', { timeout: 300_000 }, async () => {
    const tenant = await createTenant(runtime, uniqueSlug('ffiec'), { sandbox: true, currency: 'USD', timeZone: 'America/New_York', businessDate: '2026-01-01' });
    const l = lender(tenant);
    const borrowerPartyId = await l.borrower();
    const { loanId: late } = await disburseLoan(l.db, l.command(), '2026-01-01', {
      productCode: 'PL-STD', principal: new Decimal(6_000), numberOfRepayments: 12, disbursementDate: '2026-01-01', firstRepaymentDate: '2026-02-01', borrowerPartyId,
    });
    // The borrower's other loan, paid well ahead on the day it was paid out: current throughout.
    const { loanId: current } = await disburseLoan(l.db, l.command(), '2026-01-01', {
      productCode: 'PL-STD', principal: new Decimal(6_000), numberOfRepayments: 12, disbursementDate: '2026-01-01', firstRepaymentDate: '2026-03-01', borrowerPartyId,
    });
    await postLoanTransaction(l.db, l.command(), '2026-01-01', { loanId: current, kind: 'repayment', valueDate: '2026-01-01', amount: new Decimal(4_000), channel: 'test' });
    await run(tenant, '2026-05-01'); // 89 days after 1 February
    expect(await l.position(late)).toMatchObject({ days_past_due: 89, own_class: 'STANDARD', interest_suspense: '0.0000' });
    await run(tenant, '2026-05-02');
    const substandard = await l.position(late);
    expect(substandard).toMatchObject({ days_past_due: 90, own_class: 'SUBSTANDARD', asset_class: 'SUBSTANDARD' });
    expect(new Decimal(substandard.interest_suspense).eq(substandard.interest_receivable)).toBe(true);
    // Loan by loan: the borrower's current loan is not classified with it.
    expect(await l.position(current)).toMatchObject({ days_past_due: 0, asset_class: 'STANDARD' });
    await run(tenant, '2026-06-01');
    expect(await l.position(late)).toMatchObject({ days_past_due: 120, own_class: 'LOSS' });
    const loss = await l.position(late);
    expect(loss.provision).toBe(new Decimal(loss.exposure).toFixed(4));
    await l.books([late, current]);
  });
});
