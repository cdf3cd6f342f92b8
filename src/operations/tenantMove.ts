// Moves one tenant from this database to another PostgreSQL server without losing a write: its writes are
// frozen (the tenant is suspended, every gateway's registry cache is waited out, committed events and audit
// records are settled, and the export holds off any writer still running), it is exported, imported on the
// target, the two copies' tables are compared digest by digest, and only then is it switched: active on the
// target (or suspended, if it was before), and left suspended here with the reason, its schema kept until an
// operator drops it. Any failure before the switch leaves the tenant suspended here and serving nowhere; nothing
// has been removed, so reactivating it here undoes the attempt (after removing a half-made copy on the target).
import type pg from 'pg';
import { InvalidField } from '../errors.js';
import { withEndOfDayLock } from '../services/endOfDay/run.js';
import type { Logger } from '../log.js';
import type { Migration } from '../tenancy/migrations.js';
import { quoteIdent } from '../tenancy/schemaNames.js';
import { transaction } from '../tenancy/tenantSql.js';
import { MAIN_DATABASE, type Databases } from '../tenancy/placement.js';
import { exportTenant } from './tenantExport.js';
import { importTenant, type ImportOptions, type ImportResult } from './tenantImport.js';
import { schemaDigests } from './tenantTables.js';
import type { BackupManifest } from './tenantBackupFormat.js';

export interface MoveOptions {
  /** Where the backup the move goes through is written (kept: it is the record of what was moved). */
  folder: string;
  /** How long gateways may serve a tenant from their registry cache (TENANT_REGISTRY_TTL_MS). */
  registryTtlMs: number;
  /** How long to wait for committed events and audit records to be numbered and chained. */
  settleTimeoutMs: number;
  now: () => Date;
  log?: Logger;
}

export interface MoveResult {
  slug: string;
  tables: number;
  rows: number;
  status: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for a borrower-message turn already under way for the tenant (it holds the tenant's schedule row while it
 * sends, and picked the tenant while it was still active): the messages it records must be in the export.
 */
async function waitForMessageTurn(registry: pg.Pool, tenantId: string): Promise<void> {
  await transaction(registry, (client) => client.query('SELECT 1 FROM platform.message_schedule WHERE tenant_id = $1 FOR UPDATE', [tenantId]));
}

async function waitUntilSettled(pool: pg.Pool, schema: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Unsettled commits, and webhook turns that began before the suspension (a turn writes its attempts when it ends).
    const { rows: [row] } = await pool.query<{ n: string; sending: string }>(
      `SELECT ((SELECT count(*) FROM ${quoteIdent(schema)}.outbox_event WHERE seq IS NULL)
             + (SELECT count(*) FROM ${quoteIdent(schema)}.audit_record WHERE seq IS NULL))::text AS n,
              (SELECT count(*) FROM ${quoteIdent(schema)}.webhook_endpoint WHERE busy_until > now())::text AS sending`);
    if (row!.n === '0' && row!.sending === '0') return;
    if (Date.now() > deadline) {
      throw new InvalidField('slug', row!.n !== '0'
        ? `${row!.n} events and audit records of ${schema} are still unsettled: is a gateway running against this database? The tenant stays suspended`
        : `${row!.sending} webhook endpoints of ${schema} are still being sent to; the tenant stays suspended: try again in a minute`);
    }
    await sleep(200);
  }
}

/**
 * Holds the tenant's end-of-day lock (the one runEndOfDay takes) for the whole move: a run already going ends
 * before the move starts, and none starts until it is over, so no run writes to a copy being left behind.
 */
async function withEndOfDayHeld<T>(registry: pg.Pool, tenantId: string, slug: string, work: () => Promise<T>): Promise<T> {
  return withEndOfDayLock(registry, tenantId, () => new InvalidField('slug', `end of day is running for ${slug}: move it once the run has finished`), work);
}

/** One tenant being copied by a move: where it is registered and read from, and where it is written. */
interface Copying {
  slug: string;
  tenant: { id: string; schema_name: string };
  /** The registry that suspends it (the source's own, for a move between platforms). */
  registry: pg.Pool;
  /** The database its schema is read from, and the one its copy is written to. */
  source: pg.Pool;
  target: pg.Pool;
  /** What the export reads and the import writes through (a pool, or the platform's placed databases). */
  exportFrom: pg.Pool | Databases;
  importInto: pg.Pool | Databases;
  importOptions: ImportOptions;
  /** Said in the suspension's reason and the log. */
  destination: string;
  /** Where the tenant stays suspended if the copies differ. */
  staysOn: string;
}

/**
 * What both moves do before their switch: freeze the tenant (suspend it, wait out every gateway's registry cache, a
 * message turn and webhook turns under way, its commits being settled), export it holding writers off, import the
 * copy, and compare every table of the two live copies.
 */
