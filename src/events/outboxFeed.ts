// Live delivery of committed outbox events to subscribers in this process, whichever process committed them.
// Two small wake-ups (the tenant's schema, never the event: payloads stay far below PostgreSQL's 8000-byte
// limit), each delivered only on commit: a command's commit says "settle me" (COMMIT_CHANNEL, handed to the
// CommitSettler), and a settle pass that numbered events says "read me" (OUTBOX_CHANNEL). Each process holds one
// LISTEN connection for both on every database tenants are placed on (src/events/databaseListener.ts), fetches new rows once per wake-up per schema into a short ring, and hands them to
// its subscribers. A
// subscriber resumes from a cursor (the event's seq): it first reads what it missed from the table, a page at a
// time as it takes them, then follows live events, in order, skipping any it has already had. A subscriber that
// falls more than `maxQueue` events behind (a slow reader, or a commit of more events than that) drops what it
// had queued and reads the table again from the last event it took, so memory stays bounded, nobody waits for it
// and it misses nothing. A periodic sweep covers lost wake-ups (e.g. the LISTEN connection was being re-established).
//
// Losing the database does not end subscriptions: subscribers keep their sockets and simply receive nothing
// while it is gone; the LISTEN connection is re-established with backoff, and what committed meanwhile is read
// from the table by cursor, so a subscriber sees every event once, in order (docs/operations.md).
import type { Logger } from '../log.js';
import { poolSql } from '../tenancy/tenantSql.js';
import { driverError } from '../tenancy/database.js';
import type { Databases } from '../tenancy/placement.js';
import { DatabaseListener } from './databaseListener.js';
import { SUBSCRIBES_SQL, subscribesTo } from './webhooks/subscriptions.js';
import { EVERY_PARTNER } from './catalogue.js';
import { markDelivery } from './deliveryTrace.js';
import { eventDeliveryLag } from '../observability/metrics.js';

/** Sent by settle_commits() (SQL) when it numbered events. */
export const OUTBOX_CHANNEL = 'lendgraph_outbox';
/** Sent by every command that recorded events or an audit record. */
export const COMMIT_CHANNEL = 'lendgraph_commit';

export interface FeedEvent {
  seq: number;
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  tenant: string;
  partnerScope: string | null;
  occurredAt: Date;
  schemaVersion: number;
  payload: unknown;
}

export interface FeedFilter {
  aggregateType?: string;
  aggregateId?: string;
  /** Partner principals see only events that concern them (their own, and those for every partner). */
  partner?: string;
  /** Only these types: exact, a prefix such as `application.*`, or `*` (as webhook endpoints name them). */
  types?: readonly string[];
  /** Events about these aggregates are not the principal's to see (a collector's stream leaves out every case). */
  hiddenAggregates?: readonly string[];
}

/**
 * The feed stopped because the process is shutting down. Its sockets were closed first (1001, "going away"), so a
 * client reconnects and resumes from its last cursor; the stream just ends here, nothing went wrong.
 */
export class FeedStoppedError extends Error {
  constructor() {
    super('server shutting down');
    this.name = 'FeedStoppedError';
  }
}

const RING = 2_000;
/** Events read from the table at a time by a subscriber catching up. */
const CATCH_UP_PAGE = 500;

export interface OutboxRow {
  seq: string; id: string; type: string; aggregate_type: string; aggregate_id: string; tenant: string;
  partner_scope: string | null; occurred_at: Date; schema_version: number; payload: unknown;
}

export function toEvent(row: OutboxRow): FeedEvent {
  return {
    seq: Number(row.seq), id: row.id, type: row.type, aggregateType: row.aggregate_type, aggregateId: row.aggregate_id,
    tenant: row.tenant, partnerScope: row.partner_scope, occurredAt: row.occurred_at, schemaVersion: row.schema_version, payload: row.payload,
  };
}

// One filter, two forms: `matches` for live events in memory, `filterSql` for reading the table (catch-up and
// the events query); a filter means the same in both.
function matches(event: FeedEvent, filter: FeedFilter): boolean {
  return (!filter.aggregateType || event.aggregateType === filter.aggregateType)
    && (!filter.aggregateId || event.aggregateId === filter.aggregateId)
    && (!filter.partner || event.partnerScope === filter.partner || event.partnerScope === EVERY_PARTNER)
    && (!filter.types || subscribesTo(filter.types, event.type))
    && (!filter.hiddenAggregates || !filter.hiddenAggregates.includes(event.aggregateType));
}

