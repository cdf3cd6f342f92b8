// The image as the test and the bench handle it: built by build.sh, run by Podman through podman.sh (the same
// storage, runc, no daemon), on the host's network so the gateway reaches a PostgreSQL on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = path.join(REPOSITORY, 'scripts/image/build.sh');
const PODMAN = path.join(REPOSITORY, 'scripts/image/podman.sh');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function finish(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Whether this machine can build the image here: build.sh needs root (vfs storage, chroot isolation) and Linux x64. */
export function canBuildImage(): boolean {
  return process.platform === 'linux' && process.arch === 'x64' && process.getuid?.() === 0;
}

/** Runs scripts/image/build.sh; its last line of output is the image's name. */
export async function buildImage(): Promise<Finished & { image: string }> {
  const result = await finish(spawn('bash', [BUILD], { cwd: REPOSITORY, stdio: ['ignore', 'pipe', 'pipe'] }));
  return { ...result, image: result.stdout.trim().split('\n').at(-1) ?? '' };
}

export function podman(args: string[]): Promise<Finished> {
  return finish(spawn('bash', [PODMAN, ...args], { cwd: REPOSITORY, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** `podman …` left running (a container in the foreground); its output is the container's. */
export function podmanInBackground(args: string[]): ChildProcess {
  return spawn('bash', [PODMAN, ...args], { cwd: REPOSITORY, stdio: ['ignore', 'pipe', 'pipe'] });
}

function hardLimit(name: string): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
  const hard = Number(line?.slice(26).trim().split(/\s+/)[1]);
  return Number.isInteger(hard) ? hard : 1024;
}

/**
 * `podman run` options every container of ours takes. Podman as root asks for limits far above a usual machine's
 * (1,048,576 open files), which a root without CAP_SYS_RESOURCE (CI's machines) may not raise to: the container gets
 * the caller's own open-files limit and 4,096 processes (threads count; Node runs about a dozen). On the host's
 * network, the gateway reaches a PostgreSQL listening on loopback; with no systemd to time it, the health check runs
 * when asked (`podman healthcheck run`).
 */
export function runOptions(): string[] {
  const files = hardLimit('Max open files');
  return ['--network', 'host', '--ulimit', `nofile=${files}:${files}`, '--ulimit', 'nproc=4096:4096', '--health-interval', 'disable'];
}

/** `--env NAME=value` for each entry. */
export function envOptions(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
}
