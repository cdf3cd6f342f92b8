// A promise a library leaves unawaited would, once rejected, end the process by Node's default: pg-boss records a
// job's outcome (complete, fail) without awaiting it, so losing PostgreSQL while a job runs rejected it where nothing
// listened, and the gateway exited. Losing the database must not end the process (docs/operations.md): a rejection
// that is the database connection failing is logged and the process keeps serving, readiness saying 503 until the
// database is back. Any other unhandled rejection is a defect: logged, and the process exits as Node would have.
import type { EventEmitter } from 'node:events';
import type { Logger } from './log.js';

/** Node's and PostgreSQL's words for a connection that failed, was refused or was ended under the client. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const CONNECTION_MESSAGES = /connection terminated|terminating connection|timeout exceeded when trying to connect|not queryable|connection error|Connection ended/i;

export function isDatabaseConnectionError(reason: unknown): boolean {
  if (!(reason instanceof Error)) return false;
  const code = (reason as { code?: unknown }).code;
  return (typeof code === 'string' && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGES.test(reason.message);
}

/** Installs the guard on `target` (the process); returns how to take it off. */
export function guardUnhandledRejections(log: Logger, target: EventEmitter = process, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const listener = (reason: unknown) => {
    const err = reason instanceof Error ? { message: reason.message, code: (reason as { code?: unknown }).code, stack: reason.stack } : { message: String(reason) };
    if (isDatabaseConnectionError(reason)) {
      log.warn({ err }, 'a background statement failed because the database connection did; the process keeps serving');
      return;
    }
    log.fatal({ err }, 'unhandled promise rejection; exiting');
    exit(1);
  };
  target.on('unhandledRejection', listener);
  return () => target.off('unhandledRejection', listener);
}
