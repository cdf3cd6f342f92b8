// Reads by id asked at the same moment go as one read (src/tenancy/readsTogether.ts): each caller is answered only
// the rows of the ids it asked for, a failure reaches every caller that shared the read, and a read asked in a later
// turn of the event loop is a read of its own.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_IDS_TOGETHER, ReadsTogether } from '../../src/tenancy/readsTogether.js';

interface Row { id: string; value: string }

/** A read that answers every id it is given (but `missing`), and remembers what it was asked. */
function recordingRead(missing: string[] = []) {
  const asked: string[][] = [];
  const read = async (ids: string[]): Promise<Row[]> => {
    asked.push(ids);
    return ids.filter((id) => !missing.includes(id)).map((id) => ({ id, value: `row ${id}` }));
  };
  return { asked, read };
}

const idOf = (row: Row) => row.id;
const rows = { idOf, copy: (row: Row): Row => ({ ...row }) };

afterEach(() => {
  vi.useRealTimers();
});

describe('reads asked at the same moment', () => {
  it('go as one read with every id once, each caller answered only the rows it asked for', async () => {
    const together = new ReadsTogether();
    const { asked, read } = recordingRead(['x']);
    const [first, second, third] = await Promise.all([
      together.read('loan', ['a', 'b'], read, rows),
      together.read('loan', ['b', 'c', 'x'], read, rows),
      together.read('loan', ['d', 'd'], read, rows),
    ]);
    expect(asked).toEqual([['a', 'b', 'c', 'x', 'd']]);
    expect(first.map(idOf)).toEqual(['a', 'b']);
    expect(second.map(idOf)).toEqual(['b', 'c']);
    expect(third.map(idOf)).toEqual(['d']);
  });

  it('give a row two callers asked for to each as its own, equal in value', async () => {
    const together = new ReadsTogether();
    const { asked, read } = recordingRead();
    const [first, second] = await Promise.all([together.read('loan', ['a'], read, rows), together.read('loan', ['a'], read, rows)]);
    expect(asked).toEqual([['a']]);
    expect(second[0]).toEqual(first[0]);
    expect(second[0]).not.toBe(first[0]);
  });

  it('under different keys go apart, each with only its own ids', async () => {
    const together = new ReadsTogether();
    const staff = recordingRead();
    const partner = recordingRead();
    const [asStaff, asPartner] = await Promise.all([
      together.read('loan:staff', ['a'], staff.read, rows),
      together.read('loan:partner fintech', ['b'], partner.read, rows),
    ]);
    expect(staff.asked).toEqual([['a']]);
    expect(partner.asked).toEqual([['b']]);
    expect(asStaff.map(idOf)).toEqual(['a']);
    expect(asPartner.map(idOf)).toEqual(['b']);
  });

  it('asked in a later turn is a read of its own', async () => {
    const together = new ReadsTogether();
    const { asked, read } = recordingRead();
    const first = await together.read('loan', ['a'], read, rows);
    const second = await together.read('loan', ['b'], read, rows);
    expect(asked).toEqual([['a'], ['b']]);
    expect(first.map(idOf)).toEqual(['a']);
    expect(second.map(idOf)).toEqual(['b']);
  });

  it('that fail together are each tried again alone, so a failure is only the callers\' it belongs to', async () => {
    const together = new ReadsTogether();
    const asked: string[][] = [];
    // The statement of everyone fails (a connection lost); alone, only the caller asking for `bad` fails.
    const read = async (ids: string[]): Promise<Row[]> => {
      asked.push(ids);
      if (asked.length === 1 || ids.includes('bad')) throw new Error('refused');
      return ids.map((id) => ({ id, value: `row ${id}` }));
    };
    const [first, second, third] = await Promise.allSettled([
      together.read('loan', ['a'], read, rows), together.read('loan', ['bad', 'b'], read, rows), together.read('loan', ['c', 'c'], read, rows),
    ]);
    expect(asked[0]).toEqual(['a', 'bad', 'b', 'c']);
    expect(asked.slice(1).sort()).toEqual([['a'], ['bad', 'b'], ['c']].sort());
    expect(first.status === 'fulfilled' && first.value.map(idOf)).toEqual(['a']);
    expect(second.status).toBe('rejected');
    expect(third.status === 'fulfilled' && third.value.map(idOf)).toEqual(['c']);
  });

  it('a caller alone whose read fails is refused once, and the next read is tried afresh', async () => {
    const together = new ReadsTogether();
    let calls = 0;
    const failing = async (): Promise<Row[]> => { calls += 1; throw new Error('connection lost'); };
    await expect(together.read('loan', ['a'], failing, rows)).rejects.toThrow('connection lost');
    expect(calls).toBe(1);
    const { read } = recordingRead();
    expect((await together.read('loan', ['a'], read, rows)).map(idOf)).toEqual(['a']);
  });

  it('carry at most MAX_IDS_TOGETHER ids in one read; the callers past it go in the next', async () => {
    const together = new ReadsTogether();
    const { asked, read } = recordingRead();
    const page = (from: number) => Array.from({ length: 100 }, (_, i) => `id-${from + i}`);
    const answers = await Promise.all(Array.from({ length: 11 }, (_, k) => together.read('loan', page(k * 100), read, rows)));
    expect(asked.map((ids) => ids.length)).toEqual([MAX_IDS_TOGETHER, 100]);
    answers.forEach((answer, k) => expect(answer.map(idOf)).toEqual(page(k * 100)));
  });

  it('are sent while a test fakes the clock', async () => {
    vi.useFakeTimers();
    const together = new ReadsTogether();
    const { read } = recordingRead();
    expect((await together.read('loan', ['a'], read, rows)).map(idOf)).toEqual(['a']);
  });
});
