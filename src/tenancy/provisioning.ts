// Creating a tenant's database side: its schema at the latest migration, optional sandbox data, and its
// registry entry, all in one transaction under the schema's lock. A crash anywhere leaves nothing behind;
// repeating the same request returns the tenant already made.
//
// A tenant placed on another database than the platform's cannot have both in one transaction, so it is made in
// three steps, each repeatable: the registry row first (`provisioning`, naming the database, no version yet: it
// serves nothing), then the schema there (created if absent, migrated, seeded only when just created), then the
// row's version and status. A crash between steps leaves a `provisioning` row, and the same request repeats every
// step for a row still `provisioning` (after onboarding's compensation dropped the schema too).
import type pg from 'pg';
import { randomUUID } from 'node:crypto';
import { isCurrency } from '../domain/money.js';
import { InvalidField } from '../errors.js';
import { dateInZone, isBusinessDate, isTimeZone } from '../domain/businessDate.js';
import { addDays } from '../domain/calendar.js';
import { applyPending, lockSchema, type Migration } from './migrations.js';
import { isValidSlug, quoteIdent, schemaForSlug } from './schemaNames.js';
import { seedSandbox } from './sandboxSeed.js';
import { transaction } from './tenantSql.js';
import { databasesOf, MAIN_DATABASE, type Databases } from './placement.js';
import { writeRegistryEntry } from './registryEntry.js';

export interface NewTenant {
  slug: string;
  displayName: string;
  currency: string;
  timeZone: string;
  /** Defaults to today in the tenant's zone, at `now`. */
  businessDate?: string;
  sandbox: boolean;
  /** Which database its schema goes on, by name; the platform's own (`main`) unless said. */
  database?: string;
  /** The e-mail of the first admin onboarding asks the identity provider for, recorded for repeats to be held to. */
  firstAdminEmail?: string;
}

/**
 * How far before today a new tenant's first business date may be. End of day brings a tenant to today one date
 * after another, so a first date decades back (1926 typed for 2026) would grind through tens of thousands of runs;
 * a lender bringing an older book backdates its loans' disbursements instead, which has no such bound. Five
 * years (and a day): a lender may start its books at any year end it still reports on, and a date typed with the
 * wrong century or decade is refused.
 */
export const FIRST_BUSINESS_DATE_DAYS_BACK = 1_827;

export class TenantConflictError extends Error {
  constructor(
    readonly slug: string,
    readonly fields: string[],
  ) {
    super(`tenant ${slug} already exists with a different ${fields.join(', ')}`);
    this.name = 'TenantConflictError';
  }
}

/** Refuses a new tenant's bad details, naming the field; `now` is when it is asked for. */
export function validateNewTenant(input: NewTenant, now: Date): void {
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
  // A lender's date moves only by its end of day, one date after another; a first date past its calendar would
  // value its first loans in a future nothing has reached. A sandbox is moved ahead by advanceSandboxClock.
  const today = dateInZone(now, input.timeZone);
  if (input.businessDate !== undefined && input.businessDate > today) {
    throw new InvalidField('businessDate', `businessDate may not be after today in ${input.timeZone}, ${today}: a tenant's business date moves forward only by its end of day (a sandbox's also by advanceSandboxClock)`);
  }
  const earliest = addDays(today, -FIRST_BUSINESS_DATE_DAYS_BACK);
  if (input.businessDate !== undefined && input.businessDate < earliest) {
    throw new InvalidField('businessDate', `businessDate may not be before ${earliest}, ${FIRST_BUSINESS_DATE_DAYS_BACK} days before today in ${input.timeZone}: end of day would run once for every date since; an older book is brought in by backdating its loans' disbursements`);
  }
}

export interface ProvisionResult {
  tenantId: string;
  created: boolean;
  /** The registry status after this call (an existing tenant keeps its own). */
  status: string;
}

export async function provisionTenant(
  on: pg.Pool | Databases,
  migrations: Migration[],
  input: NewTenant,
  now: Date,
  /** `provisioning` when an identity provider still has its part to do (src/tenancy/onboarding.ts). */
  initialStatus: 'active' | 'provisioning' = 'active',
): Promise<ProvisionResult> {
  validateNewTenant(input, now);
  const databases = databasesOf(on);
  const placedOn = input.database ?? MAIN_DATABASE;
  if (!databases.has(placedOn)) {
    throw new InvalidField('database', `database must be one this platform is set up with (${databases.list().map((d) => d.name).join(', ')})`);
  }
  if (placedOn !== MAIN_DATABASE) return provisionElsewhere(databases, migrations, input, placedOn, now, initialStatus);
  const schema = schemaForSlug(input.slug);
  return transaction(databases.main.pool, async (client) => {
    await lockSchema(client, schema);
    const existing = await client.query<ExistingTenant>(`SELECT ${EXISTING} FROM platform.tenant WHERE slug = $1`, [input.slug]);
    const found = existing.rows[0];
    // A tenant whose onboarding failed was compensated (no schema, no identities): a retry makes it again.
    const retrying = found?.status === 'onboarding_failed';
    if (found && !retrying) {
      refuseDifferent(found, input);
      return { tenantId: found.id, created: false, status: found.status };
    }
    // A schema without a registry row can only be debris from outside this code path (a provisioning
    // transaction never commits one without the other); refuse rather than adopt unknown tables.
    await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    const applied = await applyPending(client, schema, 'tenant', migrations);
    const businessDate = input.businessDate ?? dateInZone(now, input.timeZone);
    if (input.sandbox) await seedSandbox(client, { slug: input.slug, currency: input.currency, businessDate });
    const tenantId = found?.id ?? randomUUID();
    await writeRegistryEntry(client, {
      ...entryOf(input, tenantId, schema, businessDate, now), status: initialStatus, statusReason: null, schemaVersion: applied.at(-1) ?? null, database: MAIN_DATABASE,
    }, { retry: retrying });
    return { tenantId, created: true, status: initialStatus };
  });
}

