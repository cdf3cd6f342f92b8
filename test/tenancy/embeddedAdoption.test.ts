// The embedded PostgreSQL of a process killed with SIGKILL keeps running, and nothing of that process will ever stop
// it. The next process on the same data folder adopts it (the banner says so) and stops it when it stops; while the
// process that started it is alive, a second one only uses the server and leaves it running, as before.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { databaseBannerLine, openAllDatabases } from '../../src/tenancy/database.js';
import { freePort } from '../support/ports.js';
import { tempDataDir } from '../support/process.js';

const dataDir = tempDataDir();
const pgData = path.join(dataDir, 'postgres');
const postmasterPid = path.join(pgData, 'postmaster.pid');

/** The server's postmaster, as its pid file names it, or undefined when no server runs on the folder. */
function postmaster(): number | undefined {
  return existsSync(postmasterPid) ? Number(readFileSync(postmasterPid, 'utf8').split('\n')[0]) : undefined;
}

async function answers(port: number): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'lendgraph-local', database: 'lendgraph', connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

afterAll(() => {
  // A failed run leaves no server behind.
  const pid = postmaster();
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the embedded PostgreSQL of a process that was killed', () => {
  it('is adopted by the next process on its data folder, which stops it when it stops; a live starter keeps it', async () => {
    const port = await freePort();
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(port), LOG_LEVEL: 'silent' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/embeddedPostgresChild.ts'], {
      env: { ...process.env, ...env, DATABASE_URL: '', NODE_ENV: 'development' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const started = await new Promise<{ pid: number; embedded: boolean }>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
      });
      void exited.then(() => reject(new Error(`the process starting the server ended first: ${out}`)));
    });
    expect(started).toEqual({ pid: child.pid, embedded: true });
    const config = loadConfig({ ...env, NODE_ENV: 'development' });
    const log = createLogger('silent');

    // Its starter alive: used, left running.
    const beside = await openAllDatabases(config, log);
    expect(beside.main).toMatchObject({ embedded: false, sharedEmbedded: true });
    expect(databaseBannerLine(beside.main, config.dataDir)).toBe(`embedded PostgreSQL another process started (data in ${dataDir}); it stops with that process`);
    await beside.close();
    expect(await answers(port)).toBe(true);

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const orphan = postmaster();
    expect(orphan).toBeDefined();
    expect(await answers(port)).toBe(true);

    // Its starter gone: adopted, said so, served, and stopped with this process.
    const adopting = await openAllDatabases(config, log);
    expect(adopting.main).toMatchObject({ embedded: true, adoptedFrom: child.pid });
    expect(databaseBannerLine(adopting.main, config.dataDir))
      .toBe(`embedded PostgreSQL left running by process ${child.pid}, which is gone (data in ${dataDir}); adopted: it stops with this process`);
    expect((await adopting.main.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(postmaster()).toBe(orphan);
    await adopting.close();
    expect(postmaster()).toBeUndefined();
    expect(await answers(port)).toBe(false);
    expect(existsSync(`${pgData}.owner`)).toBe(false);
  });
});
