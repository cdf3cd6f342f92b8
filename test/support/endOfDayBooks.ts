// A tenant with one plain product and one loan booked on its business date, for the tests of how end of day is
// started (the schedule, the command line); the replay oracle test has the rich books.
import { randomUUID } from 'node:crypto';
import { Decimal } from '../../src/domain/money.js';
import { loanTerms, termsToJson } from '../../src/domain/servicing/product.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../src/domain/servicing/allocation.js';
import type { Runtime } from '../../src/runtime.js';
import { disburseLoan } from '../../src/services/servicing/loans.js';
import { tenantSql } from '../../src/tenancy/tenantSql.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, uniqueSlug } from './harness.js';

export async function tenantWithLoan(runtime: Runtime, prefix: string, options: { timeZone?: string; businessDate: string; now?: Date }): Promise<{ tenant: TenantRecord; loanId: string }> {
  const slug = uniqueSlug(prefix);
  const date = options.businessDate;
  const tenant = await createTenant(runtime, slug, { businessDate: date, timeZone: options.timeZone ?? 'UTC' });
  const db = runtime.tenantClients.forSchema(tenant.schemaName);
  const sql = tenantSql(db, tenant.schemaName);
  const productId = randomUUID();
  await sql.execute((s) => `INSERT INTO ${s}.loan_product (id, code, name, currency, min_amount, max_amount, min_tenor_months, max_tenor_months, annual_rate, current_version)
    VALUES ($1::uuid, 'PLAIN', 'Plain', 'USD', 100, 100000, 1, 60, 0.12, 1)`, productId);
  await sql.execute((s) => `INSERT INTO ${s}.loan_product_version (product_id, version, terms, allocation, created_by, created_at)
    VALUES ($1::uuid, 1, $2::jsonb, $3::jsonb, 'test', now())`, productId,
  JSON.stringify(termsToJson(loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 6 }))), JSON.stringify(PENALTIES_FEES_INTEREST_PRINCIPAL));
  const command = { tenant: slug, now: options.now ?? runtime.now(), actor: { subject: 'officer', roles: [], partner: null, clientId: null, requestId: randomUUID() } };
  const { loanId } = await disburseLoan(db, command, date, { productCode: 'PLAIN', principal: new Decimal(1200), disbursementDate: date });
  return { tenant, loanId };
}

/** Makes end of day refuse the loan on `date`: terms the replay cannot read, on a loan it must replay that day.
 * Returns what puts it right. */
export async function breakLoan(runtime: Runtime, tenant: TenantRecord, loanId: string, date: string): Promise<() => Promise<void>> {
  const sql = tenantSql(runtime.tenantClients.forSchema(tenant.schemaName), tenant.schemaName);
  const [row] = await sql.query<{ terms: unknown }[]>((s) => `SELECT terms FROM ${s}.loan WHERE id = $1::uuid`, loanId);
  await sql.execute((s) => `UPDATE ${s}.loan SET terms = '{"broken": true}'::jsonb, replay_on = $2::date WHERE id = $1::uuid`, loanId, date);
  return async () => {
    await sql.execute((s) => `UPDATE ${s}.loan SET terms = $2::jsonb WHERE id = $1::uuid`, loanId, JSON.stringify(row!.terms));
  };
}
