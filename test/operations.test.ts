// The platform as an operator runs it: `npm start`'s entry point on the embedded PostgreSQL (data kept between
// runs) or on DATABASE_URL, structured logs, SIGTERM draining, configuration errors, and the CLIs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from './support/ports.js';
import { runInTerminal, runScript, startServer, tempDataDir } from './support/process.js';
import { subscribe, until } from './support/ws.js';
import { uniqueSlug } from './support/harness.js';

async function graphql(port: number, token: string, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, any>; errors?: { extensions: { code: string } }[] };
}

describe('running the platform', () => {
  it('starts on the embedded PostgreSQL, logs as JSON with request id and tenant, drains on SIGTERM, and keeps its data for the next run', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '5000' };
    const first = await startServer(env);
    const banner = first.lines.join('\n');
    expect(banner).toContain(`Lendgraph API:      http://127.0.0.1:${port}/graphql`);
    expect(banner).toContain(`Explorer:           http://127.0.0.1:${port}/explorer/`);
    expect(first.logs.find((l) => l['msg'] === 'Lendgraph is serving')).toMatchObject({ embeddedDatabase: true });
    expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    // The dev issuer's token command, as the README shows it.
    const token = (await runScript('src/cli/token.ts', ['--tenant', 'demo', '--role', 'underwriter'], env)).stdout.trim();
    const answer = await graphql(port, token, '{ currentTenant { slug sandbox } }', { 'x-request-id': 'ops-probe-1' });
    expect(answer.data).toEqual({ currentTenant: { slug: 'demo', sandbox: true } });
    await until(() => first.logs.some((l) => l['requestId'] === 'ops-probe-1'));
    expect(first.logs.find((l) => l['requestId'] === 'ops-probe-1')).toMatchObject({ tenant: 'demo', msg: 'graphql operation', level: 30 });

    // A second gateway on the same data folder uses the running embedded server, says so, and leaves it running.
    const beside = await startServer({ ...env, PORT: String(await freePort()) });
    expect(beside.lines.join('\n')).toContain(`Database:           embedded PostgreSQL another process started (data in ${dataDir}); it stops with that process`);
    beside.child.kill('SIGTERM');
    expect((await beside.exited).code).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect(first.lines.join('\n')).toContain(`Database:           embedded PostgreSQL (data in ${dataDir})`);

    // The tenant CLI works while the server runs, on the same embedded server.
    const slug = uniqueSlug('kept');
    const created = await runScript('src/cli/tenant.ts', ['create', slug, '--name', 'Kept Lender', '--currency', 'EUR', '--time-zone', 'Europe/Berlin', '--sandbox'], env);
    expect(created.stdout).toContain(`created: ${slug}`);
    const repeated = await runScript('src/cli/tenant.ts', ['create', slug, '--name', 'Kept Lender', '--currency', 'EUR', '--time-zone', 'Europe/Berlin', '--sandbox'], env);
    expect(repeated.stdout).toContain(`already exists: ${slug}`);
    // Its usage on --help (exit 0), and bad usage named without a stack trace (exit 2).
    const help = await runScript('src/cli/tenant.ts', ['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run tenant -- create <slug> .*--business-date YYYY-MM-DD/);
    for (const args of [['create'], ['rename', slug], ['list', '--colour', 'red']]) {
      const bad = await runScript('src/cli/tenant.ts', args, env);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr).toContain('usage: npm run tenant --');
      expect(bad.stderr).not.toMatch(/^\s+at /m);
    }

    // SIGTERM with a live subscription: the socket is told the server is going away, the process exits 0
    // in time, and the embedded PostgreSQL is stopped.
    const live = subscribe(`ws://127.0.0.1:${port}/graphql`, { authorization: `Bearer ${token}` }, 'subscription { heartbeat(everySeconds: 5) { at } }');
    await until(() => live.results.length > 0);
    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect((await live.closed).code).toBe(1001);
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    // Next run, same data folder: the tenant made last time is still there.
    const second = await startServer(env);
    const admin = (await runScript('src/cli/token.ts', ['--role', 'platform-admin'], env)).stdout.trim();
    const kept = await graphql(port, admin, `{ tenantBySlug(slug: "${slug}") { slug currency timeZone sandbox } }`);
    expect(kept.data).toEqual({ tenantBySlug: { slug, currency: 'EUR', timeZone: 'Europe/Berlin', sandbox: true } });
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('uses DATABASE_URL when set and starts no embedded PostgreSQL', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const server = await startServer({ DATABASE_URL: inject('databaseUrl'), DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' });
    expect(server.logs.find((l) => l['msg'] === 'Lendgraph is serving')).toMatchObject({ embeddedDatabase: false });
    expect(server.lines.join('\n')).toContain('Database:           DATABASE_URL');
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });

  it('with MIGRATE_ON_START=false a replica migrates nothing: it refuses an unmigrated platform schema, and serves once `npm run migrate` has run', async () => {
    const dataDir = tempDataDir();
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'info', MIGRATE_ON_START: 'false' };
    const refused = await runScript('src/main.ts', [], { ...env, PORT: String(await freePort()) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('MIGRATE_ON_START=false: run `npm run migrate`');
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    // What the migration job does before the replicas start.
    const migrated = await runScript('src/cli/migrate.ts', [], { ...env, CI: 'true' });
    expect(migrated.code, migrated.stderr).toBe(0);
    const port = await freePort();
    const server = await startServer({ ...env, PORT: String(port) });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
});

describe('configuration and commands', () => {
  it('stops at start-up on a bad value, naming the variable', async () => {
    const bad = await runScript('src/main.ts', [], { PORT: 'eighty', DATA_DIR: tempDataDir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/PORT/);
    const pool = await runScript('src/main.ts', [], { PG_POOL_MAX: '1', DATA_DIR: tempDataDir() });
    expect(pool.code).toBe(2);
    expect(pool.stderr).toMatch(/PG_POOL_MAX/);
  });

  it('the development issuer refuses to run in production', async () => {
    const server = await runScript('src/main.ts', [], { NODE_ENV: 'production', DATA_DIR: tempDataDir() });
    expect(server.code).toBe(2);
    expect(server.stderr).toMatch(/DEV_ISSUER.*production/);
    const forced = await runScript('src/main.ts', [], { NODE_ENV: 'production', DEV_ISSUER: 'true', AUTH_ISSUER: 'https://id.example.test/realms/lendgraph', DATA_DIR: tempDataDir() });
    expect(forced.code).toBe(2);
    const token = await runScript('src/cli/token.ts', ['--tenant', 'demo', '--role', 'underwriter'], { NODE_ENV: 'production', DATA_DIR: tempDataDir() });
    expect(token.code).toBe(2);
    expect(token.stdout).toBe('');
  });

  it('`npm run token` names the allowed roles when given a wrong one', async () => {
    const result = await runScript('src/cli/token.ts', ['--tenant', 'demo', '--role', 'superuser'], { DATA_DIR: tempDataDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('credit-approver');
  });

  it('`npm run migrate` reports progress as plain lines outside a terminal', async () => {
    const result = await runScript('src/cli/migrate.ts', [], { DATABASE_URL: inject('databaseUrl'), CI: 'true', DATA_DIR: tempDataDir() });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\[1\/\d+\] [a-z0-9-]+: (up to date|applied .*)$/m);
    expect(result.stdout).toContain('platform: up to date');
    expect(result.stdout).toMatch(/tenants: \d+ checked, \d+ migrated, 0 failed/);
  });

  it('`npm run migrate` draws a progress bar across tenants on a terminal', async () => {
    const env = { DATABASE_URL: inject('databaseUrl'), DATA_DIR: tempDataDir() };
    expect((await runScript('src/cli/tenant.ts', ['create', uniqueSlug('ops-bar')], env)).code).toBe(0);
    const result = await runInTerminal('src/cli/migrate.ts', env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/tenants [█░]{40} (\d+)\/\1/);
    expect(result.stdout).not.toMatch(/^\[1\/\d+\]/m);
  });

  it('`npm run migrate` exits non-zero and names the tenant when one fails', async () => {
    // Exit codes once came out 0 whatever happened: a library's beforeExit hook called process.exit(0).
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    const slug = uniqueSlug('ops-drift');
    const env = { DATABASE_URL: inject('databaseUrl'), CI: 'true', DATA_DIR: tempDataDir() };
    const made = await runScript('src/cli/tenant.ts', ['create', slug], env);
    expect(made.code, made.stderr + made.stdout).toBe(0);
    const schema = `tenant_${slug.replaceAll('-', '_')}`;
    await client.query(`UPDATE ${schema}.schema_migration SET checksum = 'tampered' WHERE id = (SELECT min(id) FROM ${schema}.schema_migration)`);
    try {
      const result = await runScript('src/cli/migrate.ts', [], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`FAILED ${slug} at \\S+: .*edited`));
    } finally {
      await client.query(`DELETE FROM platform.tenant WHERE slug = $1`, [slug]);
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    }
  });
});
