// Onboarding a lender spans two systems: the database (its schema and registry entry, one transaction) and the
// identity provider (organization, role groups, first admin). It runs as a saga whose state is the registry
// status: `provisioning` while the identity side is pending, then `active`. If the identity side fails, what it
// made is removed, the schema is dropped, and the registry says `onboarding_failed` with the reason; repeating
// the request starts both sides again. If compensation itself fails, the tenant stays `provisioning` (serving
// nothing) and a repeat completes it, since every identity step is idempotent.
import type pg from 'pg';
import type { Logger } from '../log.js';
import type { FirstAdmin, TenantIdentity } from './identity.js';
import { lockSchema, type Migration } from './migrations.js';
import { provisionTenant, type NewTenant } from './provisioning.js';
import { quoteIdent, schemaForSlug } from './schemaNames.js';
import type { Databases } from './placement.js';
import { transaction } from './tenantSql.js';

export interface OnboardingDeps {
  /** The registry is on `main`; a tenant's schema on the database its entry names. */
  databases: Databases;
  migrations: Migration[];
  identity: TenantIdentity;
  log: Logger;
}

export interface OnboardingResult {
  created: boolean;
  status: string;
  /**
   * Whether this request made the first admin asked for in the identity provider: null when none was asked for;
   * false when the provider makes no people (the development issuer), when the identity side failed, and when the
   * tenant was already onboarded (the request that onboarded it made its admin, if it could).
   */
  firstAdminMade: boolean | null;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `identity provider: ${message}`.slice(0, 500);
}

async function setStatus(pool: pg.Pool, slug: string, status: string, reason: string | null): Promise<void> {
  await pool.query('UPDATE platform.tenant SET status = $2, status_reason = $3, updated_at = now() WHERE slug = $1', [slug, status, reason]);
}

/**
 * Drops the database side of a tenant whose identity side failed, keeping its registry row as the record. On
 * another database than the platform's, the schema goes first: a crash between the two leaves the row
 * `provisioning` with no schema, which a retry makes again.
 */
async function compensateDatabase(databases: Databases, slug: string, reason: string, placedOn: string): Promise<void> {
  const schema = schemaForSlug(slug);
  const elsewhere = placedOn !== databases.main.name;
  if (elsewhere) await dropSchema(databases.pool(placedOn), schema);
  await transaction(databases.main.pool, async (client) => {
    await lockSchema(client, schema);
    if (!elsewhere) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await client.query(
      `UPDATE platform.tenant SET status = 'onboarding_failed', status_reason = $2, schema_version = NULL, updated_at = now()
        WHERE slug = $1`,
      [slug, reason],
    );
  });
}

async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await transaction(pool, async (client) => {
    await lockSchema(client, schema);
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  });
}

export async function onboardTenant(deps: OnboardingDeps, input: NewTenant, firstAdmin: FirstAdmin | null, now: Date): Promise<OnboardingResult> {
  const asked = firstAdmin === null ? input : { ...input, firstAdminEmail: firstAdmin.email };
  const database = await provisionTenant(deps.databases, deps.migrations, asked, now, 'provisioning');
  const notMade = firstAdmin === null ? null : false;
  if (database.status !== 'provisioning') return { created: database.created, status: database.status, firstAdminMade: notMade };
  try {
    await deps.identity.ensureTenant({ slug: input.slug, displayName: input.displayName }, firstAdmin);
  } catch (error) {
    const reason = reasonOf(error);
    deps.log.error({ slug: input.slug, err: error }, 'onboarding: identity side failed; compensating');
    try {
      await deps.identity.removeTenant(input.slug);
      await compensateDatabase(deps.databases, input.slug, reason, input.database ?? deps.databases.main.name);
      return { created: false, status: 'onboarding_failed', firstAdminMade: notMade };
    } catch (compensation) {
      deps.log.error({ slug: input.slug, err: compensation }, 'onboarding: compensation failed; a retry will complete the tenant');
      await setStatus(deps.databases.main.pool, input.slug, 'provisioning', `${reason}; compensation failed, retry to complete`);
      return { created: false, status: 'provisioning', firstAdminMade: notMade };
    }
  }
  await setStatus(deps.databases.main.pool, input.slug, 'active', null);
  return { created: database.created, status: 'active', firstAdminMade: firstAdmin === null ? null : deps.identity.makesPeople };
}

/** Offboarding: the tenant stops serving at once; its identities are disabled (a repeat retries that part). */
export async function offboardTenant(deps: OnboardingDeps, slug: string, reason: string): Promise<boolean> {
  const { rowCount } = await deps.databases.main.pool.query(
    `UPDATE platform.tenant SET status = 'offboarded', status_reason = $2, updated_at = now()
      WHERE slug = $1 AND status IN ('active', 'suspended', 'offboarded')`,
    [slug, reason],
  );
  if (rowCount === 0) return false;
  await deps.identity.disableTenant(slug);
  return true;
}
