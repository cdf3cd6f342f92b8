// A separate process running the migration runner, so tests can start two at once.
// Usage: tsx test/support/migrateProcess.ts <databaseUrl> <migrationsDir> <slug,slug,...>
import { createPool } from '../../src/tenancy/database.js';
import { loadMigrations, migrateAll } from '../../src/tenancy/migrations.js';

const [url, dir, slugs] = process.argv.slice(2);
const pool = createPool(url!, 4);
const report = await migrateAll(pool, loadMigrations(dir), { concurrency: 3, only: slugs!.split(',') });
await pool.end();
process.stdout.write(JSON.stringify(report));
