// Collections' rules as tables of exact cases: when a case opens and closes, who gets it in turn, when a promise
// to pay is kept or broken (partial payments add up, the loan's tolerance counts), and the refusals naming fields.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { refusalOf as refusal } from '../../support/refusal.js';
import { Decimal } from '../../../src/domain/money.js';
import {
  assertValidPromise, assertValidRule, assignInTurn, caseMove, collectorsFor, handsOn, judgePromise, rollRates, type CaseMove,
} from '../../../src/domain/servicing/collections.js';

describe('caseMove', () => {
  const cases: [string, { status: string; daysPastDue: number }, number, boolean, CaseMove][] = [
    ['current loan, no case', { status: 'active', daysPastDue: 0 }, 1, false, null],
    ['one day past due at a threshold of 1 opens', { status: 'overdue', daysPastDue: 1 }, 1, false, { open: true }],
    ['below a threshold of 5', { status: 'overdue', daysPastDue: 4 }, 5, false, null],
    ['at a threshold of 5', { status: 'overdue', daysPastDue: 5 }, 5, false, { open: true }],
    ['beyond the threshold, a case already open: stays', { status: 'overdue', daysPastDue: 40 }, 5, true, null],
    ['caught up below the threshold but not whole: stays open', { status: 'overdue', daysPastDue: 2 }, 5, true, null],
    ['cured closes', { status: 'active', daysPastDue: 0 }, 5, true, { close: 'cured' }],
    ['paid off closes as the loan closed', { status: 'closed', daysPastDue: 0 }, 5, true, { close: 'loanClosed' }],
    ['written off closes for that reason', { status: 'written_off', daysPastDue: 200 }, 5, true, { close: 'writtenOff' }],
    ['a closed loan never opens one', { status: 'closed', daysPastDue: 30 }, 1, false, null],
  ];
  for (const [name, loan, openAt, open, expected] of cases) {
    it(name, () => expect(caseMove(loan, openAt, open)).toEqual(expected));
  }
});

describe('collectors and turns', () => {
  const groups = [{ bucket: '31-60', staffMemberIds: ['c', 'd'] }, { bucket: null, staffMemberIds: ['a', 'b'] }];
  it('a bucket with its own group goes to it; any other to the any-bucket group; none named, to nobody', () => {
    expect(collectorsFor(groups, '31-60')).toEqual({ pool: '31-60', collectors: ['c', 'd'] });
    expect(collectorsFor(groups, '1-30')).toEqual({ pool: '*', collectors: ['a', 'b'] });
    expect(collectorsFor(groups, null)).toEqual({ pool: '*', collectors: ['a', 'b'] });
    expect(collectorsFor([{ bucket: '31-60', staffMemberIds: ['c'] }], '1-30')).toEqual({ pool: null, collectors: [] });
    expect(collectorsFor([], '1-30')).toEqual({ pool: null, collectors: [] });
  });

  it('hands cases round the list from where the last turn stopped', () => {
    expect(assignInTurn(5, ['a', 'b', 'c'], 0)).toEqual({ assignees: ['a', 'b', 'c', 'a', 'b'], next: 2 });
    expect(assignInTurn(2, ['a', 'b', 'c'], 2)).toEqual({ assignees: ['c', 'a'], next: 1 });
    // A list that shrank since: the turn starts within it.
    expect(assignInTurn(1, ['a', 'b'], 7)).toEqual({ assignees: ['b'], next: 0 });
    expect(assignInTurn(3, [], 4)).toEqual({ assignees: [], next: 0 });
  });

  it('over any number of cases each collector gets its share, give or take one', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 50 }), (count, size, next) => {
      const collectors = Array.from({ length: size }, (_, k) => `c${k}`);
      const { assignees } = assignInTurn(count, collectors, next);
      const share = collectors.map((c) => assignees.filter((a) => a === c).length);
      expect(assignees).toHaveLength(count);
      expect(Math.max(...share) - Math.min(...share)).toBeLessThanOrEqual(1);
    }));
  });

  it('a case rolls on to a new bucket\'s collectors only when its collector is not one of them', () => {
    expect(handsOn('a', ['a', 'b'])).toBe(false);
    expect(handsOn('a', ['c'])).toBe(true);
    expect(handsOn(null, ['c'])).toBe(true);
    expect(handsOn('a', [])).toBe(false);
  });
});

