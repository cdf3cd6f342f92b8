// One execution per event for every subscriber that asked the same thing in the same scope. graphql-ws would run a
// subscription's document once per subscriber and event; here subscribers whose (document, variables, scope) are
// equal share one group: one source stream from the outbox feed, one execution of the document per event, and the
// same result object handed to each member (docs/events.md, "How subscriptions are shared").
//
// The key is derived conservatively: only the `events` subscription without an `after` cursor is shared (a
// subscriber that resumes from a cursor runs alone, exactly as before), and the scope part of the key holds
// everything about the caller that can change what they see: tenant, partner (id and kind), roles, the tenants the
// token names and its client. When anything is unknown, there is no key and the operation runs alone.
//
// Delivery: graphql-ws would take each member's result, build its `next` message and JSON.stringify it, once per
// subscriber, through a chain of promises per socket. When the gateway names a member's socket and subscription id
// (`sinkOf`), the group serializes the event's `next` payload once (`payloadOf`, what graphql-ws's onNext gives)
// and writes each member the very frame graphql-ws would have sent — `{"id":…,"type":"next","payload":…}` — with
// only the id spliced in, straight to its socket, a chunk of members per turn of the event loop. graphql-ws still
// owns the subscription: it starts it, completes it, and sends the error frame when a member ends with one; a member
// writes nothing before graphql-ws has started iterating it, so no `next` precedes the subscription's registration.
import { createHash } from 'node:crypto';
import {
  Kind, createSourceEventStream, execute, getOperationAST, print, subscribe,
  type DocumentNode, type ExecutionArgs, type ExecutionResult, type ValueNode,
} from 'graphql';
import { AppError } from '../errors.js';
import type { FeedEvent } from '../events/outboxFeed.js';
import { markDelivery } from '../events/deliveryTrace.js';
import type { GraphContext } from './context.js';

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` give the same text. */
function canonical(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

function isNull(node: ValueNode, variables: Record<string, unknown>): boolean {
  if (node.kind === Kind.NULL) return true;
  if (node.kind === Kind.VARIABLE) return variables[node.name.value] === null || variables[node.name.value] === undefined;
  return false;
}

/** A document's text as printed, once per document: subscribers with the same text share one parsed document. */
const printed = new WeakMap<DocumentNode, string>();
function printedOnce(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/**
 * The group an operation may share, or undefined when it must run alone. Two operations get the same key only when
 * their printed document, operation name, variables, tenant, partner, roles, token tenants and client are equal.
 */
export function sharingKey(args: Pick<ExecutionArgs, 'document' | 'operationName' | 'variableValues' | 'contextValue'>): string | undefined {
  const context = args.contextValue as GraphContext | undefined;
  const principal = context?.principal;
  if (!context || !principal || !context.tenant) return undefined;
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation || operation.operation !== 'subscription') return undefined;
  const [root, ...more] = operation.selectionSet.selections;
  // Exactly one plain `events` field at the root (no fragment, no directive): anything else runs alone.
  if (!root || more.length > 0 || root.kind !== Kind.FIELD || root.name.value !== 'events' || (root.directives?.length ?? 0) > 0) return undefined;
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  // A resuming subscriber reads its own past from the table: it never shares.
  const after = root.arguments?.find((argument) => argument.name.value === 'after');
  if (after && !isNull(after.value, variables)) return undefined;
  const scope = {
    tenant: context.tenant.schemaName,
    partner: principal.partner ? { id: principal.partner.id, kind: principal.partner.kind } : null,
    roles: [...principal.roles].sort(),
    tenants: [...principal.tenants].sort(),
    clientId: principal.clientId,
  };
  return createHash('sha256')
    .update(canonical([printedOnce(args.document), args.operationName ?? null, variables, scope]))
    .digest('hex');
}

/** One event of a group: its result, and the tail of its `next` frame once serialized (for every member alike). */
interface Delivery { seq: number; result: ExecutionResult; frameTail?: string }

/** The WebSocket (ws) a member's frames are written to: only what the fanout uses. */
export interface FrameSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string, options: { binary: boolean; compress: boolean; fin: boolean }): void;
}

/** Where a member's frames go: its socket, and the id its client gave the subscription. */
export interface FrameSink { socket: FrameSocket; id: string }

const OPEN = 1;
// A text frame, whole, never compressed (the gateway's WebSocket server has per-message deflate off anyway).
const SEND_OPTIONS = { binary: false, compress: false, fin: true } as const;

/** One subscriber of a group: its own start, its own queue and bound, ended on its own. */
class Member implements AsyncIterableIterator<ExecutionResult> {
  private readonly waiting: Delivery[] = [];
  private readonly queue: Delivery[] = [];
  private start: number | undefined;
  private delivered = 0;
  private wake: (() => void) | undefined;
  private failure: unknown;
  private ended = false;
  /** Written to directly: whether graphql-ws has started iterating (before that, events wait). */
  private pulled = false;
  private readonly idJson: string | undefined;

  constructor(
    private readonly maxQueue: number,
    private readonly leave: (member: Member) => void,
    private readonly sink: FrameSink | undefined,
    private readonly maxBufferedBytes: number,
    /** The tail of an event's `next` frame, serialized once per event for the whole group. */
    private readonly frameTail: (delivery: Delivery) => string,
  ) {
    this.idJson = sink ? JSON.stringify(sink.id) : undefined;
  }

  /** Whether it has its starting point: until then it has joined but counts no event as its own. */
  get begun(): boolean {
    return this.start !== undefined;
  }

  /** From here on it receives events after `cursor`; what arrived meanwhile and is newer is kept. */
  begin(cursor: number): void {
    this.start = cursor;
    this.delivered = cursor;
    if (!this.sink || this.pulled) for (const delivery of this.waiting.splice(0)) this.offer(delivery);
  }

  /** Hands it an event; true when that wrote a frame to its socket. */
  offer(delivery: Delivery): boolean {
    if (this.ended) return false;
    if (this.start === undefined || (this.sink && !this.pulled)) {
      this.waiting.push(delivery);
      return false;
    }
    if (delivery.seq <= this.start) return false;
    if (this.sink) return this.write(this.sink, delivery);
    if (this.queue.length >= this.maxQueue) {
      this.fail(slowConsumer(this.delivered));
      return false;
    }
    this.queue.push(delivery);
    this.wake?.();
    return false;
  }

  private write(sink: FrameSink, delivery: Delivery): boolean {
    // A closing socket: graphql-ws ends the subscription with it.
    if (sink.socket.readyState !== OPEN) return false;
    // What its socket has not yet handed to the kernel is its queue: too much, and it resumes from its cursor.
    if (sink.socket.bufferedAmount > this.maxBufferedBytes) {
      this.fail(slowConsumer(this.delivered));
      return false;
    }
    sink.socket.send(`{"id":${this.idJson}${this.frameTail(delivery)}`, SEND_OPTIONS);
    this.delivered = delivery.seq;
    return true;
  }

  fail(error: unknown): void {
    if (this.ended) return;
    // A shared stream that fell behind names where THIS subscriber resumes: after what it last received. So does
    // any other ending that says where to resume (a tenant suspended or moved): never past an event it has not had.
    const resumeAfter = error instanceof AppError ? error.details['resumeAfter'] : undefined;
    this.failure = error instanceof AppError && error.details.reason === 'SLOW_CONSUMER' ? slowConsumer(this.delivered)
      : error instanceof AppError && typeof resumeAfter === 'string'
        ? new AppError(error.code, error.message, { ...error.details, resumeAfter: String(Math.min(Number(resumeAfter), this.delivered)) })
        : error;
    this.finish();
  }

  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.waiting.length = 0;
    this.leave(this);
    this.wake?.();
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.sink && !this.pulled) {
      // graphql-ws holds the subscription now: what arrived meanwhile goes out, then events as they come.
      this.pulled = true;
      if (this.start !== undefined) for (const delivery of this.waiting.splice(0)) this.offer(delivery);
    }
    while (true) {
      const delivery = this.queue.shift();
      if (delivery) {
        this.delivered = delivery.seq;
        return { value: delivery.result, done: false };
      }
      if (this.failure !== undefined) {
        const failure = this.failure;
        this.failure = undefined;
        throw failure;
      }
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  // Completing a subscription or closing its socket leaves the group at once, even while waiting for an event.
  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.failure = undefined;
    this.finish();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

function slowConsumer(lastSeq: number): AppError {
  return new AppError('RATE_LIMITED', `subscriber fell too far behind; resume after ${lastSeq}`, { reason: 'SLOW_CONSUMER', resumeAfter: String(lastSeq) });
}

interface Group {
  key: string;
  members: Set<Member>;
  executions: number;
  source: AsyncIterator<unknown> | undefined;
  closed: boolean;
  /** Settles once the source stream exists: undefined, or the refusal every member gets. */
  ready: Promise<ExecutionResult | undefined>;
  /** The first member's arguments, as graphql-ws gave them: what the payload of every member's frame is built with. */
  args: ExecutionArgs;
  /** Aborted when the group closes: its source's place in the outbox feed is freed then (events.ts passes it on). */
  ending: AbortController;
}

export interface GroupStats { key: string; members: number; executions: number }

export interface FanoutOptions {
  /** Events a member that graphql-ws serializes may fall behind before SLOW_CONSUMER. */
  maxQueue: number;
  /** A member's socket and subscription id, when its frames may be written directly; undefined: through graphql-ws. */
  sinkOf?: (args: ExecutionArgs) => FrameSink | undefined;
  /** The `next` message's payload for a result, as graphql-ws's onNext would give it; the result itself if absent. */
  payloadOf?: (args: ExecutionArgs, result: ExecutionResult) => unknown;
  /** Bytes a directly written member's socket may hold unsent before SLOW_CONSUMER (default 256 KiB). */
  maxBufferedBytes?: number;
  /** Members written per turn of the event loop, so that other sockets and requests are served meanwhile (256). */
  chunk?: number;
}

/** graphql-ws's `subscribe`, sharing what may be shared (sharingKey) and running the rest as graphql does. */
export class SubscriptionFanout {
  private readonly groups = new Map<string, Group>();
  /** Executions of shared documents since start: one per event per group. */
  executions = 0;
  /** `next` payloads serialized for directly written members since start: at most one per event per group. */
  serializations = 0;

  constructor(private readonly options: FanoutOptions) {}

  /**
   * The live groups, for tests and operators: how many share each, and how often its document ran. A member counts
   * from when it has its starting point (the newest event when it subscribed), so an event committed after a
   * group is shown here reaches every member it shows; a group whose first member has none yet is not shown.
   */
  stats(): GroupStats[] {
    return [...this.groups.values()]
      .map((group) => ({ key: group.key, members: [...group.members].filter((member) => member.begun).length, executions: group.executions }))
      .filter((group) => group.members > 0);
  }

  subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const key = sharingKey(args);
    if (key === undefined) return subscribe(args);
    const context = args.contextValue as GraphContext;
    const schemaName = context.tenant!.schemaName;
    const feed = context.runtime.feed;
    const existing = this.groups.get(key);
    if (existing) {
      const member = this.join(existing, args);
      try {
        // A group refused before its first event refuses everyone who asked the same, in the same scope.
        const refusal = await existing.ready;
        if (refusal) {
          member.finish();
          return refusal;
        }
        // Only new events, as for a subscriber of its own: those after the newest committed one now.
        member.begin(await feed.currentCursor(schemaName));
      } catch (error) {
        member.finish();
        throw error;
      }
      return member;
    }
    let settle!: (refusal: ExecutionResult | undefined) => void;
    let broke!: (error: unknown) => void;
    const ready = new Promise<ExecutionResult | undefined>((resolve, reject) => {
      settle = resolve;
      broke = reject;
    });
    const group: Group = { key, members: new Set(), executions: 0, source: undefined, closed: false, ready, args, ending: new AbortController() };
    group.ready.catch(() => undefined);
    this.groups.set(key, group);
    const member = this.join(group, args);
    try {
      const start = await feed.currentCursor(schemaName);
      // The group's stream starts where its first member does (events.ts reads subscriptionStart), and lives as long
      // as the group, not as its first member.
      const shared = Object.create(context, { subscriptionStart: { value: start }, signal: { value: group.ending.signal } }) as GraphContext;
      const sharedArgs: ExecutionArgs = { ...args, contextValue: shared };
      const source = await createSourceEventStream(sharedArgs);
      if (!isAsyncIterator(source)) {
        // Refused before any event (a bad argument, no capability): the refusal is the answer.
        settle(source as ExecutionResult);
        this.close(group);
        return source as ExecutionResult;
      }
      group.source = source;
      member.begin(start);
      settle(undefined);
      void this.run(group, source, sharedArgs);
    } catch (error) {
      broke(error);
      this.close(group);
      throw error;
    }
    return member;
  };

  private join(group: Group, args: ExecutionArgs): Member {
    const member = new Member(this.options.maxQueue, (gone) => {
      group.members.delete(gone);
      if (group.members.size === 0) this.close(group);
    }, this.options.sinkOf?.(args), this.options.maxBufferedBytes ?? 256 * 1024, (delivery) => this.frameTail(group, delivery));
    group.members.add(member);
    return member;
  }

  /** `,"type":"next","payload":…}`: what follows the id in every member's frame, serialized once per event. */
  private frameTail(group: Group, delivery: Delivery): string {
    if (delivery.frameTail === undefined) {
      // The first member's own arguments: its cost and log are every member's (same document, variables, scope).
      const payload = this.options.payloadOf ? this.options.payloadOf(group.args, delivery.result) : delivery.result;
      delivery.frameTail = `,"type":"next","payload":${JSON.stringify(payload)}}`;
      this.serializations += 1;
    }
    return delivery.frameTail;
  }

  /** Offers an event to every member, yielding to the event loop after each chunk of frames written. */
  private async deliver(group: Group, delivery: Delivery): Promise<void> {
    const chunk = this.options.chunk ?? 256;
    let written = 0;
    // A Set's iterator visits members that join meanwhile and skips those that leave.
    for (const member of group.members) {
      if (member.offer(delivery) && ++written % chunk === 0) await new Promise((resolve) => setImmediate(resolve));
      if (group.closed) return;
    }
  }

  private close(group: Group): void {
    if (group.closed) return;
    group.closed = true;
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
    for (const member of group.members) member.finish();
    // The source's own `return` waits for an event that passes its filter, which may never come.
    group.ending.abort();
    void group.source?.return?.().catch(() => undefined);
  }

  private async run(group: Group, source: AsyncIterator<unknown>, args: ExecutionArgs): Promise<void> {
    try {
      while (!group.closed) {
        const step = await source.next();
        if (step.done || group.closed) break;
        const event = step.value as FeedEvent;
        // Once per event for the whole group: the same result object goes to every member.
        const result = await execute({ ...args, rootValue: event });
        group.executions += 1;
        this.executions += 1;
        markDelivery('executed', { seq: event.seq, members: group.members.size });
        // The whole group has the event before the next one is taken: each member's frames stay in order.
        await this.deliver(group, { seq: event.seq, result });
        markDelivery('framesWritten', { seq: event.seq, members: group.members.size });
      }
    } catch (error) {
      for (const member of [...group.members]) member.fail(error);
    } finally {
      this.close(group);
    }
  }
}

function isAsyncIterator(value: unknown): value is AsyncIterator<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { next?: unknown }).next === 'function'
    && Symbol.asyncIterator in value;
}
