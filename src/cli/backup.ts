// `npm run backup -- export <slug> --out DIR`: one tenant's backup (docs/operations.md, "Backing up and restoring
//   one tenant"); the tenant keeps serving while it is taken.
// `npm run backup -- import DIR [--as NEW-SLUG]`: the backup as a new schema and tenant, registered suspended. Without
//   --as under the backup's own slug, where this database has no such tenant (a tenant moved here, or a lost one);
//   with --as beside the live tenant, to inspect or recover from.
// `npm run backup -- verify <slug> --against DIR`: whether the tenant's tables now hold exactly the backup's rows.
// `npm run backup -- move <slug> --to URL --via DIR`: the tenant moved to another PostgreSQL (whose platform schema
//   is migrated) without losing a write (docs/operations.md, "Moving a tenant to another server"). The URL names no
//   password: PGPASSWORD or ~/.pgpass supplies it, as for libpq.
// `npm run backup -- move <slug> --to-database NAME --via DIR`: the tenant moved to another of the databases this
//   platform places tenants on (TENANT_DATABASES), the same gateways serving it there (docs/operations.md,
//   "Placing tenants on more than one server").
// `npm run backup -- database --out DIR`: the whole PostgreSQL data folder, taken while it serves
//   (docs/operations.md, "Backing up the whole database"); `restore-database DIR --into PGDATA` makes a new data
//   folder from it, on which PostgreSQL 18 starts and recovers.
import { cliSetup, commandLine } from './open.js';
import { openRuntime } from '../runtime.js';
import { InvalidField } from '../errors.js';
import { exportTenant } from '../operations/tenantExport.js';
import { importTenant } from '../operations/tenantImport.js';
import { rekeyIdentifierLookups } from '../operations/restoredIdentifiers.js';
import { schemaDigests } from '../operations/tenantTables.js';
import { BackupDamaged, readVerifiedBackup } from '../operations/tenantBackupFormat.js';
import { restoreBaseBackup, takeBaseBackup } from '../operations/baseBackup.js';
import { moveTenant, moveTenantToDatabase } from '../operations/tenantMove.js';
import { createPool } from '../tenancy/database.js';

const usage = `usage: npm run backup -- export <slug> --out DIR
       npm run backup -- import DIR [--as NEW-SLUG] [--database NAME]
       npm run backup -- verify <slug> --against DIR
       npm run backup -- move <slug> --to URL --via DIR
       npm run backup -- move <slug> --to-database NAME --via DIR
       npm run backup -- database --out DIR
       npm run backup -- restore-database DIR --into PGDATA
`;
const { positionals: [command, subject], values } = commandLine(usage, {
  out: { type: 'string' }, as: { type: 'string' }, against: { type: 'string' }, into: { type: 'string' }, to: { type: 'string' }, 'to-database': { type: 'string' },
  database: { type: 'string' }, via: { type: 'string' },
}, { positionals: true });
const needs = { export: ['out'], import: [], verify: ['against'], database: ['out'], 'restore-database': ['into'], move: ['via'] } as Record<string, ('out' | 'against' | 'into' | 'via')[]>;
const moveTarget = command === 'move' && Boolean(values.to) !== Boolean(values['to-database']);
if (!command || !needs[command] || (command !== 'database' && !subject) || needs[command]!.some((option) => !values[option]) || (command === 'move' && !moveTarget)) {
  process.stderr.write(usage);
  process.exit(2);
}

if (command === 'restore-database') {
  // No database to open: the server is started on the new folder afterwards.
  try {
    const manifest = await restoreBaseBackup(subject!, values.into!);
    process.stdout.write(`restored into ${values.into}: PostgreSQL ${manifest.serverVersion}, recovers to ${manifest.stopLsn} when started\n`);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof InvalidField)) throw error;
    process.stderr.write(`${error.field}: ${error.message}\n`);
    process.exit(1);
  }
}

