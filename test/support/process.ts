// Runs the real entry points (src/main.ts, the CLIs) as child processes, as an operator would.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function tempDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lendgraph-proc-'));
  // As root, the embedded PostgreSQL runs as the postgres user, which must be able to enter this folder.
  chmodSync(dir, 0o755);
  return dir;
}

function baseEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = { ...process.env };
  // A Keycloak the run was pointed at (KEYCLOAK_URL for globalSetup) is for the tests that ask for it by name, as in
  // CI; inherited, it would turn every started process's development issuer off.
  for (const key of ['DATABASE_URL', 'AUTH_ISSUER', 'DEV_ISSUER', 'NODE_ENV', 'PORT', 'DATA_DIR', 'KEYCLOAK_URL']) delete inherited[key];
  // Processes started by tests share the run's database: they work no webhook jobs unless a test asks, so no
  // test's deliveries are taken by another test's process (test/events/webhooks.test.ts owns its own).
  // Nor do they tick end of day over every test file's tenants, nor all take the one default metrics port.
  return { JOBS_ENABLED: 'false', END_OF_DAY_TICK_SECONDS: '0', METRICS_PORT: '0', ...inherited, ...env };
}

export interface RunningServer {
  child: ChildProcess;
  lines: string[];
  logs: Record<string, any>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startServer(env: Record<string, string>, timeoutMs = 90_000): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const logs: Record<string, any>[] = [];
  let buffer = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  const serving = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A server that never said it was serving must not outlive the test that started it.
      child.kill('SIGKILL');
      reject(new Error(`server did not start in time:\n${lines.join('\n')}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        if (line.startsWith('{')) {
          try {
            const entry = JSON.parse(line) as Record<string, any>;
            logs.push(entry);
            if (entry['msg'] === 'Lendgraph is serving') {
              clearTimeout(timer);
              resolve();
            }
          } catch {
            // not a log line
          }
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before serving:\n${lines.join('\n')}`));
    });
  });
  await serving;
  return { child, lines, logs, exited };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx <script> ...args` to completion. */
export function runScript(script: string, args: string[], env: Record<string, string>): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `node --import tsx <script>` on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
export function runInTerminal(script: string, env: Record<string, string>, args: string[] = []): Promise<CommandResult> {
  return new Promise((resolve) => {
    const environment = baseEnv(env);
    delete environment['CI'];
    // Arguments are the test's own (slugs, dates): quoted for the shell `script` runs the command in.
    const command = [process.execPath, '--import', 'tsx', script, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
