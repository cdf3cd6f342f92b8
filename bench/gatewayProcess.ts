// What the benches that run the gateway as a process of its own share: building the gateway into dist/ and starting `dist/main.js` on a free port
// against a given database and waiting until it is ready, keeping its last lines and what it logged, reading its
// CPU from /proc, and stopping everything started — in reverse order — however the run ends.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/ports.js';
import { loadOrCreateDevKey } from '../src/authz/devIssuer.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: (() => Promise<unknown> | void)[] = [];
let cleaning: Promise<void> | undefined;

/** Something to undo when the run ends (the last registered is undone first). */
export function onCleanUp(step: () => Promise<unknown> | void): void {
  cleanups.push(step);
}

export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        process.stderr.write(`cleanup: ${String(error)}\n`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().then(() => process.exit(130)));

export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** CPU seconds (user + system) a process has used, from /proc; 0 once it has gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of the PostgreSQL server, backends that have ended included: the postmaster's own, what its ended
 * children used (cutime and cstime, counted once the postmaster has reaped them), and its living children's. A sum
 * over living processes alone drops every backend that ends while a scenario runs (the pool lets idle ones go).
 */
export function postgresCpuSeconds(postmaster: number): number {
  const fields = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
  const own = fields(postmaster);
  let total = own[11]! + own[12]! + own[13]! + own[14]!;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const child = fields(Number(entry));
      if (child[1] === postmaster) total += child[11]! + child[12]!;
    } catch {
      // ended meanwhile: its time is in the postmaster's cutime and cstime once reaped
    }
  }
  return total / 100;
}

/** Replicas of one gateway on the same database, started one after another as a deployment's are. */
export async function startReplicas(count: number, start: () => Promise<Gateway>): Promise<Gateway[]> {
  const replicas: Gateway[] = [];
  for (let i = 0; i < count; i += 1) replicas.push(await start());
  return replicas;
}

/** CPU seconds the gateways have used together (`cpuSeconds` of each). */
export const gatewaysCpuSeconds = (gateways: readonly Gateway[]) => gateways.reduce((sum, g) => sum + cpuSeconds(g.pid), 0);

export interface Gateway {
  child: ChildProcess;
  pid: number;
  base: string;
  issuer: string;
  /** The last lines it printed, for when it dies. */
  lines: string[];
  /** What it logged (LOG_LEVEL=warn, so warnings and errors), by message. */
  logged: Record<string, number>;
  exited: Promise<string>;
}

/** The gateway started last: when a run fails, what it said last is often the cause. */
export let startedGateway: Gateway | undefined;

export interface GatewayOptions {
  dataDir: string;
  databaseUrl: string;
  /** Node options (a CPU profile, --expose-gc). */
  nodeArgs?: string[];
  /** Modules to load into the gateway before it starts (TypeScript: tsx is loaded first for them). */
  preload?: string[];
  env?: Record<string, string>;
  /** Open an IPC channel (for a probe inside the gateway). */
  ipc?: boolean;
  /** Called as soon as the child is spawned, before it is ready (to time its start-up from outside). */
  onSpawned?: (gateway: Gateway) => void;
  /**
   * Run it as it is deployed (`NODE_ENV=production`), its tokens from an issuer outside it (`issuerOutside`)
   * rather than its development issuer, which refuses production. Libraries check more in development:
   * graphql-js's `instanceOf`, for one, looks for a second copy of graphql whenever a check of a type fails,
   * which cost a loan with its schedule about a tenth of its rate (docs/performance.md).
   */
  production?: boolean;
}

const issuers = new Map<string, Promise<string>>();

/** One per key folder, shared by the gateways of a run that sign with it, as a deployment's replicas share one. */
function issuerOutside(dataDir: string): Promise<string> {
  let issuer = issuers.get(dataDir);
  if (!issuer) issuers.set(dataDir, (issuer = serveKeySet(dataDir)));
  return issuer;
}

/**
 * An identity provider's key set on loopback, as Keycloak serves one: the public half of the development key kept
 * under `dataDir` (the one the benches sign with), at `<issuer>/protocol/openid-connect/certs`. Stopped at clean-up.
 */
