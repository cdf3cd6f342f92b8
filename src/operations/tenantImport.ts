// Loads a tenant backup (tenantBackupFormat.ts) into a new schema, in one transaction: the schema is made by the
// project's own migrations at exactly the backup's version, the rows are copied in with triggers and foreign-key
// checks off (session_replication_role = replica: the rows are one consistent instant already, and the audit
// chain and append-only triggers must not rewrite or refuse them), the sequences are set where the source's
// were, every table's rows digest is compared with the manifest's, the schema is migrated on to this build's
// latest version, and the tenant is registered `suspended` so nothing serves it until an operator has looked.
// Any difference rolls the whole import back: a half-restored tenant never exists.
//
// Two uses. Under the backup's own slug, where this database has no such tenant: a tenant moved from another
// server, or a lost one brought back. With `as`, beside the live tenant under a new slug (and a new id): a copy
// to inspect, or to recover records from. A tenant's schema name follows from its slug throughout the code, so a
// restored copy is its own tenant; it cannot be switched in under the live slug.
import { createReadStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { InvalidField } from '../errors.js';
import { applyPending, latestVersion, lockSchema, type Migration } from '../tenancy/migrations.js';
import { isValidSlug, quoteIdent, schemaForSlug } from '../tenancy/schemaNames.js';
import { BackupDamaged, readVerifiedBackup, type BackupManifest } from './tenantBackupFormat.js';
import { digestOf, settleTextSettings, tablesOf } from './tenantTables.js';

export interface ImportOptions {
  /** Restore beside the live tenant as a new tenant with this slug. */
  as?: string;
  /**
   * Work that must see the loaded rows before the commit (the copy's identifier lookups re-keyed to its slug:
   * src/operations/restoredIdentifiers.ts).
   */
  beforeCommit?: (client: pg.PoolClient, schema: string, slug: string) => Promise<void>;
}

export interface ImportResult {
  slug: string;
  tenantId: string;
  schema: string;
  /** The version the rows were loaded at (the backup's). */
  loadedAt: string;
  /** The version after migrating on. */
  schemaVersion: string;
  rows: number;
}

export async function importTenant(
  pool: pg.Pool,
  migrations: Migration[],
  folder: string,
  options: ImportOptions,
  now: Date,
): Promise<ImportResult> {
  const manifest = await readVerifiedBackup(folder);
  const slug = options.as ?? manifest.tenant.slug;
  if (!isValidSlug(slug)) throw new InvalidField('as', 'slug must be 3–40 lowercase letters, digits or single hyphens, starting with a letter');
  const tenantMigrations = migrations.filter((m) => m.scope === 'tenant');
  const atBackup = tenantMigrations.filter((m) => m.id <= manifest.schemaVersion);
  if (atBackup.at(-1)?.id !== manifest.schemaVersion) {
    throw new InvalidField('backup', `the backup was taken at schema version ${manifest.schemaVersion}, which this build does not have: import it with the build that took it or a newer one`);
  }
  const schema = schemaForSlug(slug);
  const tenantId = options.as ? randomUUID() : manifest.tenant.id;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await lockSchema(client, schema);
    const { rows: clashes } = await client.query<{ slug: string }>('SELECT slug FROM platform.tenant WHERE slug = $1 OR id = $2::uuid', [slug, tenantId]);
    if (clashes.length > 0) {
      throw new InvalidField(options.as ? 'as' : 'slug', `tenant ${clashes[0]!.slug} already exists here: restore beside it under a new slug (--as)`);
    }
    const { rowCount: schemaThere } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (schemaThere) throw new InvalidField(options.as ? 'as' : 'slug', `schema ${schema} exists without a tenant: remove it before restoring into it`);

    await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await applyPending(client, schema, 'tenant', atBackup);
    const rows = await loadRows(client, folder, manifest, schema);

    await client.query(`SELECT set_config('session_replication_role', 'origin', true)`);
    await applyPending(client, schema, 'tenant', migrations);
    const schemaVersion = latestVersion(migrations, 'tenant') ?? manifest.schemaVersion;
    await options.beforeCommit?.(client, schema, slug);

    const t = manifest.tenant;
    await client.query(
      `INSERT INTO platform.tenant (id, slug, display_name, status, status_reason, sandbox, check_providers, currency, time_zone,
          business_date, schema_name, schema_version, created_at, updated_at, dashboard_origins)
       VALUES ($1::uuid, $2, $3, 'suspended', $4, $5, $6, $7, $8, $9::date, $10, $11, $12, $13, $14::text[])`,
      [tenantId, slug, options.as ? `${t.displayName} (restored)`.slice(0, 200) : t.displayName,
        `restored from a backup of ${t.slug} taken at ${manifest.takenAt}; reactivate once checked`, t.sandbox, t.checkProviders,
        t.currency, t.timeZone, t.businessDate, schema, schemaVersion, options.as ? now : t.createdAt, now,
        // A copy for inspection is no lender's dashboard; the tenant itself, moved or restored, keeps its sites.
        options.as ? [] : t.dashboardOrigins ?? []],
    );
    if (t.nextMessageAt) {
      await client.query('INSERT INTO platform.message_schedule (tenant_id, next_at) VALUES ($1::uuid, $2)', [tenantId, t.nextMessageAt]);
    }
    await client.query('COMMIT');
    return { slug, tenantId, schema, loadedAt: manifest.schemaVersion, schemaVersion, rows };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Copies every table in, sets the sequences, and checks each table's digest; returns the rows loaded. */
async function loadRows(client: pg.PoolClient, folder: string, manifest: BackupManifest, schema: string): Promise<number> {
  // Needs a role allowed to set it (a superuser, or one granted SET on the parameter); it lasts to the commit.
  await client.query(`SELECT set_config('session_replication_role', 'replica', true)`);
  await settleTextSettings(client);
  const made = new Map((await tablesOf(client, schema)).map((table) => [table.name, table]));
  const missing = [...made.keys()].filter((name) => !manifest.tables.some((t) => t.name === name));
  if (missing.length > 0) throw new BackupDamaged(`the backup has no file for table ${missing.join(', ')}`);
  // Migrations seed some tables (the chart of accounts, settings rows); the backup holds those rows as they were.
  await client.query(`TRUNCATE ${[...made.keys()].map((name) => `${quoteIdent(schema)}.${quoteIdent(name)}`).join(', ')}`);
  let rows = 0;
  for (const table of manifest.tables) {
    const shape = made.get(table.name);
    if (!shape || shape.columns.join(',') !== table.columns.join(',')) {
      throw new BackupDamaged(`table ${table.name}: the backup's columns do not match the schema at version ${manifest.schemaVersion}`);
    }
    const columns = table.columns.map(quoteIdent).join(', ');
    const copy = client.query(copyFrom(`COPY ${quoteIdent(schema)}.${quoteIdent(table.name)} (${columns}) FROM STDIN`));
    await pipeline(createReadStream(path.join(folder, table.file)), createGunzip(), copy);
    rows += table.rows;
  }
  for (const sequence of manifest.sequences) {
    await client.query('SELECT setval($1::regclass, $2::bigint, $3)', [`${quoteIdent(schema)}.${quoteIdent(sequence.name)}`, sequence.lastValue, sequence.isCalled]);
  }
  for (const table of manifest.tables) {
    const loaded = await digestOf(client, schema, made.get(table.name)!);
    if (loaded.rows !== table.rows || loaded.digest !== table.digest) {
      throw new BackupDamaged(`table ${table.name}: ${loaded.rows} rows loaded with digest ${loaded.digest}, the backup says ${table.rows} rows with ${table.digest}`);
    }
  }
  return rows;
}
