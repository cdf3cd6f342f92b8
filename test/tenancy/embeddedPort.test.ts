// `npm start` when the embedded PostgreSQL's port is taken: a message naming EMBEDDED_PG_PORT and what to do,
// exit code 1, no stack trace, and no PostgreSQL initialised for nothing.
import net from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { runScript, tempDataDir } from '../support/process.js';

describe('embedded PostgreSQL port', () => {
  it('a taken EMBEDDED_PG_PORT stops start-up with a message naming it and what to do', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const dataDir = tempDataDir();
    try {
      const started = await runScript('src/main.ts', [], { DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_PG_PORT: String(taken), NODE_ENV: 'development', LOG_LEVEL: 'silent' });
      expect(started.code).toBe(1);
      expect(started.stderr).toContain(`EMBEDDED_PG_PORT: port ${taken} on 127.0.0.1 is already in use`);
      expect(started.stderr).toMatch(/Set EMBEDDED_PG_PORT to a free port/);
      expect(started.stderr).toMatch(/DATABASE_URL/);
      expect(started.stderr).not.toMatch(/^undefined$/m);
      expect(started.stderr).not.toMatch(/\n\s+at /);
      // Refused before initdb: no data folder was made for a server that could not run.
      expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(false);
    } finally {
      blocker.close();
    }
  });
});
