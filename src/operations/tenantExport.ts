// Exports one tenant: its registry entry, schema version, every table's rows and every sequence's value, read in
// one REPEATABLE READ, READ ONLY transaction so the whole backup is one instant of the tenant's books. The
// tenant keeps serving while it runs (a read-only snapshot blocks no writer); a tenant being moved is suspended
// first so nothing is written after the instant the backup shows. The format is in tenantBackupFormat.ts.
import { createWriteStream, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { InvalidField } from '../errors.js';
import { quoteIdent } from '../tenancy/schemaNames.js';
import { databasesOf, type Databases } from '../tenancy/placement.js';
import { transaction } from '../tenancy/tenantSql.js';
import { BACKUP_FORMAT, fileSha256, MANIFEST, MANIFEST_CHECKSUM, sha256Of, type BackupManifest, type BackupTable } from './tenantBackupFormat.js';
import { digestOf, sequencesOf, settleTextSettings, tablesOf } from './tenantTables.js';

interface RegistryRow {
  id: string;
  slug: string;
  display_name: string;
  status: string;
  status_reason: string | null;
  sandbox: boolean;
  check_providers: string;
  currency: string;
  time_zone: string;
  business_date: string;
  schema_name: string;
  created_at: string;
  next_message_at: string | null;
  dashboard_origins: string[];
  first_business_date: string | null;
  first_admin_email: string | null;
}

export interface ExportOptions {
  /**
   * Hold every writer off the tenant's tables while the backup is taken (a move): the snapshot begins only once
   * writers already running have committed, so nothing the tenant acknowledged is left behind.
   */
  holdWriters?: boolean;
}

async function tablesToHold(pool: pg.Pool, schema: string): Promise<string[]> {
  const { rows } = await pool.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind = 'r'
      WHERE n.nspname = $1`, [schema]);
  return rows.map((row) => `${quoteIdent(row.schema)}.${quoteIdent(row.name)}`);
}

/**
 * Exports a tenant from the database its registry entry places it on (a plain pool: every tenant is on it). On the
 * registry's own database the entry is read in the same snapshot as the rows; elsewhere it is read beside it.
 */
export async function exportTenant(on: pg.Pool | Databases, slug: string, folder: string, now: Date, options: ExportOptions = {}): Promise<BackupManifest> {
  if (existsSync(folder) && readdirSync(folder).length > 0) throw new InvalidField('out', `${folder} is not empty: give a new folder for the backup`);
  const databases = databasesOf(on);
  const { rows: [placed] } = await databases.main.pool.query<{ database: string; schema_name: string }>(
    'SELECT database, schema_name FROM platform.tenant WHERE slug = $1', [slug]);
  if (!placed) throw new InvalidField('slug', `no tenant ${slug}`);
  const pool = databases.poolFor({ schemaName: placed.schema_name, database: placed.database });
  // Found on another connection: any query in the export's own transaction would take its snapshot before the lock.
  const held = options.holdWriters ? await tablesToHold(pool, placed.schema_name) : [];
  // SHARE locks are refused in a READ ONLY transaction; holding writers off is the only write-like thing done.
  const taken = await transaction(pool, async (client) => {
    // LOCK takes no snapshot: the first query below takes it, once every writer already running has committed.
    if (held.length > 0) await client.query(`LOCK TABLE ${held.join(', ')} IN SHARE MODE`);
    await settleTextSettings(client);
    const registry = placed.database === databases.main.name ? client : databases.main.pool;
    const { rows: [tenant] } = await registry.query<RegistryRow>(
      `SELECT t.id::text, t.slug, t.display_name, t.status, t.status_reason, t.sandbox, t.check_providers, t.currency,
              t.time_zone, t.business_date::text, t.schema_name, to_json(t.created_at)#>>'{}' AS created_at,
              to_json(s.next_at)#>>'{}' AS next_message_at, t.dashboard_origins, t.first_business_date::text, t.first_admin_email
         FROM platform.tenant t LEFT JOIN platform.message_schedule s ON s.tenant_id = t.id
        WHERE t.slug = $1`,
      [slug],
    );
    if (!tenant) throw new InvalidField('slug', `no tenant ${slug}`);
    const schema = tenant.schema_name;
    const { rows: [version] } = await client.query<{ id: string | null }>(
      `SELECT (SELECT max(id) FROM ${quoteIdent(schema)}.schema_migration) AS id
        WHERE EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`,
      [schema],
    ).catch(() => ({ rows: [] as { id: string | null }[] }));
    if (!version?.id) throw new InvalidField('slug', `tenant ${slug} has no schema to export (status ${tenant.status})`);

    // Borrowers' names, contacts and addresses are in these rows: the owner alone reads them.
    mkdirSync(path.join(folder, 'tables'), { recursive: true, mode: 0o700 });
    const tables: BackupTable[] = [];
    for (const table of await tablesOf(client, schema)) {
      const file = path.join('tables', `${table.name}.copy.gz`);
      const columns = table.columns.map(quoteIdent).join(', ');
      const copy = client.query(copyTo(`COPY ${quoteIdent(schema)}.${quoteIdent(table.name)} (${columns}) TO STDOUT`));
      await pipeline(copy, createGzip(), createWriteStream(path.join(folder, file), { mode: 0o600 }));
      const { rows, digest } = await digestOf(client, schema, table);
      tables.push({ name: table.name, columns: table.columns, rows, digest, file, sha256: await fileSha256(path.join(folder, file)) });
    }
    const sequences = await sequencesOf(client, schema);
    return { tenant, schemaVersion: version.id, schema, tables, sequences };
  }, { snapshot: true, readOnly: !options.holdWriters });
  const { tenant, schemaVersion, schema, tables, sequences } = taken;
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    takenAt: now.toISOString(),
    schemaVersion,
    sourceSchema: schema,
    tenant: {
      id: tenant.id, slug: tenant.slug, displayName: tenant.display_name, status: tenant.status, statusReason: tenant.status_reason,
      sandbox: tenant.sandbox, checkProviders: tenant.check_providers, currency: tenant.currency, timeZone: tenant.time_zone,
      businessDate: tenant.business_date, createdAt: tenant.created_at, nextMessageAt: tenant.next_message_at,
      dashboardOrigins: tenant.dashboard_origins, firstBusinessDate: tenant.first_business_date, firstAdminEmail: tenant.first_admin_email,
    },
    tables,
    sequences,
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  writeFileSync(path.join(folder, MANIFEST), text, { mode: 0o600 });
  writeFileSync(path.join(folder, MANIFEST_CHECKSUM), `${sha256Of(text)}\n`, { mode: 0o600 });
  return manifest;
}
