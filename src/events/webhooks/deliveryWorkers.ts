// Partner webhooks in a process: the job queue, the settle hook that turns events into deliveries, and the
// workers that send them. Started by the gateway (every replica dispatches; replicas with JOBS_ENABLED send).
import type { Logger } from '../../log.js';
import type { CommitSettler } from '../commitSettler.js';
import type { DataKey } from '../../tenancy/sealing.js';
import type { Databases, PlacedDatabase } from '../../tenancy/placement.js';
import { JobQueue } from '../jobs.js';
import { OutboundClient, type OutboundOptions } from '../../outbound/client.js';
import { dispatchWebhooks, WEBHOOK_DEAD_LETTERS, WEBHOOK_QUEUE, type DeliveryJob, type RetryPolicy } from './dispatch.js';
import { markDead, takeTurn, type Sender } from './delivery.js';
import { observedJob } from '../../observability/backgroundWork.js';
import { observeWebhookQueue } from '../../observability/metrics.js';

export class Webhooks {
  /** A job queue on every database tenants live on, `main`'s first: wake-ups are queued in the tenant's transactions. */
  private readonly queues = new Map<string, JobQueue>();
  private readonly workerIds: { queue: JobQueue; id: string }[] = [];
  private readonly whenOpen: ((queue: JobQueue) => Promise<void>)[] = [];
  private readonly retries = new Set<NodeJS.Timeout>();
  private sender: Sender | undefined;
  private unobserveQueue: (() => void) | undefined;
  /** Every delivery goes through the outbound client (destination policy, timeouts, response cap). */
  readonly client: OutboundClient;

  constructor(
    private readonly databases: Databases,
    private readonly log: Logger,
    readonly key: DataKey,
    readonly policy: RetryPolicy,
    private readonly options: { workers: number; enabled: boolean; now: () => Date; outbound: OutboundOptions; jobsSchema: string },
  ) {
    this.client = new OutboundClient(options.outbound);
  }

  /** The platform's own database's queue (the end-of-day schedule's, and every tenant's when none is placed elsewhere). */
  get queue(): JobQueue {
    const main = this.queues.get(this.databases.main.name);
    if (!main) throw new Error('webhooks are not started in this process');
    return main;
  }

  /** The job queue on a database, for jobs inserted inside a transaction of one of its tenants. */
  queueFor(database: string): JobQueue {
    const queue = this.queues.get(database);
    if (!queue) throw new Error(`no job queue for database ${database} in this process`);
    return queue;
  }

  /** Every database's queue opened so far, `main`'s first: where workers of tenant-bound jobs must listen. */
  allQueues(): JobQueue[] {
    return [...this.queues.values()];
  }

  /**
   * Runs `ready` for every database's queue once it is open (at once for those already open): other work that
   * inserts jobs in tenants' transactions (pending checks) creates its queues and workers there too.
   */
  async onQueue(ready: (queue: JobQueue) => Promise<void>): Promise<void> {
    this.whenOpen.push(ready);
    for (const queue of this.allQueues()) await ready(queue);
  }

  async start(settler: CommitSettler): Promise<void> {
    const [main, ...others] = this.databases.list();
    this.unobserveQueue = observeWebhookQueue(async () =>
      (await Promise.all(this.allQueues().map((queue) => queue.boss.getQueueSize(WEBHOOK_QUEUE)))).reduce((a, b) => a + b, 0));
    settler.onSettled(async (sql, schema, events) => {
      const created = await dispatchWebhooks(sql, this.queueFor(await this.databases.databaseOf(schema)), schema, events, this.policy);
      // Wake this process's workers once the deliveries are committed, instead of at their next poll.
      return created > 0 && this.options.enabled ? () => this.wakeWorkers() : undefined;
    });
    this.sender = {
      databases: this.databases, client: this.client, key: this.key, policy: this.policy, queueFor: (database: string) => this.queueFor(database),
      now: this.options.now, log: this.log, settle: (schema: string) => settler.wake(schema),
    };
    // The platform's database must be there to serve at all; another that is not yet reachable is opened when it
    // is, so one database down does not keep every replica from starting.
    await this.open(main!);
    for (const other of others) void this.openWhenReachable(other, 1_000);
  }

  private async open(database: PlacedDatabase): Promise<JobQueue> {
    const queue = await JobQueue.open(database.pool, this.log, {
      workers: this.options.enabled,
      schema: this.options.jobsSchema,
      queues: [{ name: WEBHOOK_DEAD_LETTERS }, { name: WEBHOOK_QUEUE, deadLetter: WEBHOOK_DEAD_LETTERS }],
    });
    if (this.stopping) {
      // Opened late, while the process stops: nothing may use it after the pools end.
      await queue.stop(0);
      return queue;
    }
    this.queues.set(database.name, queue);
    try {
      if (this.options.enabled) await this.startWorkers(queue);
      for (const ready of this.whenOpen) await ready(queue);
    } catch (error) {
      // Half set up is not set up: stopped, so the retry opens it afresh rather than beside this one.
      this.queues.delete(database.name);
      this.workerIds.splice(0, this.workerIds.length, ...this.workerIds.filter((worker) => worker.queue !== queue));
      await queue.stop(0).catch(() => undefined);
      throw error;
    }
    return queue;
  }

  private async openWhenReachable(database: PlacedDatabase, delayMs: number): Promise<void> {
    if (this.stopping) return;
    try {
      await this.open(database);
    } catch (error) {
      this.log.warn({ err: { message: (error as Error).message }, database: database.name, retryInMs: delayMs }, 'job queue not opened on a database tenants are placed on; trying again');
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        void this.openWhenReachable(database, Math.min(delayMs * 2, 60_000));
      }, delayMs);
      timer.unref();
      this.retries.add(timer);
    }
  }

  private async startWorkers(queue: JobQueue): Promise<void> {
    const sender = this.sender!;
    const ids: string[] = [];
    for (let i = 0; i < this.options.workers; i += 1) {
      ids.push(await queue.boss.work<DeliveryJob>(WEBHOOK_QUEUE, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: 0.5 }, observedJob(WEBHOOK_QUEUE, async ([job]) => {
        try {
          await takeTurn(sender, job!.data);
        } catch (error) {
          this.log.warn({ err: error, job: job!.data }, 'webhook turn failed; the job queue retries it');
          throw error;
        }
      })));
    }
    ids.push(await queue.boss.work<DeliveryJob>(WEBHOOK_DEAD_LETTERS, { batchSize: 10, pollingIntervalSeconds: 2 }, observedJob(WEBHOOK_DEAD_LETTERS, async (jobs) => {
      for (const job of jobs) {
        if ('endpointId' in job.data) this.log.warn({ job: job.data }, 'webhook wake-up out of retries; the endpoint waits for its next event or enable');
        await markDead(await this.databases.poolForSchema(job.data.schema), job.data, this.options.now());
      }
    })));
    this.workerIds.push(...ids.map((id) => ({ queue, id })));
  }

  private wakeWorkers(): void {
    for (const { queue, id } of this.workerIds) queue.boss.notifyWorker(id);
  }

  private stopping: Promise<void> | undefined;

  /**
   * Stops taking jobs and waits for deliveries in flight, which end within their total timeout, so none touches
   * the pool after the process closes it. Called by the gateway's drain and again by the runtime's close: the
   * second call waits for the first.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const timer of this.retries) clearTimeout(timer);
      this.unobserveQueue?.();
      await Promise.all(this.allQueues().map((queue) => queue.stop(this.policy.timeoutMs + 2_000)));
      await this.client.close();
    })();
    return this.stopping;
  }
}
