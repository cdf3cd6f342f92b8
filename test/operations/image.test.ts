// The image as production runs it: built by scripts/image/build.sh (buildah, no daemon), then run by Podman on
// the host's network against the test run's PostgreSQL, in a database of its own. Its migration command runs
// first, as the migration job does; the gateway then answers /readyz as uid 10001 on a root filesystem that is
// read-only throughout (no writable /tmp either), and stops on SIGTERM with exit code 0.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildImage, canBuildImage, envOptions, podman, podmanInBackground, runOptions } from '../../scripts/image/podman.js';
import { freePort } from '../support/ports.js';
import { freshDatabase, productionSettings, waitForStatus, type FreshDatabase } from './productionRun.js';

// Building needs root and Linux x64; under CI=true the suite runs regardless, so a machine that cannot build fails.
const runnable = canBuildImage() || Boolean(process.env['CI']);
if (!runnable) process.stderr.write('image tests skipped: building the image needs root on Linux x64 (they FAIL under CI=true)\n');

let image = '';
const databases: FreshDatabase[] = [];
const container = `lendgraph-image-test-${randomBytes(4).toString('hex')}`;
// What a deployment gives both the migration job and the gateway; the container is read-only throughout.
let settings: Record<string, string> = {};
const READ_ONLY = ['--read-only', '--read-only-tmpfs=false'];

describe.runIf(runnable)('the image', () => {
  beforeAll(async () => {
    const built = await buildImage();
    expect(built.code, `scripts/image/build.sh failed:\n${built.stderr}`).toBe(0);
    image = built.image;
    const database = await freshDatabase(inject('databaseUrl'), 'image');
    databases.push(database);
    settings = { DATABASE_URL: database.url, ...productionSettings() };
  }, 20 * 60_000);

  afterAll(async () => {
    await podman(['rm', '--force', '--ignore', container]);
    for (const database of databases) await database.drop();
  });

  it('is lendgraph:<package version>, as the deployment names it, with the gateway as its command and a health check of its own', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(image).toBe(`lendgraph:${version}`);
    const inspected = await podman(['image', 'inspect', image]);
    expect(inspected.code, inspected.stderr).toBe(0);
    const [{ Config: config, Healthcheck: healthcheck }] = JSON.parse(inspected.stdout) as [{ Config: Record<string, any>; Healthcheck?: { Test: string[] } }];
    expect(config).toMatchObject({
      User: '10001:10001',
      WorkingDir: '/app',
      Cmd: ['node', '--enable-source-maps', 'dist/main.js'],
      ExposedPorts: { '4000/tcp': {}, '9464/tcp': {} },
      StopSignal: 'SIGTERM',
    });
    expect(config['Env']).toEqual(expect.arrayContaining(['NODE_ENV=production', 'HOST=0.0.0.0', 'PORT=4000']));
    // Docker's image format keeps HEALTHCHECK (OCI's has none); Podman shows it beside the configuration.
    expect(healthcheck?.Test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  });

  it('runs its migration command, `node dist/cli/migrate.js`, on a fresh database', async () => {
    const migrated = await podman(['run', '--rm', ...runOptions(), ...READ_ONLY, ...envOptions(settings), image, 'node', 'dist/cli/migrate.js']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/^platform: applied \d+_platform_registry/m);
    expect(migrated.stdout).toContain('tenants: 0 checked, 0 migrated, 0 failed');
  });

  it('serves /readyz and /healthz as uid 10001 on a read-only root filesystem, refuses production without DATABASE_URL or with schemas behind, and stops on SIGTERM with 0', async () => {
    const port = await freePort();
    // HOST on loopback: the host's network is shared, and the test keeps to loopback.
    const gateway = podmanInBackground(['run', '--rm', '--name', container, ...runOptions(), ...READ_ONLY,
      // A metrics port of its own (host network): another test file's production gateway may hold the default.
      ...envOptions({ ...settings, HOST: '127.0.0.1', PORT: String(port), METRICS_PORT: String(await freePort()), LOG_LEVEL: 'info' }), image]);
    let output = '';
    gateway.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    gateway.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
    try {
      // Starting includes Podman copying the image into the container (vfs storage keeps no shared layers).
      const ready = await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 180_000, () => gateway.exitCode === null)
        .catch((error: Error) => { throw new Error(`${error.message}\n${output}`); });
      expect(ready).toEqual({ status: 'ready' });
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(output).toContain('"embeddedDatabase":false');

      // The image's own HEALTHCHECK, run by Podman inside the container.
      const health = await podman(['healthcheck', 'run', container]);
      expect(health.code, health.stdout + health.stderr).toBe(0);

      // Who the gateway runs as, and where it could write: nowhere, with /tmp as open as it gets (mode 1777).
      const probe = await podman(['exec', container, 'node', '-e', `
        const fs = require('node:fs');
        const attempt = (file) => { try { fs.writeFileSync(file, 'x'); return 'written'; } catch (error) { return error.code; } };
        const gateway = fs.readFileSync('/proc/1/status', 'utf8').match(/^Uid:\\s+(\\d+)/m)[1];
        console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), user: require('node:os').userInfo().username,
          gatewayUid: Number(gateway), tmp: attempt('/tmp/probe'), app: attempt('/app/probe'), root: attempt('/probe') }));`]);
      expect(probe.code, probe.stderr).toBe(0);
      expect(JSON.parse(probe.stdout)).toEqual({ uid: 10001, gid: 10001, user: 'lendgraph', gatewayUid: 10001, tmp: 'EROFS', app: 'EROFS', root: 'EROFS' });

      // Production never falls back to the embedded PostgreSQL (the image does not carry it) ...
      const unset = await podman(['exec', '--env', 'DATABASE_URL=', container, 'node', 'dist/main.js']);
      expect(unset.code).toBe(2);
      expect(unset.stderr).toContain('DATABASE_URL: required in production');
      // ... nor migrates at start-up: on a database the migration job has not reached, it refuses to serve.
      const behind = await freshDatabase(inject('databaseUrl'), 'image_unmigrated');
      databases.push(behind);
      const refused = await podman(['exec', '--env', `DATABASE_URL=${behind.url}`, '--env', `PORT=${await freePort()}`, container, 'node', 'dist/main.js']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('the platform schema is behind this build and MIGRATE_ON_START=false');
    } finally {
      // The image's stop signal (SIGTERM), as a deployment's stop sends it.
      await podman(['stop', '--time', '30', container]);
    }
    expect(await exited, output).toBe(0);
    expect(output).toContain('"msg":"stopped"');
  });
});
