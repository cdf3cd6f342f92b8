// The tenant's end-of-day lock, as runEndOfDay and a tenant's move hold it (withEndOfDayLock): refused while another
// session holds it, given back when the work ends, and the work's own outcome kept when giving it back fails.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { endOfDayLockKey, withEndOfDayLock } from '../../../src/services/endOfDay/run.js';
import { createPool } from '../../../src/tenancy/database.js';

let pool: pg.Pool;

beforeAll(() => {
  // The gateway's own pool: a held connection that is ended (the last test) is reported and dropped, as in production.
  pool = createPool(inject('databaseUrl'), 4, 'lendgraph-test');
});

afterAll(async () => {
  await pool.end();
});

/** Whether another session could take the tenant's lock now (it is given back at once). */
async function free(tenantId: string): Promise<boolean> {
  const client = await pool.connect();
  try {
    const { rows: [row] } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [endOfDayLockKey(tenantId)]);
    if (row!.locked) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [endOfDayLockKey(tenantId)]);
    return row!.locked;
  } finally {
    client.release();
  }
}

describe('the end-of-day lock', () => {
  it('is refused as the caller says while another session holds it, and the work is not run', async () => {
    const tenantId = randomUUID();
    const holder = await pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [endOfDayLockKey(tenantId)]);
      let ran = false;
      await expect(withEndOfDayLock(pool, tenantId, () => new Error('busy'), async () => { ran = true; })).rejects.toThrow('busy');
      expect(ran).toBe(false);
    } finally {
      holder.release(true);
    }
  });

  it('is held while the work runs and given back when it ends, succeeded or failed', async () => {
    const tenantId = randomUUID();
    expect(await withEndOfDayLock(pool, tenantId, () => new Error('busy'), async () => ({ held: !(await free(tenantId)) }))).toEqual({ held: true });
    expect(await free(tenantId)).toBe(true);
    await expect(withEndOfDayLock(pool, tenantId, () => new Error('busy'), async () => { throw new Error('step failed'); })).rejects.toThrow('step failed');
    expect(await free(tenantId)).toBe(true);
  });

  it('keeps the work\'s outcome when giving the lock back fails, and ends that connection rather than pooling it', async () => {
    const tenantId = randomUUID();
    const outcome = await withEndOfDayLock(pool, tenantId, () => new Error('busy'), async () => {
      // The session holding the lock ends under it (an administrator, a restart): its unlock will fail.
      await pool.query(`SELECT pg_terminate_backend(l.pid) FROM pg_locks l, hashtextextended($1, 0) AS k
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = (k >> 32) & 4294967295 AND l.objid::bigint = k & 4294967295`, [endOfDayLockKey(tenantId)]);
      return 'moved';
    });
    expect(outcome).toBe('moved');
    expect(await free(tenantId)).toBe(true);
  });
});
