// What the production build's test and the image's test share: a database of their own on the test run's
// PostgreSQL, the settings production insists on, and waiting for an answer over HTTP.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface FreshDatabase {
  /** Over TCP on loopback: a process in a container cannot reach the server's Unix socket. */
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the same server as `serverUrl`: nothing migrated, nobody else's tenants. */
export async function freshDatabase(serverUrl: string, prefix: string): Promise<FreshDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.searchParams.delete('host');
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropping = new pg.Client({ connectionString: admin.toString() });
      await dropping.connect();
      try {
        await dropping.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropping.end();
      }
    },
  };
}

/** What NODE_ENV=production requires besides DATABASE_URL: a real issuer (never fetched here: no token is sent) and a data key. */
export function productionSettings(): Record<string, string> {
  return {
    AUTH_ISSUER: 'https://id.example.test/realms/lendgraph',
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
}

/** Polls `url` until it answers `status`; the last answer (or error) is in the failure. */
export async function waitForStatus(url: string, status: number, timeoutMs: number, stillRunning: () => boolean = () => true): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline && stillRunning()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const body = await response.json().catch(() => null);
      if (response.status === status) return body;
      last = `${response.status} ${JSON.stringify(body)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer ${status} (last: ${last})`);
}
