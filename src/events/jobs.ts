// Background work on a Postgres-backed job queue (pg-boss, DESIGN.md): any gateway replica takes any job, a
// job survives a crash (it expires and is retried), retries back off exponentially, and a job out of attempts
// moves to a dead-letter queue. pg-boss keeps its own tables in the `pgboss` schema and migrates them itself.
// It runs over the process's one pool; jobs that must exist exactly when a change commits are inserted through
// that change's own transaction (`inTransaction`).
import PgBoss from 'pg-boss';
import type pg from 'pg';
import type { Logger } from '../log.js';

/** Where pg-boss keeps its tables unless JOBS_SCHEMA says otherwise; processes that share work share it. */
export const JOBS_SCHEMA = 'pgboss';

const DEADLOCK_DETECTED = '40P01';

export type JobExecutor = PgBoss.Db;

/** pg-boss's statements run inside a transaction we already hold (pg client or Prisma interactive transaction). */
export function inTransaction(sql: pg.PoolClient | { $queryRawUnsafe: (text: string, ...values: unknown[]) => Promise<unknown> }): JobExecutor {
  if ('$queryRawUnsafe' in sql) {
    return { executeSql: async (text, values) => ({ rows: (await sql.$queryRawUnsafe(text, ...(values ?? []).map((v) => v ?? null))) as unknown[] }) };
  }
  return { executeSql: (text, values) => sql.query(text, values) };
}

export interface QueueDefinition {
  name: string;
  deadLetter?: string;
  /** pg-boss's queue policy; `short` keeps at most one job per singleton key waiting. */
  policy?: PgBoss.QueuePolicy;
}

export class JobQueue {
  /** Set once stopped: see `stop`. */
  private stopped = false;

  private constructor(readonly boss: PgBoss) {}

  static async open(pool: pg.Pool, log: Logger, options: { workers: boolean; queues: QueueDefinition[]; schema?: string }): Promise<JobQueue> {
    let queue: JobQueue | undefined;
    const boss = new PgBoss({
      // A worker still running past stop's timeout may record its outcome after the process has ended its pool:
      // that statement is dropped (the job expires and is retried, as stop promises) rather than rejected where
      // nothing awaits it.
      db: { executeSql: (text, values) => (queue?.stopped ? Promise.resolve({ rows: [] }) : pool.query(text, values)) },
      schema: options.schema ?? JOBS_SCHEMA,
      // Maintenance (expiring stalled jobs, archiving) only where jobs are worked; no cron schedules are used.
      supervise: options.workers,
      schedule: false,
    });
    boss.on('error', (error) => log.warn({ err: { message: error.message } }, 'job queue error'));
    await boss.start();
    // Dead-letter queues first: a queue names its dead-letter queue by reference.
    const jobs = new JobQueue(boss);
    queue = jobs;
    try {
      for (const queue of [...options.queues].sort((a, b) => Number(Boolean(a.deadLetter)) - Number(Boolean(b.deadLetter)))) {
        await jobs.ensureQueue(queue);
      }
    } catch (error) {
      // A queue that is not there is no use: nothing of the started instance may outlive the failure.
      await jobs.stop(0).catch(() => undefined);
      throw error;
    }
    return jobs;
  }

  /**
   * Creates a queue unless it exists. pg-boss creates a queue's partition under a lock on the job table, so two
   * processes creating different queues at the same moment can deadlock; PostgreSQL then aborts one of them, and
   * creating again is safe (the queue row is inserted only if absent).
   */
  async ensureQueue(queue: QueueDefinition): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.boss.createQueue(queue.name, { name: queue.name, ...(queue.deadLetter ? { deadLetter: queue.deadLetter } : {}), ...(queue.policy ? { policy: queue.policy } : {}) });
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }

  async stop(timeoutMs = 5_000): Promise<void> {
    // Jobs in flight finish or, past the timeout, expire and are retried by another replica.
    await this.boss.stop({ graceful: true, close: false, wait: true, timeout: timeoutMs });
    this.stopped = true;
  }
}
