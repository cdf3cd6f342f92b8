// Creating a tenant's database side: its schema at the latest migration, optional sandbox data, and its
// registry entry, all in one transaction under the schema's lock. A crash anywhere leaves nothing behind;
// repeating the same request returns the tenant already made.
import type pg from 'pg';
import { randomUUID } from 'node:crypto';
import { isCurrency } from '../domain/money.js';
import { InvalidField } from '../errors.js';
import { dateInZone, isBusinessDate, isTimeZone } from '../domain/businessDate.js';
import { applyPending, lockSchema, type Migration } from './migrations.js';
import { isValidSlug, quoteIdent, schemaForSlug } from './schemaNames.js';
import { seedSandbox } from './sandboxSeed.js';

export interface NewTenant {
  slug: string;
  displayName: string;
  currency: string;
  timeZone: string;
  /** Defaults to today in the tenant's zone, at `now`. */
  businessDate?: string;
  sandbox: boolean;
}

export class TenantConflictError extends Error {
  constructor(
    readonly slug: string,
    readonly fields: string[],
  ) {
    super(`tenant ${slug} already exists with a different ${fields.join(', ')}`);
    this.name = 'TenantConflictError';
  }
}

export function validateNewTenant(input: NewTenant): void {
  if (!isValidSlug(input.slug)) {
    throw new InvalidField('slug', 'slug must be 3–40 lowercase letters, digits or single hyphens, starting with a letter');
  }
  if (input.displayName.trim().length === 0 || input.displayName.length > 200) {
    throw new InvalidField('displayName', 'displayName must be 1–200 characters');
  }
  if (!isCurrency(input.currency)) throw new InvalidField('currency', 'currency must be an ISO 4217 code');
  if (!isTimeZone(input.timeZone)) throw new InvalidField('timeZone', 'timeZone must be an IANA time zone');
  if (input.businessDate !== undefined && !isBusinessDate(input.businessDate)) {
    throw new InvalidField('businessDate', 'businessDate must be a calendar date YYYY-MM-DD');
  }
}

export interface ProvisionResult {
  tenantId: string;
  created: boolean;
  /** The registry status after this call (an existing tenant keeps its own). */
  status: string;
}

export async function provisionTenant(
  pool: pg.Pool,
  migrations: Migration[],
  input: NewTenant,
  now: Date,
  /** `provisioning` when an identity provider still has its part to do (src/tenancy/onboarding.ts). */
  initialStatus: 'active' | 'provisioning' = 'active',
): Promise<ProvisionResult> {
  validateNewTenant(input);
  const schema = schemaForSlug(input.slug);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await lockSchema(client, schema);
    const existing = await client.query<{
      id: string;
      display_name: string;
      currency: string;
      time_zone: string;
      sandbox: boolean;
      status: string;
    }>('SELECT id, display_name, currency, time_zone, sandbox, status FROM platform.tenant WHERE slug = $1', [input.slug]);
    const found = existing.rows[0];
    // A tenant whose onboarding failed was compensated (no schema, no identities): a retry makes it again.
    const retrying = found?.status === 'onboarding_failed';
    if (found && !retrying) {
      await client.query('ROLLBACK');
      const differs = [
        found.display_name !== input.displayName && 'displayName',
        found.currency !== input.currency && 'currency',
        found.time_zone !== input.timeZone && 'timeZone',
        found.sandbox !== input.sandbox && 'sandbox',
      ].filter((f): f is string => typeof f === 'string');
      if (differs.length > 0) throw new TenantConflictError(input.slug, differs);
      return { tenantId: found.id, created: false, status: found.status };
    }
    // A schema without a registry row can only be debris from outside this code path (a provisioning
    // transaction never commits one without the other); refuse rather than adopt unknown tables.
    await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    const applied = await applyPending(client, schema, 'tenant', migrations);
    const businessDate = input.businessDate ?? dateInZone(now, input.timeZone);
    if (input.sandbox) await seedSandbox(client, { slug: input.slug, currency: input.currency, businessDate });
    const tenantId = found?.id ?? randomUUID();
    await client.query(
      `INSERT INTO platform.tenant
         (id, slug, display_name, status, sandbox, currency, time_zone, business_date, schema_name, schema_version,
          created_at, updated_at)
       VALUES ($1, $2, $3, $11, $4, $5, $6, $7, $8, $9, $10, $10)
       ON CONFLICT (id) DO UPDATE SET display_name = $3, status = $11, status_reason = NULL, sandbox = $4, currency = $5,
         time_zone = $6, business_date = $7, schema_version = $9, updated_at = $10`,
      [tenantId, input.slug, input.displayName, input.sandbox, input.currency, input.timeZone, businessDate, schema,
        applied.at(-1) ?? null, now, initialStatus],
    );
    await client.query('COMMIT');
    return { tenantId, created: true, status: initialStatus };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
