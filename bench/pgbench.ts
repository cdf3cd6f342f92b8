// pgbench's TPC-B-like transaction (its default script) against a PostgreSQL server, as the reference point
// for a bench that measures our own commands on the same server in the same run: what the database alone
// commits per second on this machine. Its tables go into a database of their own (`pgbench`), so nothing of
// Lendgraph's is touched. Per-transaction latencies come from pgbench's own log (--log), so p50/p99 are
// pgbench's measurements, not ours. Installed by scripts/bench-prerequisites.sh.
//
// Run alone: `tsx bench/pgbench.ts --url postgresql://user:pass@127.0.0.1:5433/lendgraph` (a dry run, prints only).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { percentile } from './record.js';

const run = promisify(execFile);

export interface PgbenchOptions {
  /** Any database URL of the server; the bench's own database `pgbench` is made beside it. */
  url: string;
  scale: number;
  clients: number;
  threads: number;
  seconds: number;
  /** pgbench's built-in select-only script (`-S`: one primary-key SELECT per transaction) instead of TPC-B. */
  selectOnly?: boolean;
}

export interface PgbenchResult {
  version: string;
  scale: number;
  clients: number;
  threads: number;
  seconds: number;
  /** 'select-only' (`-S`) or 'TPC-B-like' (the default script). */
  script: string;
  transactions: number;
  failed: number;
  /** As pgbench reports it (without initial connection time). */
  tps: number;
  latencyAverageMs: number;
  /** From the per-transaction log. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  initSeconds: number;
}

/** The pgbench binary: Debian's versioned ones first (the newest major), then whatever is on PATH. */
export function findPgbench(): string {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian).filter((v) => existsSync(path.join(debian, v, 'bin/pgbench'))).sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return path.join(debian, majors[0], 'bin/pgbench');
  }
  return 'pgbench';
}

export async function runPgbench(options: PgbenchOptions, say: (text: string) => void = () => {}): Promise<PgbenchResult> {
  const binary = findPgbench();
  const { stdout: versionOut } = await run(binary, ['--version']);
  const version = versionOut.trim();

  const server = new URL(options.url);
  const admin = new pg.Client({ connectionString: options.url });
  await admin.connect();
  try {
    await admin.query('DROP DATABASE IF EXISTS pgbench');
    await admin.query('CREATE DATABASE pgbench');
  } finally {
    await admin.end();
  }
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(server.password), PGCONNECT_TIMEOUT: '10' };
  // The same way in as the gateway's: the server's Unix-domain socket folder when the URL names one (`?host=`).
  const connection = ['-h', server.searchParams.get('host') ?? server.hostname, '-p', server.port || '5432', '-U', decodeURIComponent(server.username)];

  say(`pgbench: ${version}; initialising scale ${options.scale} in database pgbench…`);
  const initStarted = performance.now();
  await run(binary, ['-i', '-q', '-s', String(options.scale), ...connection, 'pgbench'], { env, maxBuffer: 16 * 2 ** 20 });
  const initSeconds = (performance.now() - initStarted) / 1000;

  const logs = mkdtempSync(path.join(tmpdir(), 'lendgraph-pgbench-'));
  try {
    const script = options.selectOnly ? 'select-only' : 'TPC-B-like';
    say(`pgbench: ${script}, ${options.clients} clients, ${options.threads} threads, ${options.seconds} s…`);
    const { stdout } = await run(binary, [
      '-c', String(options.clients), '-j', String(options.threads), '-T', String(options.seconds), '-n', ...(options.selectOnly ? ['-S'] : []),
      '--log', '--log-prefix', path.join(logs, 'tx'), ...connection, 'pgbench',
    ], { env, cwd: logs, maxBuffer: 16 * 2 ** 20 });
    const number = (pattern: RegExp) => {
      const match = pattern.exec(stdout);
      if (!match) throw new Error(`pgbench output without ${pattern}:\n${stdout}`);
      return Number(match[1]);
    };
    // Per-transaction log lines: client_id transaction_no latency_us script_no epoch_s epoch_us [...]
    const latencies: number[] = [];
    for (const file of readdirSync(logs)) {
      for (const line of readFileSync(path.join(logs, file), 'utf8').split('\n')) {
        const fields = line.split(' ');
        if (fields.length >= 3 && fields[2] !== 'failed' && fields[2] !== 'skipped') latencies.push(Number(fields[2]) / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    return {
      version, scale: options.scale, clients: options.clients, threads: options.threads, seconds: options.seconds, script,
      transactions: number(/number of transactions actually processed: (\d+)/),
      failed: /number of failed transactions: (\d+)/.exec(stdout) ? number(/number of failed transactions: (\d+)/) : 0,
      tps: number(/tps = ([\d.]+) \(without initial connection time\)/),
      latencyAverageMs: number(/latency average = ([\d.]+) ms/),
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      initSeconds,
    };
  } finally {
    rmSync(logs, { recursive: true, force: true });
    // The tables are the reference's only: gone again, so the server is left as it was.
    const cleanup = new pg.Client({ connectionString: options.url });
    await cleanup.connect();
    try {
      await cleanup.query('DROP DATABASE IF EXISTS pgbench');
    } finally {
      await cleanup.end();
    }
  }
}

export function describePgbench(r: PgbenchResult): string {
  return `${r.tps.toFixed(0)} tps, latency avg ${r.latencyAverageMs.toFixed(2)} ms, p50 ${r.latencyP50Ms.toFixed(2)} ms, p99 ${r.latencyP99Ms.toFixed(2)} ms `
    + `(${r.script === 'select-only' ? 'select-only, ' : ''}${r.transactions.toLocaleString('en-US')} transactions${r.failed ? `, ${r.failed} failed` : ''}; scale ${r.scale}, ${r.clients} clients, ${r.threads} threads, ${r.seconds} s)`;
}

// Alone: a dry run against a server given by URL.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { url: { type: 'string' }, scale: { type: 'string', default: '10' }, clients: { type: 'string', default: '16' }, seconds: { type: 'string', default: '10' } } });
  if (!values.url) throw new Error('--url is required');
  const result = await runPgbench({ url: values.url, scale: Number(values.scale), clients: Number(values.clients), threads: 2, seconds: Number(values.seconds) }, (t) => process.stdout.write(`${t}\n`));
  process.stdout.write(`${describePgbench(result)}\n`);
}
