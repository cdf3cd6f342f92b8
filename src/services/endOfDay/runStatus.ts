// Whether a run the database records as running has anyone running it. The runner holds its tenant's end-of-day
// advisory lock on one connection for the run's whole life, and PostgreSQL frees the lock when that connection's
// process dies (kill -9, a lost machine), leaving the row `running` until the next start resumes it. A reader
// tells the two apart through pg_locks, without taking the lock: looking never stands in a runner's way.
import type pg from 'pg';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { endOfDayLockKey } from './run.js';

/**
 * Whether a session holds the tenant's end-of-day lock. `pool` is the one runEndOfDay takes it on (the registry's
 * database, whichever database the tenant's schema is on); advisory locks belong to a database, hence its oid.
 * A bigint key shows in pg_locks as its high and low halves, with objsubid 1.
 */
export async function endOfDayRunnerPresent(pool: pg.Pool, tenantId: string): Promise<boolean> {
  const { rows } = await pool.query<{ held: boolean }>(`
    SELECT EXISTS (
      SELECT 1 FROM pg_locks l, hashtextextended($1, 0) AS k
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid::bigint = (k >> 32) & 4294967295 AND l.objid::bigint = k & 4294967295) AS held`, [endOfDayLockKey(tenantId)]);
  return rows[0]!.held;
}

/** A run as it was read: its date, the status stored and the attempts, which a resumption counts up. */
interface RunAsRead {
  businessDate: Date;
  status: string;
  attempts: number;
}

/**
 * The status to show for a run: `interrupted` for one stored as running whose runner is gone, else the stored one.
 * The row is read again after the lock was seen free: a runner completes its row before it unlocks, and a resumption
 * counts an attempt after it locks, so a row still running with the same attempts is one nobody was running.
 */
export async function endOfDayRunStatus(pool: pg.Pool, db: TenantDb, tenantId: string, run: RunAsRead): Promise<string> {
  if (run.status !== 'running' || (await endOfDayRunnerPresent(pool, tenantId))) return run.status;
  const now = await db.endOfDayRun.findUnique({ where: { businessDate: run.businessDate }, select: { status: true, attempts: true } });
  return now?.status === 'running' && now.attempts === run.attempts ? 'interrupted' : run.status;
}
