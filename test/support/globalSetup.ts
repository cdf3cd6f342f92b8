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
import { KEYCLOAK_ADMIN, startKeycloak } from '../../scripts/keycloakServer.js';
import { adminClient, applyRealm } from '../../src/authz/keycloak/realm.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    dataDir: string;
    /** Keycloak with the Lendgraph realm applied; '' when none could be started outside CI. */
    keycloakUrl: string;
  }
}

/**
 * KEYCLOAK_URL (with KEYCLOAK_ADMIN_USERNAME/PASSWORD) uses a running Keycloak; otherwise one is fetched and
 * started for this run. Under CI=true a Keycloak that cannot start fails the run; elsewhere its suite is skipped.
 */
async function keycloakForRun(): Promise<{ url: string; stop: () => Promise<void> }> {
  const given = process.env['KEYCLOAK_URL'];
  try {
    const server = given ? { url: given, stop: async () => {} } : await startKeycloak({ port: await freePort() });
    try {
      const admin = await adminClient(server.url, {
        username: process.env['KEYCLOAK_ADMIN_USERNAME'] ?? KEYCLOAK_ADMIN.username,
        password: process.env['KEYCLOAK_ADMIN_PASSWORD'] ?? KEYCLOAK_ADMIN.password,
      });
      await applyRealm(admin, { dashboardOrigins: ['http://127.0.0.1:4000'] });
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  } catch (error) {
    if (process.env['CI']) throw error;
    process.stderr.write(`Keycloak unavailable, its suite will be skipped: ${(error as Error).message}\n`);
    return { url: '', stop: async () => {} };
  }
}

export default async function setup(project: TestProject) {
  const root = mkdtempSync(path.join(tmpdir(), 'lendgraph-test-'));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter this folder.
  chmodSync(root, 0o755);
  const log = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'warn');
  const keycloak = keycloakForRun();
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
  const { url: keycloakUrl, stop: stopKeycloak } = await keycloak.catch(async (error) => {
    await stop();
    throw error;
  });
  project.provide('keycloakUrl', keycloakUrl);
  return async () => {
    await stopKeycloak();
    await stop();
    rmSync(root, { recursive: true, force: true });
  };
}
