// Loads a tenant backup (tenantBackupFormat.ts) into a new schema, in one transaction: the schema is made by the
// project's own migrations at exactly the backup's version, the rows are copied in with triggers and foreign-key
// checks off (session_replication_role = replica: the rows are one consistent instant already, and the audit
// chain and append-only triggers must not rewrite or refuse them), the sequences are set where the source's
// were, every table's rows digest is compared with the manifest's, the schema is migrated on to this build's
// latest version, and the tenant is registered `suspended` so nothing serves it until an operator has looked.
// Any difference rolls the whole import back: a half-restored tenant never exists. On another database than the
// registry's, the schema is committed there first and registered after; a registration that fails drops it.
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
import { databasesOf, type Databases } from '../tenancy/placement.js';
import { transaction } from '../tenancy/tenantSql.js';
import { writeRegistryEntry } from '../tenancy/registryEntry.js';
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
  /** Which database the schema goes on, by name (the registry's own unless said). */
  database?: string;
  /**
   * The registry already has this tenant (a move between databases under one registry): only the schema is made,
   * and the caller switches the entry once the copy is checked.
   */
  schemaOnly?: boolean;
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
  on: pg.Pool | Databases,
  migrations: Migration[],
  folder: string,
  options: ImportOptions,
  now: Date,
): Promise<ImportResult> {
  const databases = databasesOf(on);
  const manifest = await readVerifiedBackup(folder);
  const slug = options.as ?? manifest.tenant.slug;
  if (!isValidSlug(slug)) throw new InvalidField('as', 'slug must be 3–40 lowercase letters, digits or single hyphens, starting with a letter');
  const placedOn = options.database ?? databases.main.name;
  if (!databases.has(placedOn)) throw new InvalidField('database', `no database ${placedOn} in TENANT_DATABASES`);
  if (options.schemaOnly && options.as) throw new InvalidField('as', 'a tenant moved between databases keeps its slug');
  const tenantMigrations = migrations.filter((m) => m.scope === 'tenant');
  const atBackup = tenantMigrations.filter((m) => m.id <= manifest.schemaVersion);
  if (atBackup.at(-1)?.id !== manifest.schemaVersion) {
    throw new InvalidField('backup', `the backup was taken at schema version ${manifest.schemaVersion}, which this build does not have: import it with the build that took it or a newer one`);
  }
  const schema = schemaForSlug(slug);
  const tenantId = options.as ? randomUUID() : manifest.tenant.id;
  const restore: Restore = { manifest, folder, schema, slug, tenantId, atBackup, migrations, options, now, placedOn };

  if (placedOn === databases.main.name && !options.schemaOnly) {
    // Schema and registry entry on one database: one transaction, all or nothing.
    return transaction(databases.main.pool, async (client) => {
      await lockSchema(client, schema);
      await refuseClash(client, restore);
      const made = await makeSchema(client, restore);
      await register(client, restore, made.schemaVersion);
      return made;
    });
  }
  // The schema on another database than the registry's: checked, made there and committed, then registered. A
  // registration that fails removes the schema it was for.
  if (options.schemaOnly) {
    const { rowCount } = await databases.main.pool.query('SELECT 1 FROM platform.tenant WHERE slug = $1 AND id = $2::uuid', [slug, tenantId]);
    if (!rowCount) throw new InvalidField('slug', `the registry has no tenant ${slug} with the backup's id`);
  } else {
    await refuseClash(databases.main.pool, restore);
  }
  const target = databases.pool(placedOn);
  const made = await transaction(target, async (client) => {
    await lockSchema(client, schema);
    return makeSchema(client, restore);
  });
  if (options.schemaOnly) return made;
  try {
    await transaction(databases.main.pool, (client) => register(client, restore, made.schemaVersion));
  } catch (error) {
    await target.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => undefined);
    throw error;
  }
  return made;
}

interface Restore {
  manifest: BackupManifest;
  folder: string;
  schema: string;
  slug: string;
  tenantId: string;
  atBackup: Migration[];
  migrations: Migration[];
  options: ImportOptions;
  now: Date;
  placedOn: string;
}

async function refuseClash(registry: pg.ClientBase | pg.Pool, r: Restore): Promise<void> {
  const { rows: clashes } = await registry.query<{ slug: string }>('SELECT slug FROM platform.tenant WHERE slug = $1 OR id = $2::uuid', [r.slug, r.tenantId]);
  if (clashes.length > 0) {
    throw new InvalidField(r.options.as ? 'as' : 'slug', `tenant ${clashes[0]!.slug} already exists here: restore beside it under a new slug (--as)`);
  }
}

/** The schema at the backup's version, its rows loaded and checked, then migrated on; in the caller's transaction. */
async function makeSchema(client: pg.PoolClient, r: Restore): Promise<ImportResult> {
  const { rowCount: schemaThere } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [r.schema]);
  if (schemaThere) throw new InvalidField(r.options.as ? 'as' : 'slug', `schema ${r.schema} exists without a tenant: remove it before restoring into it`);
  await client.query(`CREATE SCHEMA ${quoteIdent(r.schema)}`);
  await applyPending(client, r.schema, 'tenant', r.atBackup);
  const rows = await loadRows(client, r.folder, r.manifest, r.schema);
  await client.query(`SELECT set_config('session_replication_role', 'origin', true)`);
  await applyPending(client, r.schema, 'tenant', r.migrations, r.manifest.tenant.businessDate);
  const schemaVersion = latestVersion(r.migrations, 'tenant') ?? r.manifest.schemaVersion;
  await r.options.beforeCommit?.(client, r.schema, r.slug);
  return { slug: r.slug, tenantId: r.tenantId, schema: r.schema, loadedAt: r.manifest.schemaVersion, schemaVersion, rows };
}

/** The registry entry, suspended until an operator has looked, and the tenant's message schedule. */
async function register(client: pg.ClientBase, r: Restore, schemaVersion: string): Promise<void> {
  const t = r.manifest.tenant;
  const as = r.options.as;
  await writeRegistryEntry(client, {
    id: r.tenantId, slug: r.slug, displayName: as ? `${t.displayName} (restored)`.slice(0, 200) : t.displayName, status: 'suspended',
    statusReason: `restored from a backup of ${t.slug} taken at ${r.manifest.takenAt}; reactivate once checked`, sandbox: t.sandbox,
    checkProviders: t.checkProviders, currency: t.currency, timeZone: t.timeZone, businessDate: t.businessDate, schemaName: r.schema,
    schemaVersion, database: r.placedOn, createdAt: as ? r.now : t.createdAt, updatedAt: r.now,
    // A copy for inspection is no lender's dashboard; the tenant itself, moved or restored, keeps its sites.
    dashboardOrigins: as ? [] : t.dashboardOrigins ?? [],
    firstBusinessDate: t.firstBusinessDate ?? null, firstAdminEmail: t.firstAdminEmail ?? null,
  }, { retry: false });
  if (t.nextMessageAt) {
    await client.query('INSERT INTO platform.message_schedule (tenant_id, next_at) VALUES ($1::uuid, $2)', [r.tenantId, t.nextMessageAt]);
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
