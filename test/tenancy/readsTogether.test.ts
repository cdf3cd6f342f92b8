// Reads by id asked at the same moment go as one read (src/tenancy/readsTogether.ts): each caller is answered only
// the rows of the ids it asked for, a failure reaches every caller that shared the read, and a read asked in a later
// turn of the event loop is a read of its own.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReadsTogether } from '../../src/tenancy/readsTogether.js';

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

  it('fail together when the read fails, and the next read is tried afresh', async () => {
    const together = new ReadsTogether();
    const failing = async (): Promise<Row[]> => { throw new Error('connection lost'); };
    const results = await Promise.allSettled([together.read('loan', ['a'], failing, rows), together.read('loan', ['b'], failing, rows)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    const { read } = recordingRead();
    expect((await together.read('loan', ['a'], read, rows)).map(idOf)).toEqual(['a']);
  });

  it('are sent while a test fakes the clock', async () => {
    vi.useFakeTimers();
    const together = new ReadsTogether();
    const { read } = recordingRead();
    expect((await together.read('loan', ['a'], read, rows)).map(idOf)).toEqual(['a']);
  });
});