/** What a new tenant's registry row takes from the request. */
const entryOf = (input: NewTenant, id: string, schemaName: string, businessDate: string, now: Date) => ({
  id, slug: input.slug, displayName: input.displayName, sandbox: input.sandbox, currency: input.currency, timeZone: input.timeZone,
  businessDate, schemaName, createdAt: now, updatedAt: now, firstBusinessDate: businessDate, firstAdminEmail: input.firstAdminEmail ?? null,
});

interface ExistingTenant {
  id: string;
  display_name: string;
  currency: string;
  time_zone: string;
  sandbox: boolean;
  status: string;
  database: string;
  schema_version: string | null;
  first_business_date: string | null;
  first_admin_email: string | null;
}

const EXISTING = 'id, display_name, currency, time_zone, sandbox, status, database, schema_version, first_business_date::text, first_admin_email';

/**
 * Repeating a request is fine; the same slug with different terms is a conflict, named field by field. A business
 * date or first admin left out of the repeat asks for nothing; given, each is held to what the tenant was created
 * with (its business date since moved on by end of day is no difference). A first admin asked for where none was,
 * or another one, would never be made. A row from before these were recorded (no first business date) is held
 * to the rest only.
 */
function refuseDifferent(found: ExistingTenant, input: NewTenant): void {
  const recorded = found.first_business_date !== null;
  const differs = [
    found.display_name !== input.displayName && 'displayName',
    found.currency !== input.currency && 'currency',
    found.time_zone !== input.timeZone && 'timeZone',
    found.sandbox !== input.sandbox && 'sandbox',
    found.database !== (input.database ?? MAIN_DATABASE) && 'database',
    recorded && input.businessDate !== undefined && input.businessDate !== found.first_business_date && 'businessDate',
    recorded && input.firstAdminEmail !== undefined && input.firstAdminEmail.toLowerCase() !== found.first_admin_email?.toLowerCase() && 'firstAdmin.email',
  ].filter((f): f is string => typeof f === 'string');
  if (differs.length > 0) throw new TenantConflictError(input.slug, differs);
}

async function provisionElsewhere(
  databases: Databases,
  migrations: Migration[],
  input: NewTenant,
  placedOn: string,
  now: Date,
  initialStatus: 'active' | 'provisioning',
): Promise<ProvisionResult> {
  const schema = schemaForSlug(input.slug);
  const businessDate = input.businessDate ?? dateInZone(now, input.timeZone);
  // Step 1, on the platform's database: the registry row, or the one an earlier attempt left.
  const row = await transaction(databases.main.pool, async (client) => {
    await lockSchema(client, schema);
    const found = (await client.query<ExistingTenant>(`SELECT ${EXISTING} FROM platform.tenant WHERE slug = $1`, [input.slug])).rows[0];
    if (found && found.status !== 'onboarding_failed') {
      refuseDifferent(found, input);
      // Still provisioning: its schema is made (again, if a compensation dropped it) and checked; every step repeats.
      return { tenantId: found.id, done: found.status !== 'provisioning', status: found.status };
    }
    const tenantId = found?.id ?? randomUUID();
    await writeRegistryEntry(client, {
      ...entryOf(input, tenantId, schema, businessDate, now), status: 'provisioning', statusReason: 'placing its schema', schemaVersion: null, database: placedOn,
    }, { retry: found !== undefined });
    return { tenantId, done: false, status: 'provisioning' };
  });
  if (row.done) return { tenantId: row.tenantId, created: false, status: row.status };
  // Step 2, on the tenant's database: its schema, made or completed under the schema's lock there.
  const version = await transaction(databases.pool(placedOn), async (client) => {
    await lockSchema(client, schema);
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (!rowCount) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await applyPending(client, schema, 'tenant', migrations);
    if (!rowCount && input.sandbox) await seedSandbox(client, { slug: input.slug, currency: input.currency, businessDate });
    return (await client.query<{ v: string | null }>('SELECT max(id) AS v FROM schema_migration')).rows[0]?.v ?? null;
  });
  // Step 3: the registry row says the schema is there, and at which version (still `provisioning` if the
  // identity side has its part to do).
  await databases.main.pool.query(
    `UPDATE platform.tenant SET status = $2, status_reason = NULL, schema_version = $3, updated_at = $4 WHERE id = $1 AND status = 'provisioning'`,
    [row.tenantId, initialStatus, version, now],
  );
  return { tenantId: row.tenantId, created: true, status: initialStatus };
}
