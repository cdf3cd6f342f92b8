// Runs a Lendgraph scenario with Artillery's own command line, from load-tests/node_modules (installed by
// `npm ci --prefix load-tests`, never a dependency of the product), and reads its JSON report. The engine runs
// on this Node, with telemetry off and nothing from the environment that would send results anywhere (Artillery
// Cloud, extra plugins); with `loopbackOnly` every connection it tries beyond this machine is refused and named.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOAD_TESTS = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_TARGET_FILE = path.join(LOAD_TESTS, '.run', 'target.json');
export const DEFAULT_REPORT_DIR = path.join(LOAD_TESTS, '.run', 'reports');
const ARTILLERY = path.join(LOAD_TESTS, 'node_modules', 'artillery', 'bin', 'run');
const LOOPBACK_GUARD = path.join(LOAD_TESTS, 'loopbackOnly.mts');

export type Environment = 'smoke' | 'full';

export const SCENARIOS = {
  'partner-submissions': { script: 'partner-submissions.yml' },
  'single-payments': { script: 'single-payments.yml' },
  'bulk-payments': { script: 'bulk-payments.yml' },
  'dashboard-reads': { script: 'dashboard-reads.yml' },
  // Dashboards subscribe first; the payments they follow start once every dashboard has joined.
  subscriptions: { script: 'subscriptions.yml', alongside: 'single-payments.yml' },
} as const satisfies Record<string, { script: string; alongside?: string }>;
export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

/** Artillery's JSON report: what this project reads of it. */
export interface ArtilleryReport {
  aggregate: {
    counters: Record<string, number>;
    summaries: Record<string, { min: number; max: number; count: number; mean: number; p50: number; p95: number; p99: number }>;
    firstMetricAt?: number;
    lastMetricAt?: number;
  };
}

export interface ArtilleryRun {
  /** The scenario file run. */
  script: string;
  exitCode: number | null;
  /** What the engine printed (its summary, the ensure checks, any refused connection). */
  output: string;
  report: ArtilleryReport | null;
}

export interface ScenarioResult {
  name: ScenarioName;
  environment: Environment;
  /** The scenario's own run first, then the one beside it (the subscriptions' payments). */
  runs: ArtilleryRun[];
}

export function engineInstalled(): boolean {
  return existsSync(ARTILLERY);
}

/** The installed engine's version, as its package says. */
export function engineVersion(): string {
  return (JSON.parse(readFileSync(path.join(LOAD_TESTS, 'node_modules', 'artillery', 'package.json'), 'utf8')) as { version: string }).version;
}

/** What the engine inherits: this environment without anything that would make it report elsewhere. */
function engineEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    // Artillery Cloud keys and endpoints, extra plugins and their paths, a disabled `ensure`, cloud workers' ids.
    if (/^ARTILLERY_/.test(name) || name === 'WORKER_ID' || name === 'NODE_OPTIONS') delete env[name];
  }
  // Read by Artillery's telemetry (lib/telemetry.ts): any value turns it off.
  env['ARTILLERY_DISABLE_TELEMETRY'] = 'true';
  env['FORCE_COLOR'] = '0';
  return env;
}

interface Started {
  done: Promise<ArtilleryRun>;
  output: () => string;
}

function startArtillery(script: string, environment: Environment, targetFile: string, reportFile: string, loopbackOnly: boolean): Started {
  rmSync(reportFile, { force: true });
  const args = [
    ...(loopbackOnly ? ['--import', LOOPBACK_GUARD] : []),
    ARTILLERY, 'run', '--environment', environment, '--config', path.join(LOAD_TESTS, 'common.yml'), '--output', reportFile,
    path.join(LOAD_TESTS, 'scenarios', script), targetFile,
  ];
  const child = spawn(process.execPath, args, { cwd: LOAD_TESTS, env: engineEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const done = new Promise<ArtilleryRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as ArtilleryReport) : null;
      resolve({ script, exitCode: code, output, report });
    });
  });
  return { done, output: () => output };
}

async function until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await new Promise((resolve) => setTimeout(resolve, 100))) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs / 1000} s`);
  }
}

export interface RunOptions {
  environment: Environment;
  targetFile?: string;
  reportDir?: string;
  /** Refuse, and name, any connection the engine tries beyond this machine (runs against 127.0.0.1). */
  loopbackOnly?: boolean;
}

export async function runScenario(name: ScenarioName, options: RunOptions): Promise<ScenarioResult> {
  const { script, alongside } = SCENARIOS[name] as { script: string; alongside?: string };
  const targetFile = options.targetFile ?? DEFAULT_TARGET_FILE;
  if (!existsSync(targetFile)) throw new Error(`no target file ${targetFile}: run npm run load:setup first`);
  const reportDir = options.reportDir ?? DEFAULT_REPORT_DIR;
  mkdirSync(reportDir, { recursive: true });
  const reportFor = (file: string) => path.join(reportDir, `${options.environment}-${name}${file === script ? '' : `-${path.basename(file, '.yml')}`}.json`);
  const main = startArtillery(script, options.environment, targetFile, reportFor(script), options.loopbackOnly ?? false);
  if (!alongside) return { name, environment: options.environment, runs: [await main.done] };

  // The dashboards' arrival phase ends once they have all connected and subscribed (a handshake of milliseconds
  // on an idle socket); only then may the payments they are to see begin.
  let ended = false;
  void main.done.then(() => (ended = true));
  await until(() => ended || /Phase completed: dashboards join/.test(main.output()), 'the dashboards joining', 120_000);
  const beside = startArtillery(alongside, options.environment, targetFile, reportFor(alongside), options.loopbackOnly ?? false);
  const runs = await Promise.all([main.done, beside.done]);
  return { name, environment: options.environment, runs };
}
