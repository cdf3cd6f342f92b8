// A process that starts the embedded PostgreSQL as a gateway's start-up does (openAllDatabases, with DATA_DIR and
// EMBEDDED_PG_PORT from the environment), prints one JSON line once its database answers, and waits to be killed:
// for test/tenancy/embeddedAdoption.test.ts, which kills it with SIGKILL so it never stops its server.
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { openAllDatabases } from '../../src/tenancy/database.js';

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const opened = await openAllDatabases(config, createLogger(config.LOG_LEVEL));
await opened.main.pool.query('SELECT 1');
process.stdout.write(`${JSON.stringify({ pid: process.pid, embedded: opened.main.embedded })}\n`);
setInterval(() => undefined, 60_000);