async function freezeAndCopy(c: Copying, migrations: Migration[], options: MoveOptions): Promise<{ manifest: BackupManifest; imported: ImportResult }> {
  await c.registry.query(`UPDATE platform.tenant SET status = 'suspended', status_reason = $2, updated_at = now() WHERE slug = $1`, [c.slug, `moving to ${c.destination}`]);
  options.log?.info({ tenant: c.slug, to: c.destination }, 'move: suspended; waiting out the registry caches');
  await sleep(options.registryTtlMs + 250);
  await waitForMessageTurn(c.registry, c.tenant.id);
  await waitUntilSettled(c.source, c.tenant.schema_name, options.settleTimeoutMs);

  const manifest = await exportTenant(c.exportFrom, c.slug, options.folder, options.now(), { holdWriters: true });
  options.log?.info({ tenant: c.slug, tables: manifest.tables.length }, 'move: exported; importing the copy');
  const imported = await importTenant(c.importInto, migrations, options.folder, c.importOptions, options.now());
  if (imported.loadedAt === imported.schemaVersion) {
    // Same version on both sides: the live tables themselves must agree, not only the copy with the backup.
    const [here, there] = await Promise.all([schemaDigests(c.source, c.tenant.schema_name), schemaDigests(c.target, imported.schema)]);
    const differing = Object.keys(here).filter((table) => here[table]!.digest !== there[table]?.digest);
    if (differing.length > 0) throw new InvalidField('slug', `after the import, ${differing.join(', ')} differ between the two databases; ${c.slug} stays suspended on ${c.staysOn}`);
  }
  return { manifest, imported };
}

export async function moveTenant(source: pg.Pool, target: pg.Pool, migrations: Migration[], slug: string, options: MoveOptions): Promise<MoveResult> {
  const { rows: [before] } = await source.query<{ id: string; status: string; schema_name: string; database: string }>(
    'SELECT id::text, status, schema_name, database FROM platform.tenant WHERE slug = $1', [slug]);
  if (!before || !['active', 'suspended'].includes(before.status)) throw new InvalidField('slug', `no active or suspended tenant ${slug} here`);
  if (before.database !== MAIN_DATABASE) throw new InvalidField('slug', `${slug} is placed on database ${before.database}: bring it to ${MAIN_DATABASE} first (--to-database ${MAIN_DATABASE})`);
  const { rowCount: there } = await target.query('SELECT 1 FROM platform.tenant WHERE slug = $1', [slug]);
  if (there) throw new InvalidField('to', `the target database already has a tenant ${slug}`);
  return withEndOfDayHeld(source, before.id, slug, async () => {
    const { manifest, imported } = await freezeAndCopy({
      slug, tenant: before, registry: source, source, target, exportFrom: source, importInto: target, importOptions: {},
      destination: 'another database', staysOn: 'both',
    }, migrations, options);
    const status = before.status === 'active' ? 'active' : 'suspended';
    await target.query('UPDATE platform.tenant SET status = $2, status_reason = $3, updated_at = now() WHERE slug = $1',
      [slug, status, status === 'active' ? null : 'suspended before it was moved']);
    await source.query('UPDATE platform.tenant SET status_reason = $2, updated_at = now() WHERE slug = $1',
      [slug, `moved to another database at ${options.now().toISOString()}; this copy is no longer written`]);
    return { slug, tables: manifest.tables.length, rows: imported.rows, status };
  });
}

/**
 * Moves a tenant to another of the databases the registry places tenants on (TENANT_DATABASES), the registry
 * itself staying where it is: the same freeze, export, import and comparison as a move between two platforms,
 * then one update of the registry entry switches every gateway to the new database within its registry TTL. Its
 * old schema is left where it was, unreferenced, for an operator to drop once satisfied (its name is returned).
 */
export async function moveTenantToDatabase(databases: Databases, migrations: Migration[], slug: string, target: string, options: MoveOptions): Promise<MoveResult & { from: string; to: string; leftBehind: string }> {
  if (!databases.has(target)) throw new InvalidField('to-database', `no database ${target} in TENANT_DATABASES (${databases.list().map((d) => d.name).join(', ')})`);
  const registry = databases.main.pool;
  const { rows: [before] } = await registry.query<{ id: string; status: string; schema_name: string; database: string }>(
    'SELECT id::text, status, schema_name, database FROM platform.tenant WHERE slug = $1', [slug]);
  if (!before || !['active', 'suspended'].includes(before.status)) throw new InvalidField('slug', `no active or suspended tenant ${slug}`);
  if (before.database === target) throw new InvalidField('to-database', `${slug} is already on ${target}`);
  const { rowCount: there } = await databases.pool(target).query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [before.schema_name]);
  if (there) throw new InvalidField('to-database', `${target} already has a schema ${before.schema_name} (an earlier copy?): drop it there first`);
  return withEndOfDayHeld(registry, before.id, slug, async () => {
    const { manifest, imported } = await freezeAndCopy({
      slug, tenant: before, registry, source: databases.pool(before.database), target: databases.pool(target), exportFrom: databases, importInto: databases,
      importOptions: { database: target, schemaOnly: true }, destination: `database ${target}`, staysOn: before.database,
    }, migrations, options);
    const status = before.status === 'active' ? 'active' : 'suspended';
    const { rowCount: switched } = await registry.query(
      `UPDATE platform.tenant SET database = $2, status = $3, status_reason = $4, schema_version = $5, updated_at = now()
        WHERE slug = $1 AND database = $6 AND status = 'suspended'`,
      [slug, target, status, status === 'active' ? null : 'suspended before it was moved', imported.schemaVersion, before.database]);
    if (!switched) throw new InvalidField('slug', `${slug} changed while it was being moved; it stays on ${before.database}, suspended, and the copy on ${target} is unused`);
    databases.forget(before.schema_name);
    return { slug, tables: manifest.tables.length, rows: imported.rows, status, from: before.database, to: target, leftBehind: before.schema_name };
  });
}
