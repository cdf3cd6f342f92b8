// Our own migration runner (Prisma Migrate's CLI cannot run here; DESIGN.md). Migrations are SQL files at
// prisma/migrations/<id>/migration.sql whose first line says which schemas they belong to
// (`-- lendgraph:scope=platform` or `-- lendgraph:scope=tenant`). They are written with unqualified names and
// run with search_path set, inside one transaction per schema that holds that schema's advisory lock, so two
// processes starting at once wait for each other and the second finds nothing left to do.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { PLATFORM_SCHEMA, quoteIdent } from './schemaNames.js';
import { databasesOf, MAIN_DATABASE, type Databases } from './placement.js';
import { transaction } from './tenantSql.js';

export type MigrationScope = 'platform' | 'tenant';

export interface Migration {
  id: string;
  scope: MigrationScope;
  sql: string;
  checksum: string;
}

export const DEFAULT_MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../prisma/migrations',
);

export function loadMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((id) => {
      const sql = readFileSync(path.join(dir, id, 'migration.sql'), 'utf8');
      const scope = /^--\s*lendgraph:scope=(platform|tenant)\s*$/m.exec(sql.split('\n', 1)[0] ?? '')?.[1];
      if (!scope) throw new Error(`migration ${id}: first line must be -- lendgraph:scope=platform|tenant`);
      return { id, scope: scope as MigrationScope, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export function latestVersion(migrations: Migration[], scope: MigrationScope): string | null {
  return migrations.filter((m) => m.scope === scope).at(-1)?.id ?? null;
}

const latestTenantVersions = new WeakMap<Migration[], string | null>();

/** This build's latest tenant migration, asked on every request: worked out once per list of migrations. */
export function latestTenantVersion(migrations: Migration[]): string | null {
  let latest = latestTenantVersions.get(migrations);
  if (latest === undefined) {
    latest = latestVersion(migrations, 'tenant');
    latestTenantVersions.set(migrations, latest);
  }
  return latest;
}

export function isBehind(version: string | null, latest: string | null): boolean {
  return latest !== null && (version === null || version < latest);
}

export class MigrationError extends Error {
  constructor(
    readonly schema: string,
    readonly migrationId: string,
    cause: unknown,
  ) {
    super(`${schema}: migration ${migrationId} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'MigrationError';
  }
}

/** Locks one schema for the rest of the caller's transaction; the same key is used by provisioning. */
export async function lockSchema(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('lendgraph:schema:' || $1))`, [schema]);
}

/**
 * Applies, inside the caller's open transaction and lock, every migration of `scope` not yet recorded in
 * `schema`. Returns the ids applied. The schema must exist. A tenant's migrations read its business date, which
 * its schema does not hold, as `current_setting('lendgraph.business_date', true)` (empty when not given: a schema
 * being made, which has no rows to fill from it).
 */
export async function applyPending(
  client: pg.ClientBase,
  schema: string,
  scope: MigrationScope,
  migrations: Migration[],
  businessDate: string | null = null,
): Promise<string[]> {
  await client.query(`SELECT set_config('search_path', $1, true), set_config('lendgraph.business_date', $2, true)`, [quoteIdent(schema), businessDate ?? '']);
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migration (
    id text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<{ id: string; checksum: string }>('SELECT id, checksum FROM schema_migration');
  const applied = new Map(rows.map((r) => [r.id, r.checksum]));
  const done: string[] = [];
  for (const migration of migrations.filter((m) => m.scope === scope)) {
    const recorded = applied.get(migration.id);
    if (recorded !== undefined) {
      if (recorded !== migration.checksum) {
        throw new MigrationError(schema, migration.id, new Error('applied migration was edited (checksum differs)'));
      }
      continue;
    }
    try {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migration (id, checksum) VALUES ($1, $2)', [migration.id, migration.checksum]);
    } catch (error) {
      throw new MigrationError(schema, migration.id, error);
    }
    done.push(migration.id);
  }
  return done;
}

export interface SchemaOutcome {
  schema: string;
  tenant: string | null;
  applied: string[];
  error?: { migrationId: string; message: string };
}

export interface MigrationReport {
  platform: SchemaOutcome;
  tenants: SchemaOutcome[];
  failed: SchemaOutcome[];
}

async function migrateSchema(
  databases: Databases,
  target: { schema: string; tenant: string | null; database: string; status?: string; businessDate?: string },
  migrations: Migration[],
): Promise<SchemaOutcome & { missing?: true }> {
  const onMain = target.database === MAIN_DATABASE;
  const { schema, tenant } = target;
  try {
    // A database that cannot be reached is this tenant's failure, reported, not the whole pass's.
    const done = await transaction(databases.pool(target.database), async (client) => {
      await lockSchema(client, schema);
      if (tenant === null) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      else if (!onMain) {
        // On the platform's database the tenant list already left out schemas that do not exist.
        const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        if (!rowCount) return { missing: true as const };
      }
      const applied = await applyPending(client, schema, tenant === null ? 'platform' : 'tenant', migrations, target.businessDate ?? null);
      if (tenant !== null && onMain) {
        // The registry's copy of the version moves in the same transaction as the schema itself.
        await client.query(
          `UPDATE platform.tenant SET schema_version = (SELECT max(id) FROM schema_migration), updated_at = now()
            WHERE schema_name = $1`,
          [schema],
        );
      }
      const version = tenant !== null && !onMain
        ? (await client.query<{ v: string | null }>('SELECT max(id) AS v FROM schema_migration')).rows[0]?.v ?? null
        : null;
      return { applied, version };
    });
    if ('missing' in done) {
      // Expected while a tenant is being made or after its onboarding failed; for one that serves, a fault to report.
      if (target.status === 'active' || target.status === 'suspended') {
        return { schema, tenant, applied: [], error: { migrationId: '(runner)', message: `its schema is missing on database ${target.database}` } };
      }
      return { schema, tenant, applied: [], missing: true };
    }
    if (done.version !== null) {
      // The registry is on another database: its copy follows the commit. Until it does, the tenant reads as
      // behind (TENANT_MIGRATING), never as ahead of its schema; the next pass sets it if this process stops here.
      await databases.main.pool.query('UPDATE platform.tenant SET schema_version = $2, updated_at = now() WHERE schema_name = $1', [schema, done.version]);
    }
    return { schema, tenant, applied: done.applied };
  } catch (error) {
    if (error instanceof MigrationError) {
      return { schema, tenant, applied: [], error: { migrationId: error.migrationId, message: error.message } };
    }
    return { schema, tenant, applied: [], error: { migrationId: '(runner)', message: (error as Error).message } };
  }
}

export interface MigrateOptions {
  concurrency: number;
  /** Only these tenant slugs (the platform schema is always brought up to date first). */
  only?: string[];
  /**
   * Visit only tenant schemas whose registry version is behind this build's latest tenant migration (what
   * readiness looks at), instead of opening a transaction in every schema to find nothing to do. Start-up uses
   * it: with thousands of tenants the full pass is most of the time to ready, bumps every registry row and
   * fills every pool connection's relation cache with each schema's `schema_migration`. The full pass (the
   * migrate CLI) also verifies checksums and mends a schema whose record disagrees with its registry row.
   */
  behindOnly?: boolean;
  onProgress?: (outcome: SchemaOutcome, done: number, total: number) => void;
}

/**
 * Brings `platform` and then every tenant schema to the latest version, each on the database it is placed on; a
 * failing tenant does not stop the rest. A plain pool means every tenant lives on it.
 */
export async function migrateAll(on: pg.Pool | Databases, migrations: Migration[], options: MigrateOptions): Promise<MigrationReport> {
  const databases = databasesOf(on);
  const platform = await migrateSchema(databases, { schema: PLATFORM_SCHEMA, tenant: null, database: MAIN_DATABASE }, migrations);
  if (platform.error) return { platform, tenants: [], failed: [platform] };
  const { rows } = await databases.main.pool.query<{ slug: string; schema_name: string; database: string; status: string; business_date: string }>(
    `SELECT slug, schema_name, database, status, to_char(business_date, 'YYYY-MM-DD') AS business_date FROM platform.tenant t
      WHERE (t.database <> '${MAIN_DATABASE}' OR EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = t.schema_name))
        AND ($1::text[] IS NULL OR slug = ANY($1))
        AND ($2::text IS NULL OR schema_version IS NULL OR schema_version < $2)
      ORDER BY slug`,
    [options.only ?? null, options.behindOnly ? latestVersion(migrations, 'tenant') : null],
  );
  const outcomes: SchemaOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      const { missing, ...outcome } = databases.has(row.database)
        ? await migrateSchema(databases, { schema: row.schema_name, tenant: row.slug, database: row.database, status: row.status, businessDate: row.business_date }, migrations)
        : { schema: row.schema_name, tenant: row.slug, applied: [], error: { migrationId: '(runner)', message: `its database "${row.database}" is not in TENANT_DATABASES` } };
      if (missing) continue;
      outcomes.push(outcome);
      options.onProgress?.(outcome, outcomes.length, rows.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(rows.length, 1)) }, worker));
  outcomes.sort((a, b) => (a.tenant ?? '').localeCompare(b.tenant ?? ''));
  return { platform, tenants: outcomes, failed: outcomes.filter((o) => o.error) };
}

/**
 * Platform and tenant schemas behind this build's latest migration; readiness fails while any exist. A schema
 * ahead of it (a newer build migrated it during a rolling deploy) is not behind. Migration ids start with a
 * timestamp, so they order as text.
 */
export async function schemasBehind(pool: pg.Pool, migrations: Migration[]): Promise<string[]> {
  const latestPlatform = latestVersion(migrations, 'platform');
  const latestTenant = latestVersion(migrations, 'tenant');
  const platform = await pool
    .query<{ v: string | null }>('SELECT max(id) AS v FROM platform.schema_migration')
    .then((r) => r.rows[0]?.v ?? null)
    .catch(() => null);
  const behind: string[] = isBehind(platform, latestPlatform) ? [PLATFORM_SCHEMA] : [];
  if (behind.length > 0) return behind;
  const { rows } = await pool.query<{ schema_name: string }>(
    `SELECT schema_name FROM platform.tenant WHERE status NOT IN ('offboarded', 'onboarding_failed') AND (schema_version IS NULL OR schema_version < $1)`,
    [latestTenant],
  );
  return rows.map((r) => r.schema_name);
}