describe('judgePromise', () => {
  const promise = { amount: new Decimal('100'), promisedDate: '2026-03-10' };
  const d = (text: string) => new Decimal(text);
  const cases: [string, string, string, string, string][] = [
    // name, paid, tolerance, end of day brings the books to, outcome
    ['nothing yet, the day not over', '0', '0', '2026-03-10', 'pending'],
    ['paid in full before the date: kept at once', '100', '0', '2026-03-05', 'kept'],
    ['paid more than promised', '150', '0', '2026-03-11', 'kept'],
    ['partial payments adding up to it', '100.00', '0', '2026-03-11', 'kept'],
    ['short by the tolerance or less: kept', '99.50', '0.50', '2026-03-11', 'kept'],
    ['short by more than the tolerance, date ended: broken', '99.49', '0.50', '2026-03-11', 'broken'],
    ['a part paid, date not ended: still pending', '60', '0', '2026-03-10', 'pending'],
    ['a part paid, date ended: broken', '60', '0', '2026-03-11', 'broken'],
    ['nothing paid, date ended: broken', '0', '0', '2026-03-11', 'broken'],
  ];
  for (const [name, paid, tolerance, date, outcome] of cases) {
    it(name, () => expect(judgePromise(promise, d(paid), d(tolerance), date)).toBe(outcome));
  }
});

describe('refusals name the field', () => {
  it('a promise', () => {
    const ok = { amount: new Decimal('10'), promisedDate: '2026-03-10' };
    expect(refusal(() => assertValidPromise(ok, '2026-03-10', 2))).toBeNull();
    expect(refusal(() => assertValidPromise({ ...ok, amount: new Decimal('0') }, '2026-03-10', 2))?.field).toBe('amount');
    expect(refusal(() => assertValidPromise({ ...ok, amount: new Decimal('1.005') }, '2026-03-10', 2))?.field).toBe('amount');
    expect(refusal(() => assertValidPromise(ok, '2026-03-11', 2))).toEqual({ field: 'promisedDate', message: 'the business date is 2026-03-11: a promise is for today or later' });
    expect(refusal(() => assertValidPromise({ ...ok, promisedDate: '2026-06-09' }, '2026-03-10', 2))?.field).toBe('promisedDate');
    expect(refusal(() => assertValidPromise({ ...ok, promisedDate: '2026-06-08' }, '2026-03-10', 2))).toBeNull();
  });

  it('a rule', () => {
    const buckets = ['Current', '1-30', '31-60'];
    expect(refusal(() => assertValidRule({ openAtDays: 1, collectors: [{ bucket: null, staffMemberIds: ['a'] }] }, buckets))).toBeNull();
    expect(refusal(() => assertValidRule({ openAtDays: 0, collectors: [] }, buckets))?.field).toBe('openAtDays');
    expect(refusal(() => assertValidRule({ openAtDays: 1.5, collectors: [] }, buckets))?.field).toBe('openAtDays');
    expect(refusal(() => assertValidRule({ openAtDays: 1, collectors: [{ bucket: '61-90', staffMemberIds: ['a'] }] }, buckets))?.field).toBe('collectors.0.bucket');
    expect(refusal(() => assertValidRule({ openAtDays: 1, collectors: [{ bucket: '1-30', staffMemberIds: ['a'] }, { bucket: '1-30', staffMemberIds: ['b'] }] }, buckets))?.field).toBe('collectors.1.bucket');
    expect(refusal(() => assertValidRule({ openAtDays: 1, collectors: [{ bucket: null, staffMemberIds: [] }] }, buckets))?.field).toBe('collectors.0.staffMemberIds');
    expect(refusal(() => assertValidRule({ openAtDays: 1, collectors: [{ bucket: null, staffMemberIds: ['a', 'b', 'a'] }] }, buckets))?.field).toBe('collectors.0.staffMemberIds.2');
  });
});

describe('rollRates', () => {
  it('gives each move its share of the bucket it started from', () => {
    const flow = (fromBucket: string, toBucket: string | null, loans: number) => ({ fromMonthEnd: '2026-01-31', toMonthEnd: '2026-02-28', fromBucket, toBucket, loans });
    expect(rollRates([flow('Current', 'Current', 90), flow('Current', '1-30', 8), flow('Current', null, 2), flow('1-30', 'Current', 1), flow('1-30', '31-60', 2)]).map((r) => r.ratePercent))
      .toEqual(['90.00', '8.00', '2.00', '33.33', '66.67']);
    // Shares of one bucket add up to 100 within rounding, whatever the counts.
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 8 }), (counts) => {
      const total = rollRates(counts.map((n, k) => flow('1-30', `b${k}`, n))).reduce((sum, r) => sum + Number(r.ratePercent), 0);
      expect(Math.abs(total - 100)).toBeLessThanOrEqual(0.005 * counts.length + 1e-9);
    }));
  });
});
