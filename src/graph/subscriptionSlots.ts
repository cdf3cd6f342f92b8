// How many live subscriptions one WebSocket connection, and one principal over all its connections, may hold on
// this gateway process. Each holds memory and a place in every fan-out of its tenant's events for as long as it
// lives, and the request budget refills every minute: unbounded, one caller's subscriptions would grow the process's
// memory until it ran out, and with them the time each event of its tenant takes to reach every subscriber. A
// subscription takes a slot of both counts when it is subscribed and gives it back once, whichever way it ends:
// completed by the client, ended by the server, failed, refused after the slot was taken, or its socket closed;
// what it held is freed then too (the slot's signal). Counted in this process's memory, as the request budgets are:
// behind N replicas a principal may hold N times its bound.
import { AppError } from '../errors.js';
import { principalKey } from '../rateLimits.js';
import type { Principal } from '../authz/principal.js';

export interface SubscriptionCaps {
  /** MAX_SUBSCRIPTIONS_PER_CONNECTION. */
  perConnection: number;
  /** MAX_SUBSCRIPTIONS_PER_PRINCIPAL. */
  perPrincipal: number;
}

/** One subscription's place in its connection's and its principal's counts. */
export interface SubscriptionSlot {
  /** Gives the place back; only the first call counts. */
  release(): void;
  /**
   * Aborted when the place is given back: the subscription is over, and what it holds beneath its stream (its
   * place in the outbox feed) is freed then, not when a generator waiting for an event that may never come wakes.
   */
  readonly signal: AbortSignal;
}

// A subscription on a closed connection is over before it starts.
const NOTHING_HELD: SubscriptionSlot = { release() {}, signal: AbortSignal.abort() };

class Slot implements SubscriptionSlot {
  private readonly ending = new AbortController();
  readonly signal = this.ending.signal;

  constructor(private readonly giveBack: (slot: Slot) => void) {}

  release(): void {
    if (this.ending.signal.aborted) return;
    this.ending.abort();
    this.giveBack(this);
  }
}

/** One connection's slots: taken one subscription at a time, all given back when the socket closes. */
export class ConnectionSlots {
  private readonly held = new Set<Slot>();
  private closed = false;

  constructor(
    private readonly caps: SubscriptionCaps,
    private readonly principal: { key: string; counts: Map<string, number> },
  ) {}

  /**
   * A slot for a new subscription, or RATE_LIMITED (TOO_MANY_SUBSCRIPTIONS) naming the bound it would pass. On a
   * connection already closed nothing is counted: graphql-ws ends such a subscription as soon as it starts.
   */
  take(): SubscriptionSlot {
    if (this.closed) return NOTHING_HELD;
    const { key, counts } = this.principal;
    const byPrincipal = counts.get(key) ?? 0;
    if (this.held.size >= this.caps.perConnection) {
      throw tooMany(`this connection holds ${this.held.size} live subscriptions, the most one connection may (MAX_SUBSCRIPTIONS_PER_CONNECTION is ${this.caps.perConnection}): complete one before subscribing again`, this.caps.perConnection, 'connection');
    }
    if (byPrincipal >= this.caps.perPrincipal) {
      throw tooMany(`this caller holds ${byPrincipal} live subscriptions on this server over all its connections, the most one caller may (MAX_SUBSCRIPTIONS_PER_PRINCIPAL is ${this.caps.perPrincipal}): complete one before subscribing again`, this.caps.perPrincipal, 'principal');
    }
    const slot = new Slot((gone) => {
      this.held.delete(gone);
      const left = (counts.get(key) ?? 1) - 1;
      // A principal holding nothing is forgotten, so the map is as large as the callers holding subscriptions.
      if (left > 0) counts.set(key, left);
      else counts.delete(key);
    });
    this.held.add(slot);
    counts.set(key, byPrincipal + 1);
    return slot;
  }

  /** The socket closed: every slot it held is given back, and none is taken on it again. */
  close(): void {
    this.closed = true;
    for (const slot of [...this.held]) slot.release();
  }
}

function tooMany(message: string, limit: number, scope: 'connection' | 'principal'): AppError {
  return new AppError('RATE_LIMITED', message, { reason: 'TOO_MANY_SUBSCRIPTIONS', limit, scope });
}

/** The counts of one gateway process. */
export class SubscriptionSlots {
  private readonly byPrincipal = new Map<string, number>();

  constructor(private readonly caps: SubscriptionCaps) {}

  /** The slots of a connection `principal` opened; close them when its socket closes. */
  forConnection(principal: Principal): ConnectionSlots {
    return new ConnectionSlots(this.caps, { key: principalKey(principal), counts: this.byPrincipal });
  }

  /** How many live subscriptions `principal` holds on this process, over all its connections. */
  heldBy(principal: Principal): number {
    return this.byPrincipal.get(principalKey(principal)) ?? 0;
  }
}

/**
 * A subscription's stream that gives its slot back when it ends, fails, or is returned. Returning gives it back at
 * once, before the stream underneath has finished, so the client that completed the subscription may subscribe
 * again at once; the slot's signal, aborted with it, ends that stream's wait for its next event (an async
 * generator's own `return` would wait until an event came).
 */
export class HeldStream<T> implements AsyncIterableIterator<T> {
  constructor(private readonly stream: AsyncIterator<T>, private readonly slot: SubscriptionSlot) {}

  async next(): Promise<IteratorResult<T>> {
    try {
      const step = await this.stream.next();
      if (step.done) this.slot.release();
      return step;
    } catch (error) {
      this.slot.release();
      throw error;
    }
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    this.slot.release();
    return this.stream.return ? this.stream.return(value) : { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.slot.release();
    if (this.stream.throw) return this.stream.throw(error);
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
