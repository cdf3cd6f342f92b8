// A real Keycloak for development and tests: the server distribution from Maven Central
// (org.keycloak:keycloak-quarkus-dist, fetched with mvn into a cache folder), run on loopback with a JDK found on
// the machine, in dev mode on an in-memory database so every start is a clean, empty Keycloak.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const KEYCLOAK_VERSION = '26.7.3';
export const KEYCLOAK_ADMIN = { username: 'admin', password: 'lendgraph-local-admin' };

export function cacheDir(): string {
  return process.env['KEYCLOAK_CACHE'] ?? path.join(homedir(), '.cache', 'lendgraph', 'keycloak');
}

/** Keycloak 26.6+ wants JDK 21 or newer (25 preferred); Debian's default 17 is not enough. */
export function findJdk(): string {
  const candidates = [process.env['KEYCLOAK_JAVA_HOME'], process.env['JAVA_HOME']].filter((c): c is string => !!c);
  if (existsSync('/usr/lib/jvm')) {
    const found = readdirSync('/usr/lib/jvm').map((name) => path.join('/usr/lib/jvm', name));
    // Newest first: temurin-25 before openjdk-17.
    candidates.push(...found.sort((a, b) => majorOf(b) - majorOf(a)));
  }
  for (const home of candidates) {
    if (existsSync(path.join(home, 'bin', 'java')) && javaMajor(home) >= 21) return home;
  }
  throw new Error('no JDK 21+ found for Keycloak (looked at KEYCLOAK_JAVA_HOME, JAVA_HOME, /usr/lib/jvm/*)');
}

function majorOf(home: string): number {
  return Number(/(\d+)/.exec(path.basename(home))?.[1] ?? 0);
}

function javaMajor(home: string): number {
  const out = spawnSync(path.join(home, 'bin', 'java'), ['-version'], { encoding: 'utf8' });
  return Number(/version "(\d+)/.exec(`${out.stderr}${out.stdout}`)?.[1] ?? 0);
}

/** Fetches and unpacks the distribution once; later calls find it in the cache. */
export function ensureDistribution(): string {
  const dir = cacheDir();
  const home = path.join(dir, `keycloak-${KEYCLOAK_VERSION}`);
  if (existsSync(path.join(home, 'bin', 'kc.sh'))) return home;
  mkdirSync(dir, { recursive: true });
  const archive = path.join(dir, `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.tar.gz`);
  if (!existsSync(archive)) {
    const fetched = spawnSync('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION}:tar.gz`, `-DoutputDirectory=${dir}`], { stdio: 'inherit' });
    if (fetched.status !== 0) throw new Error(`mvn could not fetch keycloak-quarkus-dist ${KEYCLOAK_VERSION}`);
  }
  const unpacked = spawnSync('tar', ['xzf', archive, '-C', dir], { stdio: 'inherit' });
  if (unpacked.status !== 0) throw new Error(`could not unpack ${archive}`);
  return home;
}

export interface RunningKeycloak {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startKeycloak(options: { port: number; log?: (line: string) => void; timeoutMs?: number }): Promise<RunningKeycloak> {
  const home = ensureDistribution();
  const javaHome = findJdk();
  const url = `http://127.0.0.1:${options.port}`;
  const child = spawn(path.join(home, 'bin', 'kc.sh'), [
    'start-dev', '--db=dev-mem', `--http-port=${options.port}`, '--http-host=127.0.0.1',
    // The management interface would take port 9000 by default; keep it beside ours so runs can coexist.
    `--http-management-port=${options.port + 1}`,
  ], {
    env: {
      ...process.env,
      JAVA_HOME: javaHome,
      KC_BOOTSTRAP_ADMIN_USERNAME: KEYCLOAK_ADMIN.username,
      KC_BOOTSTRAP_ADMIN_PASSWORD: KEYCLOAK_ADMIN.password,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      options.log?.(line);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  while (true) {
    const ready = await fetch(`${url}/realms/master`).then((r) => r.ok, () => false);
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Keycloak did not start:\n${lines.slice(-30).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      // kc.sh runs java as a child: signal the whole process group.
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
