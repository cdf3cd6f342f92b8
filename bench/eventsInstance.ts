// One "instance" of bench:events: what a gateway process holds for the event spine (its own pool, LISTEN
// connection, commit settler and feed), writing half the load as single-event commands and following every
// event on its own subscribers. Runs in the bench's process and, for the second instance, in a child process
// (`fork`), so the two share no event loop. Times are epoch milliseconds (performance.timeOrigin + now), which
// agree across processes on one machine.
import { createLogger } from '../src/log.js';
import { createPool } from '../src/tenancy/database.js';
import { TenantClients } from '../src/tenancy/tenantClients.js';
import { OutboxFeed, type FeedEvent } from '../src/events/outboxFeed.js';
import { CommitSettler } from '../src/events/commitSettler.js';
import { runCommand } from '../src/commands/runCommand.js';
import { singleDatabase } from '../src/tenancy/placement.js';

export interface InstanceRun {
  url: string;
  tenant: string;
  schema: string;
  name: string;
  /** Commands per second this instance writes, and events each command emits. */
  rate: number;
  eventsPerCommand: number;
  seconds: number;
  subscribers: number;
  /** Cursor to follow from, and how many events both instances write in all. */
  start: number;
  total: number;
  /** When writing begins (epoch ms), so both instances start together. */
  beginAt: number;
}

export interface InstanceResult {
  name: string;
  /** key → when its commit was acknowledged. */
  committed: [string, number][];
  /** key → when this instance's first subscriber received it. */
  delivered: [string, number][];
  writeSeconds: number;
}

const epoch = () => performance.timeOrigin + performance.now();

export async function runInstance(run: InstanceRun): Promise<InstanceResult> {
  const log = createLogger('warn');
  const pool = createPool(run.url, 16, `lendgraph-bench-${run.name}`);
  const databases = singleDatabase(pool, run.url);
  const db = new TenantClients(databases, 10).forSchema(run.schema);
  const settler = new CommitSettler(databases, log);
  const feed = new OutboxFeed(databases, log, { maxQueue: 100_000, sweepMs: 5_000 }, (s) => settler.wake(s));
  await feed.start();
  settler.start();

  const delivered = new Map<string, number>();
  const followers: Promise<void>[] = [];
  for (let i = 0; i < run.subscribers; i += 1) {
    followers.push((async () => {
      let received = 0;
      for await (const event of feed.subscribe(run.schema, run.start, {}) as AsyncGenerator<FeedEvent>) {
        if (i === 0) delivered.set((event.payload as { code: string }).code, epoch());
        if (++received === run.total) return;
      }
    })());
  }

  const committed = new Map<string, number>();
  const actor = { subject: `bench-${run.name}`, roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'bench' };
  const perInstance = run.rate * run.seconds;
  let sent = 0;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, run.beginAt - epoch())));
  const began = epoch();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (sent < perInstance) {
      const n = sent++;
      const wait = began + (n / run.rate) * 1000 - epoch();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const keys = Array.from({ length: run.eventsPerCommand }, (_, i) => `${run.name}-${n}-${i}`);
      await runCommand(db, { tenant: run.tenant, action: 'bench.emit', actor, now: new Date(), settle: (s) => settler.wake(s) }, async () => ({
        result: null, audit: { entityType: 'Bench', entityId: keys[0]! },
        // A catalogued type (every event is written through the catalogue) that nothing else emits in a bench tenant.
        events: keys.map((key) => ({ type: 'ledgerAccount.opened', aggregateType: 'LedgerAccount', aggregateId: key, payload: { code: key, name: 'bench', kind: 'asset' } })),
      }));
      const at = epoch();
      for (const key of keys) committed.set(key, at);
    }
  }));
  const writeSeconds = (epoch() - began) / 1000;
  await Promise.race([Promise.all(followers), new Promise((resolve) => setTimeout(resolve, 30_000))]);
  await feed.stop();
  settler.stop();
  await pool.end();
  return { name: run.name, committed: [...committed], delivered: [...delivered], writeSeconds };
}

// As a child process: run the instance the parent describes and send back the result.
if (process.send && process.argv[2] === 'instance') {
  process.once('message', (run: InstanceRun) => {
    runInstance(run).then((result) => process.send!(result, () => process.exit(0)), (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    });
  });
}
