// Partner webhooks in a process: the job queue, the settle hook that turns events into deliveries, and the
// workers that send them. Started by the gateway (every replica dispatches; replicas with JOBS_ENABLED send).
import type pg from 'pg';
import type { Logger } from '../../log.js';
import type { CommitSettler } from '../commitSettler.js';
import type { DataKey } from '../../tenancy/sealing.js';
import { JobQueue } from '../jobs.js';
import { OutboundClient, type OutboundOptions } from '../../outbound/client.js';
import { dispatchWebhooks, WEBHOOK_DEAD_LETTERS, WEBHOOK_QUEUE, type DeliveryJob, type RetryPolicy } from './dispatch.js';
import { markDead, takeTurn } from './delivery.js';
import { observedJob } from '../../observability/backgroundWork.js';
import { observeWebhookQueue } from '../../observability/metrics.js';

export class Webhooks {
  private started: JobQueue | undefined;
  private readonly workerIds: string[] = [];
  private unobserveQueue: (() => void) | undefined;
  /** Every delivery goes through the outbound client (destination policy, timeouts, response cap). */
  readonly client: OutboundClient;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    readonly key: DataKey,
    readonly policy: RetryPolicy,
    private readonly options: { workers: number; enabled: boolean; now: () => Date; outbound: OutboundOptions; jobsSchema: string },
  ) {
    this.client = new OutboundClient(options.outbound);
  }

  get queue(): JobQueue {
    if (!this.started) throw new Error('webhooks are not started in this process');
    return this.started;
  }

  async start(settler: CommitSettler): Promise<void> {
    const queue = await JobQueue.open(this.pool, this.log, {
      workers: this.options.enabled,
      schema: this.options.jobsSchema,
      queues: [{ name: WEBHOOK_DEAD_LETTERS }, { name: WEBHOOK_QUEUE, deadLetter: WEBHOOK_DEAD_LETTERS }],
    });
    this.started = queue;
    this.unobserveQueue = observeWebhookQueue(() => queue.boss.getQueueSize(WEBHOOK_QUEUE));
    settler.onSettled(async (sql, schema, events) => {
      const created = await dispatchWebhooks(sql, queue, schema, events, this.policy);
      // Wake this process's workers once the deliveries are committed, instead of at their next poll.
      return created > 0 && this.options.enabled ? () => this.wakeWorkers() : undefined;
    });
    if (!this.options.enabled) return;
    const sender = {
      pool: this.pool, client: this.client, key: this.key, policy: this.policy, queue, now: this.options.now,
      settle: (schema: string) => settler.wake(schema),
    };
    for (let i = 0; i < this.options.workers; i += 1) {
      this.workerIds.push(await queue.boss.work<DeliveryJob>(WEBHOOK_QUEUE, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: 0.5 }, observedJob(WEBHOOK_QUEUE, async ([job]) => {
        try {
          await takeTurn(sender, job!.data);
        } catch (error) {
          this.log.warn({ err: error, job: job!.data }, 'webhook turn failed; the job queue retries it');
          throw error;
        }
      })));
    }
    this.workerIds.push(await queue.boss.work<DeliveryJob>(WEBHOOK_DEAD_LETTERS, { batchSize: 10, pollingIntervalSeconds: 2 }, observedJob(WEBHOOK_DEAD_LETTERS, async (jobs) => {
      for (const job of jobs) {
        if ('endpointId' in job.data) this.log.warn({ job: job.data }, 'webhook wake-up out of retries; the endpoint waits for its next event or enable');
        await markDead(this.pool, job.data, this.options.now());
      }
    })));
  }

  private wakeWorkers(): void {
    for (const id of this.workerIds) this.started?.boss.notifyWorker(id);
  }

  private stopping: Promise<void> | undefined;

  /**
   * Stops taking jobs and waits for deliveries in flight, which end within their total timeout, so none touches
   * the pool after the process closes it. Called by the gateway's drain and again by the runtime's close: the
   * second call waits for the first.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.unobserveQueue?.();
      await this.started?.stop(this.policy.timeoutMs + 2_000);
      await this.client.close();
    })();
    return this.stopping;
  }
}
