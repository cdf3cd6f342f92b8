// A span for every SQL statement run inside a trace, made by wrapping the `query` of each connection the pool opens
// (everything reaches PostgreSQL through one: pool.query, transactions on a checked-out client, Prisma's adapter).
// Installed only while tracing is on (runtime.ts); with tracing off the pool is left exactly as pg made it.
//
// Statements outside any trace (the settle sweep, the job queue's polling) make no span: they would be a root
// span every half second per worker and say nothing. The statement's text is kept, cut short, with its
// placeholders, and with every literal written into it replaced by `?`: the hot path writes its values into the
// text (runCommand.ts: amounts, keys, event payloads), and a span leaves the process. Parameter values are never
// recorded. A failure is named by its SQLSTATE, not its message.
//
// pg-pool hands a connection to a caller waiting in its queue from inside whichever caller released one, so a
// waiting caller's callback would run in the releaser's trace; `connect` is wrapped to call back in the caller's.
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  ATTR_DB_NAMESPACE, ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_TEXT, ATTR_DB_RESPONSE_STATUS_CODE, ATTR_DB_SYSTEM_NAME, ATTR_ERROR_TYPE,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import type pg from 'pg';
import { tracer } from './tracing.js';

/** Enough of a statement to recognise it; the payment files' generated statements run to megabytes. */
const MAX_TEXT = 2_000;

function statementText(first: unknown): string | undefined {
  if (typeof first === 'string') return first;
  if (first && typeof first === 'object' && typeof (first as { text?: unknown }).text === 'string') return (first as { text: string }).text;
  return undefined;
}

/**
 * The statement with its literals hidden: quoted strings (quotes inside are doubled, as node-postgres and
 * runCommand.ts write them, E'' strings included) and numbers not part of a name or a `$n` placeholder.
 */
export function withoutLiterals(text: string): string {
  return text.replace(/'(?:[^']|'')*'/g, '?')
    // A quote left over opens a literal the cut ended inside: nothing after it is kept.
    .replace(/'[\s\S]*$/, '?')
    .replace(/(?<![\w$."])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w"])/gi, '?');
}

/** The statement's first keyword (SELECT, INSERT, WITH, BEGIN …): the span's name, per the database conventions. */
function operationOf(text: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*)*([A-Za-z]+)/.exec(text);
  return match ? match[1]!.toUpperCase() : 'SQL';
}

function finish(span: Span, error: unknown): void {
  if (error) {
    const code = (error as { code?: unknown }).code;
    const type = typeof code === 'string' ? code : 'Error';
    span.setAttribute(ATTR_ERROR_TYPE, type);
    if (typeof code === 'string') span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  }
  span.end();
}

type Query = (...args: unknown[]) => unknown;

function traceClient(client: pg.PoolClient): void {
  const query = client.query as unknown as Query;
  const database = (client as unknown as { database?: string }).database;
  (client as unknown as { query: Query }).query = function tracedQuery(this: unknown, ...args: unknown[]): unknown {
    const active = tracer();
    const parent = context.active();
    const text = statementText(args[0]);
    if (!active || !trace.getSpan(parent) || text === undefined) return query.apply(this, args);
    const operation = operationOf(text);
    const span = active.startSpan(operation, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_OPERATION_NAME]: operation,
        [ATTR_DB_QUERY_TEXT]: text.length > MAX_TEXT ? `${withoutLiterals(text.slice(0, MAX_TEXT))}…` : withoutLiterals(text),
        ...(database ? { [ATTR_DB_NAMESPACE]: database } : {}),
      },
    }, parent);
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = function calledBack(this: unknown, error: unknown, ...rest: unknown[]) {
        finish(span, error);
        return (callback as Query).call(this, error, ...rest);
      };
      return query.apply(this, args);
    }
    let result: unknown;
    try {
      result = query.apply(this, args);
    } catch (error) {
      finish(span, error);
      throw error;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      // The caller keeps the promise pg returned, rejection and all; this only watches it.
      (result as Promise<unknown>).then(() => finish(span, undefined), (error: unknown) => finish(span, error));
    } else {
      finish(span, undefined);
    }
    return result;
  };
}

/** Makes spans for the SQL run on `pool`'s connections from now on. */
export function traceQueries(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => unknown;
  (pool as unknown as { connect: typeof connect }).connect = (callback) =>
    callback ? connect(context.bind(context.active(), callback)) : connect();
  pool.on('connect', (client) => traceClient(client));
}
