// One execution per event for every subscriber that asked the same thing in the same scope. graphql-ws would run a
// subscription's document once per subscriber and event; here subscribers whose (document, variables, scope) are
// equal share one group: one source stream from the outbox feed, one execution of the document per event, and the
// same result object handed to each member (docs/events.md, "How subscriptions are shared").
//
// The key is derived conservatively: only the `events` subscription without an `after` cursor is shared (a
// subscriber that resumes from a cursor runs alone, exactly as before), and the scope part of the key holds
// everything about the caller that can change what they see: tenant, partner (id and kind), roles, the tenants the
// token names and its client. When anything is unknown, there is no key and the operation runs alone.
import { createHash } from 'node:crypto';
import {
  Kind, createSourceEventStream, execute, getOperationAST, print, subscribe,
  type ExecutionArgs, type ExecutionResult, type ValueNode,
} from 'graphql';
import { AppError } from '../errors.js';
import type { FeedEvent } from '../events/outboxFeed.js';
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
    .update(canonical([print(args.document), args.operationName ?? null, variables, scope]))
    .digest('hex');
}

interface Delivery { seq: number; result: ExecutionResult }

/** One subscriber of a group: its own start, its own queue and bound, ended on its own. */
class Member implements AsyncIterableIterator<ExecutionResult> {
  private readonly waiting: Delivery[] = [];
  private readonly queue: Delivery[] = [];
  private start: number | undefined;
  private delivered = 0;
  private wake: (() => void) | undefined;
  private failure: unknown;
  private ended = false;

  constructor(private readonly maxQueue: number, private readonly leave: (member: Member) => void) {}

  /** From here on it receives events after `cursor`; what arrived meanwhile and is newer is kept. */
  begin(cursor: number): void {
    this.start = cursor;
    this.delivered = cursor;
    for (const delivery of this.waiting.splice(0)) this.offer(delivery);
  }

  offer(delivery: Delivery): void {
    if (this.ended) return;
    if (this.start === undefined) {
      this.waiting.push(delivery);
      return;
    }
    if (delivery.seq <= this.start) return;
    if (this.queue.length >= this.maxQueue) {
      this.fail(slowConsumer(this.delivered));
      return;
    }
    this.queue.push(delivery);
    this.wake?.();
  }

  fail(error: unknown): void {
    if (this.ended) return;
    // A shared stream that fell behind names where THIS subscriber resumes: after what it last received.
    this.failure = error instanceof AppError && error.details.reason === 'SLOW_CONSUMER' ? slowConsumer(this.delivered) : error;
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
}

export interface GroupStats { key: string; members: number; executions: number }

export interface FanoutOptions { maxQueue: number }

/** graphql-ws's `subscribe`, sharing what may be shared (sharingKey) and running the rest as graphql does. */
export class SubscriptionFanout {
  private readonly groups = new Map<string, Group>();
  /** Executions of shared documents since start: one per event per group. */
  executions = 0;

  constructor(private readonly options: FanoutOptions) {}

  /** The live groups, for tests and operators: how many share each, and how often its document ran. */
  stats(): GroupStats[] {
    return [...this.groups.values()].map((group) => ({ key: group.key, members: group.members.size, executions: group.executions }));
  }

  subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const key = sharingKey(args);
    if (key === undefined) return subscribe(args);
    const context = args.contextValue as GraphContext;
    const schemaName = context.tenant!.schemaName;
    const feed = context.runtime.feed;
    const existing = this.groups.get(key);
    if (existing) {
      const member = this.join(existing);
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
    const group: Group = { key, members: new Set(), executions: 0, source: undefined, closed: false, ready };
    group.ready.catch(() => undefined);
    this.groups.set(key, group);
    const member = this.join(group);
    try {
      const start = await feed.currentCursor(schemaName);
      // The group's stream starts where its first member does (events.ts reads subscriptionStart).
      const shared = Object.create(context, { subscriptionStart: { value: start } }) as GraphContext;
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

  private join(group: Group): Member {
    const member = new Member(this.options.maxQueue, (gone) => {
      group.members.delete(gone);
      if (group.members.size === 0) this.close(group);
    });
    group.members.add(member);
    return member;
  }

  private close(group: Group): void {
    if (group.closed) return;
    group.closed = true;
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
    for (const member of group.members) member.finish();
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
        const delivery = { seq: event.seq, result };
        for (const member of group.members) member.offer(delivery);
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