const { config, log } = cliSetup();
const runtime = await openRuntime(config, log, { migrate: false });
try {
  if (command === 'export') {
    const manifest = await exportTenant(runtime.databases, subject!, values.out!, runtime.now());
    const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
    process.stdout.write(`exported ${subject}: ${manifest.tables.length} tables, ${rows} rows, schema version ${manifest.schemaVersion}, to ${values.out}\n`);
  } else if (command === 'import') {
    const result = await importTenant(runtime.databases, runtime.migrations, subject!, {
      ...(values.as ? { as: values.as } : {}),
      ...(values.database ? { database: values.database } : {}),
      // The slug is part of an identifier's lookup hash: a copy under another slug gets its own.
      ...(values.as ? { beforeCommit: async (client, schema, slug) => void await rekeyIdentifierLookups(client, runtime.dataKey, schema, slug) } : {}),
    }, runtime.now());
    const tenant = await runtime.registry.findBySlug(result.slug);
    await runtime.identity.ensureTenant({ slug: result.slug, displayName: tenant!.displayName }, null);
    process.stdout.write(`imported ${result.slug} (${result.schema}): ${result.rows} rows loaded at ${result.loadedAt}, now at ${result.schemaVersion}; suspended until: npm run tenant -- reactivate ${result.slug} --reason …\n`);
  } else if (command === 'verify') {
    const manifest = await readVerifiedBackup(values.against!);
    const tenant = await runtime.registry.findBySlug(subject!);
    if (!tenant) throw new InvalidField('slug', `no tenant ${subject}`);
    const now = await schemaDigests(runtime.tenantPool(tenant), tenant.schemaName);
    const differing = manifest.tables.filter((t) => now[t.name]?.digest !== t.digest).map((t) => `${t.name} (${now[t.name]?.rows ?? 'missing'} rows, backup ${t.rows})`);
    if (differing.length > 0) {
      process.stdout.write(`${subject} differs from the backup in ${differing.length === 1 ? 'one table' : `${differing.length} tables`}: ${differing.join(', ')}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`${subject} holds exactly the backup's rows in all ${manifest.tables.length} tables\n`);
    }
  } else if (command === 'move' && values['to-database']) {
    const moved = await moveTenantToDatabase(runtime.databases, runtime.migrations, subject!, values['to-database'], {
      folder: values.via!, registryTtlMs: config.TENANT_REGISTRY_TTL_MS, settleTimeoutMs: 150_000, now: runtime.now, log,
    });
    process.stdout.write(`moved ${moved.slug} from ${moved.from} to ${moved.to}: ${moved.tables} tables, ${moved.rows} rows, the same on both; ${moved.status} there. `
      + `Its old schema ${moved.leftBehind} on ${moved.from} is no longer used: drop it once satisfied\n`);
  } else if (command === 'move') {
    const target = createPool(values.to!, 4, 'lendgraph', { log, connectTimeoutMs: config.PG_CONNECT_TIMEOUT_MS });
    try {
      const moved = await moveTenant(runtime.pool, target, runtime.migrations, subject!, {
        folder: values.via!, registryTtlMs: config.TENANT_REGISTRY_TTL_MS, settleTimeoutMs: 150_000, now: runtime.now, log,
      });
      process.stdout.write(`moved ${moved.slug}: ${moved.tables} tables, ${moved.rows} rows, the same on both sides; ${moved.status} on the target, suspended here\n`);
    } finally {
      await target.end();
    }
  } else {
    const taken = await takeBaseBackup(runtime.pool, values.out!, log);
    process.stdout.write(`database backed up to ${values.out}: ${taken.files} files, ${taken.bytes} bytes, WAL ${taken.startLsn} to ${taken.stopLsn}\n`);
  }
} catch (error) {
  if (error instanceof InvalidField) process.stderr.write(`${error.field}: ${error.message}\n`);
  else if (error instanceof BackupDamaged) process.stderr.write(`${error.message}\n`);
  else throw error;
  process.exitCode = 1;
} finally {
  await runtime.close();
}