async function serveKeySet(dataDir: string): Promise<string> {
  const key = await loadOrCreateDevKey(dataDir, 'test');
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/realms/bench`;
  const keys = JSON.stringify({ keys: [key.publicJwk] });
  const server = http.createServer((request, response) => {
    if (request.url === '/realms/bench/protocol/openid-connect/certs') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(keys);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  onCleanUp(() => new Promise((resolve) => server.close(resolve)));
  return issuer;
}

let built: Promise<void> | undefined;

/** The key every gateway of a run seals secrets with, as a deployment's replicas share one. */
const DATA_KEY = randomBytes(32).toString('base64');

/**
 * The gateway as production runs it: compiled to dist/ (`npm run build`, incremental) and run by plain node. Run
 * through tsx, its module hooks sat in every `require` a library makes at run time (Apollo requires `crypto` for
 * each request's hash): 6 % of a loan read's CPU in a profile (docs/performance.md).
 */
function buildGateway(): Promise<void> {
  built ??= new Promise((resolve, reject) => {
    const tsc = spawn(process.execPath, [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    for (const stream of [tsc.stdout!, tsc.stderr!]) stream.on('data', (chunk: Buffer) => (said += chunk.toString()));
    tsc.once('error', reject);
    tsc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the gateway's build failed (tsc exit ${code}):\n${said}`))));
  });
  return built;
}

export async function startGatewayProcess(options: GatewayOptions): Promise<Gateway> {
  await buildGateway();
  const port = await freePort();
  // Metrics on, as in production, on a port of this gateway's own: benches may run several side by side.
  const metricsPort = await freePort();
  const inherited = { ...process.env };
  for (const name of ['DATABASE_URL', 'AUTH_ISSUER', 'AUTH_JWKS_URL', 'AUTH_AUDIENCE', 'DEV_ISSUER', 'KEYCLOAK_URL', 'PUBLIC_URL', 'PG_POOL_MAX', 'DATA_ENCRYPTION_KEY', 'DATA_ENCRYPTION_KEY_PREVIOUS', 'INTROSPECTION']) delete inherited[name];
  const stdio: StdioOptions = options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
  const outsideIssuer = options.production ? await issuerOutside(options.dataDir) : undefined;
  // As deployed: a key to seal secrets with, and migrations run by the gateway itself (a deploy runs them as a job).
  const production = outsideIssuer
    ? { NODE_ENV: 'production', AUTH_ISSUER: outsideIssuer, DATA_ENCRYPTION_KEY: DATA_KEY, MIGRATE_ON_START: 'true' }
    : {};
  const preload = options.preload?.length ? ['--import', 'tsx', ...options.preload.flatMap((module) => ['--import', module])] : [];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--enable-source-maps', ...preload, 'dist/main.js'], {
    cwd: projectRoot,
    env: {
      // METRICS_PORT=0 in the bench's own environment turns them off, to measure what they cost.
      METRICS_PORT: String(metricsPort), ...inherited, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: options.dataDir,
      DATABASE_URL: options.databaseUrl, LOG_LEVEL: 'warn', ...production, ...options.env,
    },
    stdio,
  });
  onCleanUp(() => stopChild(child, 30_000));
  const gateway: Gateway = {
    child, pid: child.pid!, base: `http://127.0.0.1:${port}`, issuer: outsideIssuer ?? `http://127.0.0.1:${port}/dev-issuer`, lines: [], logged: {},
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(`gateway exited (${code ?? signal})`))),
  };
  startedGateway = gateway;
  options.onSpawned?.(gateway);
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      gateway.lines.push(line);
      if (gateway.lines.length > 200) gateway.lines.shift();
      try {
        const entry = JSON.parse(line) as { msg?: string };
        if (entry.msg) gateway.logged[entry.msg] = (gateway.logged[entry.msg] ?? 0) + 1;
      } catch {
        // the banner, or a stack trace
      }
    });
  }
  // With LOG_LEVEL=warn the "serving" line is not printed: readiness is asked for instead.
  for (const deadline = Date.now() + 120_000; ; await sleep(250)) {
    if (child.exitCode !== null) throw new Error(`gateway exited before serving:\n${gateway.lines.join('\n')}`);
    if (await fetch(`${gateway.base}/readyz`).then((r) => r.ok, () => false)) return gateway;
    if (Date.now() > deadline) throw new Error(`gateway not ready in 120 s:\n${gateway.lines.join('\n')}`);
  }
}

/**
 * Runs a bench's `run` and always cleans up; a failure is written with the gateway's last lines (with `onlyIfGatewayEnded`, only
 * when the gateway has ended) and sets a non-zero exit code.
 */
export async function runBench(run: () => Promise<void>, options: { gatewayLines?: number; onlyIfGatewayEnded?: boolean } = {}): Promise<void> {
  try {
    await run();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    const gateway = startedGateway;
    const ended = gateway !== undefined && (gateway.child.exitCode !== null || gateway.child.signalCode !== null);
    if (gateway && (!options.onlyIfGatewayEnded || ended)) process.stderr.write(`the gateway's last lines:\n${gateway.lines.slice(-(options.gatewayLines ?? 40)).join('\n')}\n`);
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}
