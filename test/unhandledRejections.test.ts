// The process-level guard: a rejection nothing awaited that is the database connection failing (pg-boss recording a
// job's outcome while PostgreSQL is gone) is logged and the process keeps serving; any other ends it, as Node would.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { guardUnhandledRejections, isDatabaseConnectionError } from '../src/unhandledRejections.js';

function connectionError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('unhandled rejections', () => {
  it('tells a failed database connection from anything else', () => {
    expect(isDatabaseConnectionError(connectionError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5536'))).toBe(true);
    expect(isDatabaseConnectionError(connectionError('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isDatabaseConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseConnectionError(new TypeError('Cannot read properties of undefined'))).toBe(false);
    expect(isDatabaseConnectionError(connectionError('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isDatabaseConnectionError('ECONNREFUSED')).toBe(false);
  });

  it('logs the database going away and keeps the process; logs anything else and exits 1', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const target = new EventEmitter();
    const exits: number[] = [];
    const off = guardUnhandledRejections(log, target, (code) => void exits.push(code));
    target.emit('unhandledRejection', connectionError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5536'));
    expect(exits).toEqual([]);
    expect(lines.at(-1)).toMatchObject({ level: 40, msg: 'a background statement failed because the database connection did; the process keeps serving' });
    target.emit('unhandledRejection', new TypeError('a defect'));
    expect(exits).toEqual([1]);
    expect(lines.at(-1)).toMatchObject({ level: 60, msg: 'unhandled promise rejection; exiting', err: { message: 'a defect' } });
    off();
    expect(target.listenerCount('unhandledRejection')).toBe(0);
  });
});
