// A database of one test file's own, on the test run's PostgreSQL server, migrated and dropped afterwards.
//
// For a file whose server works jobs on a queue of the file's own (JOBS_SCHEMA): every process on a database
// settles that database's tenants' commits when its sweep finds one unsettled, and the settle pass queues the
// webhook wake-ups it creates on its own process's queue. On the run's shared database another file's server
// could settle this file's commit first and queue the wake-up where no worker of this file ever looks: the
// delivery then never comes. In production every replica shares one queue, so whichever settles is right.
import { randomUUID } from 'node:crypto';
import { createPool } from '../../src/tenancy/database.js';
import { loadMigrations, migrateAll } from '../../src/tenancy/migrations.js';
import { testEnv } from './harness.js';

export interface OwnDatabase {
  /** DATABASE_URL for this file's servers. */
  url: string;
  /** Drops it, whoever is still connected. */
  drop(): Promise<void>;
}

async function onSharedDatabase<T>(work: (pool: ReturnType<typeof createPool>) => Promise<T>): Promise<T> {
  const shared = createPool((await testEnv())['DATABASE_URL']!, 1);
  try {
    return await work(shared);
  } finally {
    await shared.end();
  }
}

/** A new database named `<prefix>_<random>` with the platform's migrations applied. */
export async function ownDatabase(prefix: string): Promise<OwnDatabase> {
  const name = `${prefix}_${randomUUID().slice(0, 8)}`;
  await onSharedDatabase((shared) => shared.query(`CREATE DATABASE ${name}`));
  const url = new URL((await testEnv())['DATABASE_URL']!);
  url.pathname = `/${name}`;
  const registry = createPool(url.toString(), 2);
  const migrated = await migrateAll(registry, loadMigrations(), { concurrency: 1 }).finally(() => registry.end());
  if (migrated.failed.length > 0) throw new Error(`migrating ${name} failed: ${JSON.stringify(migrated.failed)}`);
  return {
    url: url.toString(),
    drop: () => onSharedDatabase((shared) => shared.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
