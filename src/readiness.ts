// Readiness (/readyz): may this process take traffic? It needs its database and the platform schema migrated.
// Tenant schemas behind this build do not make the replica unready (one lagging tenant would otherwise take every
// replica out of service): such a tenant answers TENANT_MIGRATING until the migration job reaches it, and the
// answer counts them. The
// answer is bounded in time: a database that is gone, or a pool with no connection to spare, answers 503 within
// the timeout instead of a probe that hangs. Probes arriving while one is in flight share that one, so a dead
// database never piles probes up in the pool's queue. The check holds no state of its own: the moment the
// database answers again, so does readiness, without a restart.
import type pg from 'pg';
import type { Logger } from './log.js';
import { schemasBehind, type Migration } from './tenancy/migrations.js';
import { driverError } from './tenancy/database.js';
import { PLATFORM_SCHEMA } from './tenancy/schemaNames.js';
import { databasesOf, type Databases } from './tenancy/placement.js';

/** Liveness probes usually give up after 1 s–10 s; answering well inside that keeps the answer ours. */
export const READINESS_TIMEOUT_MS = 2_000;

export interface Readiness {
  status: 200 | 503;
  body: { status: 'ready' | 'migrating' | 'database unreachable'; schemasBehind?: number; tenantsMigrating?: number; databasesUnreachable?: number };
}

const UNREACHABLE: Readiness = { status: 503, body: { status: 'database unreachable' } };

export function readinessCheck(on: pg.Pool | Databases, migrations: Migration[], log: Logger, timeoutMs = READINESS_TIMEOUT_MS): () => Promise<Readiness> {
  const databases = databasesOf(on);
  const pool = databases.main.pool;
  let probing: Promise<Readiness> | undefined;
  let last: Readiness['body']['status'] | undefined;
  let lastUnreachable = '';
  // pg honours a per-query read timeout its types do not list.
  const ping = (target: pg.Pool) => target.query({ text: 'SELECT 1', query_timeout: timeoutMs } as pg.QueryConfig);

  /**
   * The other databases tenants are placed on: one that is down fails its own tenants' requests, not the
   * replica (every replica would fail alike, and the tenants elsewhere would lose service for nothing).
   */
  const unreachable = async (): Promise<number> => {
    const others = databases.list().slice(1);
    const answers = await Promise.allSettled(others.map((database) => ping(database.pool)));
    const down = others.filter((_, i) => answers[i]!.status === 'rejected').map((database) => database.name);
    if (down.join() !== lastUnreachable) {
      if (down.length > 0) log.warn({ databases: down }, 'readiness: databases tenants are placed on are unreachable; their tenants fail');
      else log.info('readiness: every database tenants are placed on answers again');
      lastUnreachable = down.join();
    }
    return down.length;
  };

  const probe = async (): Promise<Readiness> => {
    try {
      await ping(pool);
      const [behind, down] = await Promise.all([schemasBehind(pool, migrations), unreachable()]);
      if (behind.includes(PLATFORM_SCHEMA)) return { status: 503, body: { status: 'migrating', schemasBehind: behind.length } };
      return {
        status: 200,
        body: { status: 'ready', ...(behind.length > 0 ? { tenantsMigrating: behind.length } : {}), ...(down > 0 ? { databasesUnreachable: down } : {}) },
      };
    } catch (error) {
      if (last !== 'database unreachable') log.warn({ err: error instanceof Error ? driverError(error) : { message: String(error) } }, 'readiness check failed: database unreachable');
      return UNREACHABLE;
    }
  };

  return async () => {
    probing ??= probe().finally(() => {
      probing = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Readiness>((resolve) => {
      timer = setTimeout(() => resolve(UNREACHABLE), timeoutMs);
    });
    try {
      const answer = await Promise.race([probing, timedOut]);
      if (answer.body.status !== last) {
        if (last !== undefined) log.info({ from: last, to: answer.body.status }, 'readiness changed');
        last = answer.body.status;
      }
      return answer;
    } finally {
      clearTimeout(timer);
    }
  };
}
