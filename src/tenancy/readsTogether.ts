// Reads of rows by id that requests served at the same moment ask of the same statement, sent to PostgreSQL as one.
// Under load the gateway reads one loan row per request, and each read costs it more in the round trip (a pooled
// connection, the statement written to the socket, the answer's row description parsed) than in the row
// (docs/performance.md, "Eleventh round"). The requests whose bodies arrived in one turn of the event loop are
// answered from one statement with all their ids; each is given only the rows of the ids it asked for, so nothing
// one caller reads reaches another, and a row two callers asked for is given to each as its own copy (a caller may
// keep what it decodes in the row it holds). Reads are grouped by pool, statement and every value beside the ids (a partner's
// scope is one of them), so two callers share a statement only where each would have run that very statement.

/** Captured once: a test that fakes the clock must not stop reads from being sent. */
const afterThisTurn: (run: () => void) => unknown = globalThis.setImmediate.bind(globalThis);

interface Waiter<R> {
  ids: readonly string[];
  resolve(rows: R[]): void;
  reject(error: unknown): void;
}

interface Gathering<R> {
  ids: Set<string>;
  waiters: Waiter<R>[];
}

/** How a read's rows are told apart and copied. */
export interface RowsOf<R> {
  idOf(row: R): string;
  /** A row of its own for another caller that asked for the same id. */
  copy(row: R): R;
}

/**
 * Runs `read` once for every caller that asked under `key` in this turn of the event loop, with the ids all of them
 * asked (no id twice), and gives each caller the rows whose id it asked for, no row object given to two callers.
 * `key` must name everything the read depends on but the ids; a failed read fails every caller that shared it.
 */
export class ReadsTogether {
  readonly #gathering = new Map<string, Gathering<unknown>>();

  read<R>(key: string, ids: readonly string[], read: (ids: string[]) => Promise<R[]>, rowsOf: RowsOf<R>): Promise<R[]> {
    let gathering = this.#gathering.get(key) as Gathering<R> | undefined;
    if (!gathering) {
      const started: Gathering<R> = { ids: new Set(), waiters: [] };
      gathering = started;
      this.#gathering.set(key, started as Gathering<unknown>);
      afterThisTurn(() => {
        this.#gathering.delete(key);
        void send(started, read, rowsOf);
      });
    }
    for (const id of ids) gathering.ids.add(id);
    const joined = gathering;
    return new Promise<R[]>((resolve, reject) => joined.waiters.push({ ids, resolve, reject }));
  }
}

async function send<R>(gathering: Gathering<R>, read: (ids: string[]) => Promise<R[]>, rowsOf: RowsOf<R>): Promise<void> {
  let rows: R[];
  try {
    rows = await read([...gathering.ids]);
  } catch (error) {
    for (const waiter of gathering.waiters) waiter.reject(error);
    return;
  }
  if (gathering.waiters.length === 1) {
    gathering.waiters[0]!.resolve(rows);
    return;
  }
  const byId = new Map<string, R>();
  for (const row of rows) byId.set(rowsOf.idOf(row), row);
  const given = new Set<string>();
  for (const waiter of gathering.waiters) {
    const own: R[] = [];
    for (const id of new Set(waiter.ids)) {
      const row = byId.get(id);
      if (row === undefined) continue;
      own.push(given.has(id) ? rowsOf.copy(row) : row);
      given.add(id);
    }
    waiter.resolve(own);
  }
}