/** The filter as SQL conditions on outbox_event, its values appended to `params`. */
function filterSql(filter: FeedFilter, params: unknown[]): string {
  const conditions: string[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  if (filter.aggregateType) conditions.push(`aggregate_type = ${param(filter.aggregateType)}`);
  if (filter.aggregateId) conditions.push(`aggregate_id = ${param(filter.aggregateId)}`);
  // A partner's own events, and those every partner receives (the catalogue's `everyPartner` audience).
  if (filter.partner) conditions.push(`partner_scope IN (${param(filter.partner)}, ${param(EVERY_PARTNER)})`);
  if (filter.types) conditions.push(SUBSCRIBES_SQL(`${param(filter.types)}::text[]`, 'type'));
  if (filter.hiddenAggregates) conditions.push(`aggregate_type <> ALL (${param(filter.hiddenAggregates)}::text[])`);
  return conditions.map((c) => ` AND ${c}`).join('');
}

// The feed's reads of the table, each of settled events only (a number above a cursor), which the outbox's number
// and aggregate indexes hold (test/events/outboxIndexes.test.ts plans each of them).
/** The newest settled event's number. */
export const latestSeqSql = (s: string) => `SELECT max(seq) AS max FROM ${s}.outbox_event`;
/** Settled events after cursor $1, at most $2. */
export const afterCursorSql = (s: string) => `SELECT * FROM ${s}.outbox_event WHERE seq > $1 ORDER BY seq LIMIT $2`;
/** A page of settled events matching `filter`, with its values. */
export function pageSql(filter: FeedFilter, request: PageRequest): { text: (s: string) => string; params: unknown[] } {
  const params: unknown[] = [request.after ?? 0, request.before ?? null, request.limit];
  const conditions = filterSql(filter, params);
  return {
    text: (s) => `SELECT * FROM ${s}.outbox_event
      WHERE seq > $1 AND ($2::bigint IS NULL OR seq < $2)${conditions}
      ORDER BY seq ${request.newestFirst ? 'DESC' : 'ASC'} LIMIT $3`,
    params,
  };
}

/** A page of settled events between two cursors (both exclusive), oldest first unless `newestFirst`. */
export interface PageRequest {
  after?: number;
  before?: number;
  limit: number;
  newestFirst: boolean;
}

class Subscriber {
  private readonly queue: FeedEvent[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  ended = false;
  /**
   * It fell more than `maxQueue` events behind live delivery (a slow reader, or one commit of more events than that):
   * its queue was dropped and `cursor` moved back to the last event it was given, and it reads the table again from
   * there, at its own pace, before it joins live delivery again. So memory stays bounded and nobody waits for it.
   */
  behind = false;

  /** `cursor`: every event up to it has been queued for this subscriber, given to it, or was not for it. */
  constructor(public cursor: number, readonly filter: FeedFilter, private readonly maxQueue: number) {}

  /** Whether the event is new to it and passes its filter; the cursor moves past it either way. */
  takes(event: FeedEvent): boolean {
    if (event.seq <= this.cursor) return false;
    this.cursor = event.seq;
    return matches(event, this.filter);
  }

  /** Whether the event was queued for this subscriber (it is new to it and passes its filter). */
  offer(event: FeedEvent): boolean {
    if (this.ended || this.behind || event.seq <= this.cursor) return false;
    const first = this.queue[0]?.seq ?? event.seq;
    if (!this.takes(event)) return false;
    if (this.queue.length >= this.maxQueue) {
      this.behind = true;
      this.cursor = first - 1;
      this.queue.length = 0;
      this.wake?.();
      return false;
    }
    this.queue.push(event);
    this.wake?.();
    return true;
  }

  /** Its consumer is gone: it takes nothing more, and a wait for its next event ends now. */
  end(): void {
    this.ended = true;
    this.behind = false;
    this.queue.length = 0;
    this.wake?.();
  }

  fail(error: Error): void {
    this.failure = error;
    this.ended = true;
    this.queue.length = 0;
    this.wake?.();
  }

  /** Rejoins live delivery after reading the table: nothing queued, the cursor where the reading left it. */
  rejoin(): void {
    this.behind = false;
  }

  /** Its queued events as the consumer takes them; returns 'behind' when it fell behind and must read the table. */
  async *events(): AsyncGenerator<FeedEvent, 'behind' | undefined> {
    while (true) {
      if (this.behind) return 'behind';
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** Hands a live event to a tail's subscribers; its lag from commit is measured once, when any of them takes it. */
function handOver(tail: Tail, event: FeedEvent): void {
  let taken = false;
  for (const subscriber of tail.subscribers) if (subscriber.offer(event)) taken = true;
  if (taken) eventDeliveryLag.observe({ to: 'subscribers' }, Math.max(0, Date.now() - event.occurredAt.getTime()) / 1000);
}

interface Tail {
  highWater: number;
  ring: FeedEvent[];
  subscribers: Set<Subscriber>;
  fetching: Promise<void> | undefined;
  again: boolean;
  /** The last fetch failed: logged once per outage, not once per sweep. */
  failing: boolean;
}

export class OutboxFeed {
  private listeners: DatabaseListener[] = [];
  private readonly tails = new Map<string, Tail>();
  /** Set once stop() is called: a subscriber joining after ends at once (FeedStoppedError). */
  private stopped = false;
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly databases: Databases,
    private readonly log: Logger,
    private readonly options: { maxQueue: number; sweepMs: number } = { maxQueue: 1_000, sweepMs: 2_000 },
    /** Where a command's "settle me" wake-up goes. */
    private readonly onCommit: (schema: string) => void = () => {},
    /** Called when LISTEN is re-established after a loss: wake-ups sent meanwhile were missed. */
    private readonly onRelistened: () => void = () => {},
  ) {}

  async start(): Promise<void> {
    // One LISTEN per database tenants live on: a NOTIFY is heard only on the database that sent it.
    this.listeners = this.databases.list().map((database) => new DatabaseListener(database.url, [OUTBOX_CHANNEL, COMMIT_CHANNEL], this.log, {
      notification: (channel, payload) => {
        if (channel === COMMIT_CHANNEL) {
          markDelivery('commitHeard', { schema: payload });
          this.onCommit(payload);
        } else if (this.tails.has(payload)) {
          markDelivery('outboxHeard', { schema: payload });
          void this.refresh(payload);
        }
      },
      relistened: () => {
        // Settle and read what may have committed while nobody listened.
        this.onRelistened();
        for (const schema of this.tails.keys()) void this.refresh(schema);
      },
    }, database.name, database.connectTimeoutMs));
    // The platform's database must answer to start; another that does not yet is listened on once it does (its
    // tenants' events are read from the table meanwhile by the sweep below), so one database down does not keep
    // every replica from starting.
    const [main, ...others] = this.listeners;
    try {
      await main!.listen();
    } catch (error) {
      await Promise.all(this.listeners.map((listener) => listener.stop()));
      throw error;
    }
    for (const listener of others) void listener.listenOrRetry();
    this.sweep = setInterval(() => {
      for (const schema of this.tails.keys()) void this.refresh(schema);
    }, this.options.sweepMs);
    this.sweep.unref();
  }

  private async sqlFor(schema: string) {
    return poolSql(await this.databases.poolForSchema(schema), schema);
  }

  /**
   * Events of one tenant schema after `after` (exclusive), then live ones, until the consumer stops or `until` is
   * aborted. Aborting ends it at once: returning a generator that waits for its next event would take effect only
   * once an event passed its filter, and until then its subscriber stays in every hand-over of the tenant's events.
   */
  async *subscribe(schema: string, after: number, filter: FeedFilter, until?: AbortSignal): AsyncGenerator<FeedEvent> {
    if (this.stopped) throw new FeedStoppedError();
    const tail = await this.tailFor(schema);
    if (until?.aborted) return;
    const subscriber = new Subscriber(after, filter, this.options.maxQueue);
    const end = () => {
      tail.subscribers.delete(subscriber);
      subscriber.end();
    };
    until?.addEventListener('abort', end, { once: true });
    try {
      for (;;) {
        // Catch up, each event as the consumer takes it: from the table a page at a time while the ring does not
        // reach back to the cursor, then from the ring, until it has everything this process has read; then join
        // live delivery in the same turn, so there is no gap and no duplicate.
        while (!subscriber.ended && subscriber.cursor < tail.highWater) {
          const covered = (tail.ring[0]?.seq ?? Infinity) <= subscriber.cursor + 1;
          const events = covered ? tail.ring.filter((event) => event.seq > subscriber.cursor) : await this.read(schema, subscriber.cursor, CATCH_UP_PAGE);
          if (events.length === 0) break;
          for (const event of events) {
            // Stopped while it caught up: it would wait for events that never come, so it ends as those stopped did.
            if (this.stopped) throw new FeedStoppedError();
            if (subscriber.takes(event)) yield event;
          }
        }
        if (this.stopped) throw new FeedStoppedError();
        if (subscriber.ended) return;
        subscriber.rejoin();
        for (const event of tail.ring) subscriber.offer(event);
        tail.subscribers.add(subscriber);
        // Live until it ends, or falls behind and goes back to the table from where it was.
        if ((yield* subscriber.events()) !== 'behind') return;
        tail.subscribers.delete(subscriber);
      }
    } finally {
      until?.removeEventListener('abort', end);
      tail.subscribers.delete(subscriber);
    }
  }

  /**
   * How many subscribers follow a tenant's live events in this process: each is offered every event of that tenant
   * (those still catching up from the table are not counted).
   */
  liveSubscribers(schema: string): number {
    return this.tails.get(schema)?.subscribers.size ?? 0;
  }

  /** The newest committed event's cursor: where a subscriber that wants only new events starts. */
  async currentCursor(schema: string): Promise<number> {
    const { rows } = await (await this.sqlFor(schema)).query<{ max: string | null }>(latestSeqSql);
    return Number(rows[0]?.max ?? 0);
  }

  /** Settled events matching `filter` a page at a time, by cursor: what a polling client reads. */
  async page(schema: string, filter: FeedFilter, request: PageRequest): Promise<FeedEvent[]> {
    const { text, params } = pageSql(filter, request);
    const { rows } = await (await this.sqlFor(schema)).query<OutboxRow>(text, params);
    return rows.map(toEvent);
  }

  private async tailFor(schema: string): Promise<Tail> {
    let tail = this.tails.get(schema);
    if (!tail) {
      const highWater = await this.currentCursor(schema);
      tail = this.tails.get(schema) ?? { highWater, ring: [], subscribers: new Set(), fetching: undefined, again: false, failing: false };
      this.tails.set(schema, tail);
    }
    return tail;
  }

  private async read(schema: string, after: number, limit: number): Promise<FeedEvent[]> {
    const { rows } = await (await this.sqlFor(schema)).query<OutboxRow>(afterCursorSql, [after, limit]);
    return rows.map(toEvent);
  }

  /**
   * Events this process's own settle pass just numbered, once its transaction has committed (CommitSettler's
   * onSettled): handed to subscribers at once, without waiting for the "read me" wake-up and reading them back.
   * Only when they follow exactly what this process already has; anything else (another process settled some in
   * between, a fetch is running) reads the table as a wake-up would, so no event is skipped or repeated.
   */
  accept(schema: string, events: readonly FeedEvent[]): void {
    const tail = this.tails.get(schema);
    if (!tail || events.length === 0) return;
    const ordered = [...events].sort((a, b) => a.seq - b.seq);
    const follows = ordered.every((event, i) => event.seq === tail.highWater + 1 + i);
    if (tail.fetching || !follows) {
      void this.refresh(schema);
      return;
    }
    markDelivery('outboxRead', { schema, seq: ordered.at(-1)!.seq });
    for (const event of ordered) {
      tail.highWater = event.seq;
      tail.ring.push(event);
      handOver(tail, event);
    }
    if (tail.ring.length > RING) tail.ring.splice(0, tail.ring.length - RING);
  }

  /** Fetches what is new for a schema once, however many wake-ups arrive meanwhile. */
  private refresh(schema: string): Promise<void> {
    const tail = this.tails.get(schema);
    if (!tail) return Promise.resolve();
    if (tail.fetching) {
      tail.again = true;
      return tail.fetching;
    }
    tail.fetching = (async () => {
      try {
        do {
          tail.again = false;
          let rows: FeedEvent[];
          do {
            rows = await this.read(schema, tail.highWater, 500);
            if (rows.length > 0) markDelivery('outboxRead', { schema, seq: rows.at(-1)!.seq });
            for (const event of rows) {
              tail.highWater = event.seq;
              tail.ring.push(event);
              handOver(tail, event);
            }
            if (tail.ring.length > RING) tail.ring.splice(0, tail.ring.length - RING);
          } while (rows.length === 500);
        } while (tail.again);
        if (tail.failing) this.log.info({ schema, highWater: tail.highWater }, 'outbox reads resumed');
        tail.failing = false;
      } catch (error) {
        if (!tail.failing) this.log.warn({ err: error instanceof Error ? driverError(error) : { message: String(error) }, schema }, 'outbox fetch failed; the sweep will retry');
        tail.failing = true;
      } finally {
        tail.fetching = undefined;
      }
    })();
    return tail.fetching;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweep);
    for (const tail of this.tails.values()) for (const subscriber of tail.subscribers) subscriber.fail(new FeedStoppedError());
    await Promise.all(this.listeners.map((listener) => listener.stop()));
  }
}
