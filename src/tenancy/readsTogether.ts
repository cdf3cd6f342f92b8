// Reads of rows by id that requests served at the same moment ask of the same statement, sent to PostgreSQL as one.
// Under load the gateway reads one loan row per request, and each read costs it more in the round trip (a pooled
// connection, the statement written to the socket, the answer's row description parsed) than in the row
// (docs/performance.md, "Eleventh round: reads of requests served together, in one statement"). The requests whose
// bodies arrived in one turn of the event loop are answered from one statement with all their ids; each is given
// only the rows of the ids it asked for, so nothing one caller reads reaches another, and a row two callers asked
// for is given to each as its own copy (a caller may keep what it decodes in the row it holds). Reads are grouped by
// pool, statement and every value beside the ids (a partner's scope is one of them), so two callers share a
// statement only where each would have run that very statement. A shared statement that fails is tried again for
// each caller alone, so one caller's trouble (or a connection lost) is never another's.
//
// The statement runs in the async context of the caller that asked first (its trace holds the statement's span);
// while tracing, every caller's own trace holds a span for its wait, with how many callers shared the statement.
import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';

/** Captured once: a test that fakes the clock must not stop reads from being sent. */
const afterThisTurn: (run: () => void) => unknown = globalThis.setImmediate.bind(globalThis);

/** The most ids one statement carries; callers past it start the next statement (a page asks at most 100). */
export const MAX_IDS_TOGETHER = 1_000;

interface Waiter<R> {
  ids: readonly string[];
  resolve(rows: R[]): void;
  reject(error: unknown): void;
  span: Span | undefined;
}

interface Gathering<R> {
  ids: Set<string>;
  waiters: Waiter<R>[];
}

/** How a read's rows are told apart and copied: a read answers at most one row per id. */
export interface RowsOf<R> {
  idOf(row: R): string;
  /** A row of its own for another caller that asked for the same id. */
  copy(row: R): R;
}

/**
 * Runs `read` once for every caller that asked under `key` in this turn of the event loop, with the ids all of them
 * asked (no id twice, at most MAX_IDS_TOGETHER), and gives each caller the rows whose id it asked for, no row object
 * given to two callers. `read` answers at most one row per id. `key` must name everything the read depends on but
 * the ids.
 */
export class ReadsTogether {
  readonly #gathering = new Map<string, Gathering<unknown>>();

  read<R>(key: string, ids: readonly string[], read: (ids: string[]) => Promise<R[]>, rowsOf: RowsOf<R>): Promise<R[]> {
    let gathering = this.#gathering.get(key) as Gathering<R> | undefined;
    if (!gathering || gathering.ids.size + ids.length > MAX_IDS_TOGETHER) {
      // A full statement still goes at the end of this turn; this caller starts the next one.
      const started: Gathering<R> = { ids: new Set(), waiters: [] };
      gathering = started;
      this.#gathering.set(key, started as Gathering<unknown>);
      afterThisTurn(() => {
        if (this.#gathering.get(key) === started) this.#gathering.delete(key);
        void send(started, read, rowsOf);
      });
    }
    for (const id of ids) gathering.ids.add(id);
    const joined = gathering;
    // Statements outside any trace make no span (src/observability/sqlSpans.ts); nor does waiting for one.
    const span = trace.getActiveSpan() ? trace.getTracer('lendgraph').startSpan('rows read together', { attributes: { 'lendgraph.ids': ids.length } }) : undefined;
    return new Promise<R[]>((resolve, reject) => joined.waiters.push({ ids, resolve, reject, span }));
  }
}

async function send<R>(gathering: Gathering<R>, read: (ids: string[]) => Promise<R[]>, rowsOf: RowsOf<R>): Promise<void> {
  const { waiters } = gathering;
  for (const waiter of waiters) waiter.span?.setAttribute('lendgraph.callers', waiters.length);
  let rows: R[];
  try {
    rows = await read([...gathering.ids]);
  } catch (error) {
    if (waiters.length === 1) {
      settle(waiters[0]!, error);
      return;
    }
    // Each caller's own ids again, alone: what failed the statement fails only the callers it belongs to.
    await Promise.all(waiters.map(async (waiter) => {
      try {
        settle(waiter, undefined, await read([...new Set(waiter.ids)]));
      } catch (own) {
        settle(waiter, own);
      }
    }));
    return;
  }
  if (waiters.length === 1) {
    settle(waiters[0]!, undefined, rows);
    return;
  }
  const byId = new Map<string, R>();
  for (const row of rows) byId.set(rowsOf.idOf(row), row);
  const given = new Set<string>();
  for (const waiter of waiters) {
    const own: R[] = [];
    for (const id of new Set(waiter.ids)) {
      const row = byId.get(id);
      if (row === undefined) continue;
      own.push(given.has(id) ? rowsOf.copy(row) : row);
      given.add(id);
    }
    settle(waiter, undefined, own);
  }
}

function settle<R>(waiter: Waiter<R>, error: unknown, rows?: R[]): void {
  if (rows) {
    waiter.span?.end();
    waiter.resolve(rows);
  } else {
    const type = error instanceof Error ? error.name : 'Error';
    waiter.span?.setAttribute('error.type', type);
    waiter.span?.setStatus({ code: SpanStatusCode.ERROR, message: type });
    waiter.span?.end();
    waiter.reject(error);
  }
}
