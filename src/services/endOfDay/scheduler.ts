// End of day on the job queue (docs/end-of-day.md, "Running it"). Every process that works jobs ticks: each
// active tenant whose local midnight has passed — its local date is after its business date — gets one job
// `{ tenant, to: localDate }`. The job's id is derived from the tenant and the date, so however many replicas
// tick, and however often, a tenant-date is queued once (a failing job keeps its id while pg-boss retries it with
// backoff; the next midnight's job resumes the failed run too). Workers run a bounded number of jobs at once — a
// share of the pool — and a job brings its tenant at most END_OF_DAY_MAX_DATES_PER_JOB dates forward, then queues
// the rest behind the other tenants, so one tenant catching up a month never starves the others.
import { createHash } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { addDays } from '../../domain/calendar.js';
import { dateInZone } from '../../domain/businessDate.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';
import type { JobQueue } from '../../events/jobs.js';
import { EndOfDayFailure, runEndOfDay, type EndOfDayOptions, type EndOfDayRuntime } from './run.js';
import { observedJob } from '../../observability/backgroundWork.js';
import { isBehind, latestTenantVersion, type Migration } from '../../tenancy/migrations.js';

/** The scheduler also knows this build's migrations, to leave tenants the migration job has not reached. */
type SchedulerRuntime = EndOfDayRuntime & { migrations: Migration[] };

export const END_OF_DAY_QUEUE = 'end-of-day';
/**
 * Connections one run holds at most: the one keeping its advisory lock for the whole run, and the one its current
 * step or batch works on. The share of the pool is counted in connections.
 */
export const CONNECTIONS_PER_RUN = 2;

export interface EndOfDayJob {
  tenant: string;
  /** The date to bring the tenant to: its local date when the job was queued. */
  to: string;
}

export interface EndOfDaySchedule {
  /** Seconds between ticks; 0: no tick (jobs queued otherwise are still worked). */
  tickSeconds: number;
  /** Jobs worked at once by this process. */
  concurrency: number;
  maxDatesPerJob: number;
  retryLimit: number;
  retryDelaySeconds: number;
  expireInSeconds: number;
}

/** Runs at once that keep within `share` of a pool of `poolMax` connections; at least one. */
export function endOfDayConcurrency(poolMax: number, share: number): number {
  return Math.max(1, Math.floor((poolMax * share) / CONNECTIONS_PER_RUN));
}

