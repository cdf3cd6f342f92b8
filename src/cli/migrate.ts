// `npm run migrate`: brings the platform schema and every tenant schema to the latest migration, showing
// progress (a bar on a terminal, plain lines otherwise) and a report of any tenant that failed.
import cliProgress from 'cli-progress';
import { cliSetup } from './open.js';
import { openAllDatabases } from '../tenancy/database.js';
import { loadMigrations, migrateAll } from '../tenancy/migrations.js';

const { config, log } = cliSetup();
const database = await openAllDatabases(config, log);
const interactive = process.stdout.isTTY === true && !process.env['CI'];
const bar = interactive
  ? new cliProgress.SingleBar({ format: 'tenants {bar} {value}/{total} | {tenant}' }, cliProgress.Presets.shades_classic)
  : null;
let started = false;
try {
  const report = await migrateAll(database.databases, loadMigrations(), {
    concurrency: config.MIGRATION_CONCURRENCY,
    onProgress: (outcome, done, total) => {
      if (bar) {
        if (!started) bar.start(total, 0, { tenant: '' });
        started = true;
        bar.update(done, { tenant: outcome.tenant });
      } else {
        const status = outcome.error ? `FAILED at ${outcome.error.migrationId}` : outcome.applied.length > 0 ? `applied ${outcome.applied.join(', ')}` : 'up to date';
        process.stdout.write(`[${done}/${total}] ${outcome.tenant}: ${status}\n`);
      }
    },
  });
  bar?.stop();
  const platform = report.platform;
  process.stdout.write(`platform: ${platform.error ? `FAILED at ${platform.error.migrationId}: ${platform.error.message}` : platform.applied.length > 0 ? `applied ${platform.applied.join(', ')}` : 'up to date'}\n`);
  const applied = report.tenants.filter((t) => !t.error && t.applied.length > 0).length;
  process.stdout.write(`tenants: ${report.tenants.length} checked, ${applied} migrated, ${report.failed.filter((f) => f.tenant).length} failed\n`);
  for (const failure of report.failed) {
    process.stdout.write(`  FAILED ${failure.tenant ?? failure.schema} at ${failure.error!.migrationId}: ${failure.error!.message}\n`);
  }
  process.exitCode = report.failed.length > 0 ? 1 : 0;
} finally {
  await database.close();
}
