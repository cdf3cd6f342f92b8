// One embedded PostgreSQL per test run, on a free port with a throw-away data folder; platform migrations are
// applied once here. Test files receive its URL through vitest's provide/inject.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/tenancy/embeddedPostgres.js';
import { createPool } from '../../src/tenancy/database.js';
import { loadMigrations, migrateAll } from '../../src/tenancy/migrations.js';
import { createLogger } from '../../src/log.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    dataDir: string;
  }
}

export default async function setup(project: TestProject) {
  const root = mkdtempSync(path.join(tmpdir(), 'lendgraph-test-'));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter this folder.
  chmodSync(root, 0o755);
  const log = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'warn');
  let url = process.env['TEST_DATABASE_URL'];
  let stop = async () => {};
  if (!url) {
    const server = await startEmbeddedPostgres({ dataDir: root, port: await freePort(), log, ephemeral: true });
    url = server.url;
    stop = server.stop;
  }
  const pool = createPool(url, 4);
  const report = await migrateAll(pool, loadMigrations(), { concurrency: 2 });
  await pool.end();
  if (report.failed.length > 0) throw new Error(`test database could not be migrated: ${JSON.stringify(report.failed)}`);
  project.provide('databaseUrl', url);
  project.provide('dataDir', path.join(root, 'app'));
  return async () => {
    await stop();
    rmSync(root, { recursive: true, force: true });
  };
}
