// `npm start` when the API's or the metrics' port is taken: as for the embedded PostgreSQL's
// (test/tenancy/embeddedPort.test.ts), a message naming the setting and what to do, exit code 1, no stack trace.
import net from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from './support/ports.js';
import { runScript, tempDataDir } from './support/process.js';

async function blockedPort(): Promise<{ port: number; release(): void }> {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  return { port: (blocker.address() as net.AddressInfo).port, release: () => blocker.close() };
}

const STACK = /\n\s+at /;

describe('a port taken at start-up', () => {
  it('METRICS_PORT: the message names it and offers a free port or 0, with no stack in the output or the log', async () => {
    const taken = await blockedPort();
    try {
      const started = await runScript('src/main.ts', [], {
        DATABASE_URL: inject('databaseUrl'), DATA_DIR: tempDataDir(), PORT: String(await freePort()), METRICS_PORT: String(taken.port), LOG_LEVEL: 'info',
      });
      expect(started.code, started.stderr).toBe(1);
      expect(started.stderr).toContain(`METRICS_PORT: port ${taken.port} on 127.0.0.1 is already in use by another program, so the metrics listener cannot start.`);
      expect(started.stderr).toContain('Set METRICS_PORT to a free port, or to 0 to serve no metrics');
      expect(started.stderr).not.toMatch(STACK);
      expect(started.stdout).not.toMatch(/"level":60|"stack"/);
    } finally {
      taken.release();
    }
  });

  it('PORT: the message names it and what to do, with no stack', async () => {
    const taken = await blockedPort();
    try {
      const started = await runScript('src/main.ts', [], { DATABASE_URL: inject('databaseUrl'), DATA_DIR: tempDataDir(), PORT: String(taken.port), LOG_LEVEL: 'info' });
      expect(started.code, started.stderr).toBe(1);
      expect(started.stderr).toContain(`PORT: port ${taken.port} on 127.0.0.1 is already in use by another program, so the API cannot start. Set PORT to a free port`);
      expect(started.stderr).not.toMatch(STACK);
      expect(started.stdout).not.toMatch(/"level":60|"stack"/);
    } finally {
      taken.release();
    }
  });
});