/** A job id that is the same for the same parts, so inserting it again is a no-op. */
function jobId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${'89ab'[parseInt(h[16]!, 16) & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The tenants whose local date at `now` is after their business date, with that local date. */
export function tenantsDue(tenants: readonly { slug: string; timeZone: string; businessDate: string }[], now: Date): EndOfDayJob[] {
  const due: EndOfDayJob[] = [];
  for (const tenant of tenants) {
    const local = dateInZone(now, tenant.timeZone);
    if (local > tenant.businessDate) due.push({ tenant: tenant.slug, to: local });
  }
  return due;
}

export class EndOfDayScheduler {
  private queue: JobQueue | undefined;
  private rt: SchedulerRuntime | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;
  private readonly running = new Set<Promise<unknown>>();
  private stopping: Promise<void> | undefined;
  /** Passed to every run this process's workers make (progress reporting; tests observe runs through it). */
  observer: Pick<EndOfDayOptions, 'onProgress' | 'afterCommit'> = {};

  constructor(readonly schedule: EndOfDaySchedule, private readonly workers: boolean) {}

  /** Creates the queue (every replica may enqueue) and, where jobs are worked, the workers and the tick. */
  async start(rt: SchedulerRuntime, queue: JobQueue): Promise<void> {
    this.rt = rt;
    this.queue = queue;
    await queue.ensureQueue({ name: END_OF_DAY_QUEUE, policy: 'short' });
    if (!this.workers) return;
    for (let i = 0; i < this.schedule.concurrency; i += 1) {
      await queue.boss.work<EndOfDayJob>(END_OF_DAY_QUEUE, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: 1 }, observedJob(END_OF_DAY_QUEUE, ([job]) => this.track(this.work(job!))));
    }
    if (this.schedule.tickSeconds > 0) {
      this.timer = setInterval(() => {
        this.ticking ??= this.tick()
          .catch((error: unknown) => rt.log.warn({ err: error }, 'end-of-day tick failed; the next tick tries again'))
          .finally(() => { this.ticking = undefined; });
      }, this.schedule.tickSeconds * 1000);
      this.timer.unref();
    }
  }

  /** Queues a job for every tenant due; returns how many were newly queued. */
  async tick(): Promise<number> {
    const { rt, queue } = this.started();
    // A tenant the migration job has not reached yet closes its days once it has (its date catches up then).
    const latest = latestTenantVersion(rt.migrations);
    const tenants = await rt.registry.list({ where: { status: 'active', ...(latest ? { schemaVersion: { gte: latest } } : {}) }, orderBy: [{ slug: 'asc' }], take: 1_000_000 });
    let queued = 0;
    for (const job of tenantsDue(tenants, rt.now())) {
      if (await this.enqueue(queue, job, jobId(job.tenant, job.to))) queued += 1;
    }
    return queued;
  }

  private async enqueue(queue: JobQueue, job: EndOfDayJob, id: string): Promise<boolean> {
    const { retryLimit, retryDelaySeconds, expireInSeconds } = this.schedule;
    const sent = await queue.boss.send(END_OF_DAY_QUEUE, job, {
      id, singletonKey: job.tenant, retryLimit, retryDelay: retryDelaySeconds, retryBackoff: true, expireInSeconds,
    });
    return sent !== null;
  }

  /** One job: at most maxDatesPerJob dates, then the rest queued again behind whatever is waiting. */
  private async work(job: PgBoss.JobWithMetadata<EndOfDayJob>): Promise<void> {
    const { rt, queue } = this.started();
    const { tenant: slug, to } = job.data;
    rt.registry.forget(slug);
    const tenant = await rt.registry.findBySlug(slug);
    // Suspended or gone since it was queued: nothing to do until it is active again (the tick queues it then).
    if (!tenant || tenant.status !== 'active') return;
    // Queued before a deploy, or queued again for its later dates: the new code waits for the tenant's migration.
    if (isBehind(tenant.schemaVersion, latestTenantVersion(rt.migrations))) return;
    // Never before the business date: a run left unfinished at it is resumed, and nothing more.
    const bound = addDays(tenant.businessDate, this.schedule.maxDatesPerJob);
    const stop = to < tenant.businessDate ? tenant.businessDate : to < bound ? to : bound;
    try {
      await runEndOfDay(rt, slug, { to: stop, startedBy: SYSTEM_ACTORS.endOfDaySchedule, ...this.observer });
    } catch (error) {
      const lastAttempt = job.retryCount >= job.retryLimit;
      const where = error instanceof EndOfDayFailure
        ? { tenant: error.tenant, businessDate: error.businessDate, step: error.step, loanId: error.loanId, reason: error.message }
        : { tenant: slug, businessDate: null, step: null, loanId: null, reason: (error as Error).message };
      rt.log.error({ ...where, to, attempt: job.retryCount + 1, retryLimit: job.retryLimit },
        lastAttempt ? 'end of day failed and is out of retries: it resumes with the next date\'s job, or `npm run eod`' : 'end of day failed; the job queue retries it');
      throw error;
    }
    if (stop < to) await this.enqueue(queue, { tenant: slug, to }, jobId(slug, to, stop));
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    void work.catch(() => undefined).finally(() => this.running.delete(work));
    return work;
  }

  private started(): { rt: SchedulerRuntime; queue: JobQueue } {
    if (!this.rt || !this.queue) throw new Error('the end-of-day schedule is not started in this process');
    return { rt: this.rt, queue: this.queue };
  }

  /**
   * Stops ticking and taking jobs, and waits up to `timeoutMs` for the runs in flight. A run cut short is left
   * running in the database and resumed by the job's retry (its advisory lock goes with its connection).
   */
  stop(timeoutMs = 30_000): Promise<void> {
    this.stopping ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      if (this.queue && this.workers) await this.queue.boss.offWork(END_OF_DAY_QUEUE).catch(() => undefined);
      await this.ticking;
      const timeout = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
      await Promise.race([Promise.allSettled([...this.running]), timeout]);
    })();
    return this.stopping;
  }
}
