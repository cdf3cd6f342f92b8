// A fresh embedded PostgreSQL for a bench, migrated, with one sandbox tenant on today's business date; removed
// when the bench cleans up. What the API benches share before they start their gateway.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/tenancy/embeddedPostgres.js';
import { createPool } from '../src/tenancy/database.js';
import { loadMigrations, migrateAll } from '../src/tenancy/migrations.js';
import { provisionTenant } from '../src/tenancy/provisioning.js';
import { freePort } from '../test/support/ports.js';
import { onCleanUp } from './gatewayProcess.js';

export async function benchDatabase(bench: string, tenant: { slug: string; displayName: string }, options: { statementStatistics?: boolean } = {}) {
  const log = createLogger('warn');
  const root = mkdtempSync(path.join(tmpdir(), `lendgraph-bench-${bench}-`));
  // As root, initdb and postgres run as another user, which must be able to enter the folder.
  chmodSync(root, 0o755);
  onCleanUp(() => rmSync(root, { recursive: true, force: true }));
  // What each statement costs the server, when asked (`--statements`): pg_stat_statements, planning included and
  // statements inside functions (the commit settler's) counted apart.
  const settings = options.statementStatistics
    ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all', 'pg_stat_statements.track_planning=on']
    : [];
  const server = await startEmbeddedPostgres({ dataDir: root, port: await freePort(), log, ephemeral: true, settings });
  onCleanUp(() => server.stop());
  const pool = createPool(server.url, 2, 'lendgraph-bench');
  onCleanUp(() => pool.end());
  const postgresVersion = (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  if (options.statementStatistics) await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const migrations = loadMigrations();
  await migrateAll(pool, migrations, { concurrency: 2 });
  const today = new Date().toISOString().slice(0, 10);
  await provisionTenant(pool, migrations, { ...tenant, currency: 'USD', timeZone: 'UTC', businessDate: today, sandbox: true }, new Date());
  // The server's own process: the benches add up its and its backends' CPU (postgresCpuSeconds).
  const postmasterPid = Number(readFileSync(path.join(root, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return { root, server, pool, postgresVersion, migrations, postmasterPid };
}
