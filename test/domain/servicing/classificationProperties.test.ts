// Classification invariants over any daily history of days past due (fast-check), under any valid parameters:
// - RBI_IRAC: a loan is STANDARD exactly when nothing is overdue; `npaSince` is set exactly while it is NPA; it
//   becomes NPA on the first day DPD passes `npaAfterDays`, and from then on, until DPD is 0, it never moves back up
//   and is the class its whole months as NPA give; while not NPA its SMA class is the one its DPD gives;
// - US_CHARGE_OFF: the class is a function of the day's DPD alone;
// - both: `classSince` is the last date the class changed;
// - buckets: any list cut from 0 upwards at increasing points is valid and gives every DPD exactly the bucket
//   holding it; moving one bucket's start makes a gap or an overlap, which is refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../../src/domain/calendar.js';
import {
  classesOf, classify, isNonPerforming, wholeMonths, type ClassificationPolicy, type ClassState, type RbiParameters, type UsParameters,
} from '../../../src/domain/servicing/classification.js';
import { assertValidBuckets, bucketOf, type BucketRange } from '../../../src/domain/servicing/delinquencyBuckets.js';

/**
 * A day-by-day history: each day DPD grows by one (or starts at 1), or, now and then, a payment brings it down to
 * anything lower. Payments are rare enough that many histories pass 90 DPD and age for years.
 */
const history = fc.array(fc.oneof({ weight: 60, arbitrary: fc.constant<'late'>('late') }, { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 1200, size: 'max' })
  .map((steps) => {
    let dpd = 0;
    return steps.map((step) => (dpd = step === 'late' ? dpd + 1 : Math.floor(dpd * step)));
  });

const rbiParameters: fc.Arbitrary<RbiParameters> = fc.record({
  sma1: fc.integer({ min: 1, max: 40 }), sma2: fc.integer({ min: 1, max: 40 }), npa: fc.integer({ min: 1, max: 60 }),
  d1: fc.integer({ min: 1, max: 4 }), d2: fc.integer({ min: 1, max: 4 }), d3: fc.integer({ min: 1, max: 4 }), loss: fc.option(fc.integer({ min: 1, max: 4 }), { freq: 4 }),
}).map(({ sma1, sma2, npa, d1, d2, d3, loss }) => ({
  sma1AfterDays: sma1, sma2AfterDays: sma1 + sma2, npaAfterDays: sma1 + sma2 + npa,
  doubtfulAfterMonths: d1, doubtful2AfterMonths: d1 + d2, doubtful3AfterMonths: d1 + d2 + d3, lossAfterMonths: loss === null ? null : d1 + d2 + d3 + loss,
  borrowerLevel: true,
}));

const usParameters: fc.Arbitrary<UsParameters> = fc.record({ sub: fc.integer({ min: 1, max: 120 }), off: fc.integer({ min: 1, max: 120 }), nonAccrual: fc.integer({ min: 1, max: 240 }) })
  .map(({ sub, off, nonAccrual }) => ({ substandardAfterDays: sub, chargeOffAfterDays: sub + off, nonAccrualAfterDays: Math.min(nonAccrual, sub + off), borrowerLevel: false }));

const START = '2021-01-01';

function walk(policy: ClassificationPolicy, dpds: number[]): { asOf: string; dpd: number; state: ClassState }[] {
  let state: ClassState = { ownClass: 'STANDARD', npaSince: null, classSince: null };
  return dpds.map((dpd, k) => {
    const asOf = addDays(START, k + 1);
    state = classify(policy, state, { daysPastDue: dpd }, asOf);
    return { asOf, dpd, state };
  });
}

describe('classification over any history', () => {
  it('RBI_IRAC', () => {
    // What the histories reached, so a generator that never reaches NPA (and proves nothing of it) fails.
    const reached = new Set<string>();
    fc.assert(fc.property(rbiParameters, history, (parameters, dpds) => {
      const policy: ClassificationPolicy = { regime: 'RBI_IRAC', parameters };
      const order = classesOf('RBI_IRAC') as readonly string[];
      let previous: { asOf: string; dpd: number; state: ClassState } | null = null;
      let lastChange: string | null = null;
      // Checked in plain code and compared once: an expect per day would cost more than the rules themselves.
      const problems: string[] = [];
      const check = (holds: boolean, what: string, day: { asOf: string; dpd: number; state: ClassState }) => {
        if (!holds) problems.push(`${day.asOf} (${day.dpd} DPD, ${JSON.stringify(day.state)}): ${what}`);
      };
      for (const day of walk(policy, dpds)) {
        const { state, dpd, asOf } = day;
        const npa = isNonPerforming(policy, state.ownClass);
        reached.add(state.ownClass);
        if (npa && previous?.state.npaSince && dpd < previous.dpd && dpd > 0) reached.add('NPA partly paid');
        check((state.ownClass === 'STANDARD') === (dpd === 0), 'STANDARD exactly when nothing is overdue', day);
        check((state.npaSince !== null) === npa, 'npaSince set exactly while NPA', day);
        const wasNpa = previous !== null && previous.state.npaSince !== null;
        // The first day past the threshold: DPD grows one a day, so it crossed today.
        if (npa && !wasNpa) check(dpd === parameters.npaAfterDays + 1 && state.npaSince === asOf, 'NPA from the first day past the threshold', day);
        if (npa) {
          const months = wholeMonths(state.npaSince!, asOf);
          const expected = parameters.lossAfterMonths !== null && months >= parameters.lossAfterMonths ? 'LOSS'
            : months >= parameters.doubtful3AfterMonths ? 'DOUBTFUL_3' : months >= parameters.doubtful2AfterMonths ? 'DOUBTFUL_2'
              : months >= parameters.doubtfulAfterMonths ? 'DOUBTFUL_1' : 'SUBSTANDARD';
          check(state.ownClass === expected, `the class ${months} months as NPA give: ${expected}`, day);
          if (wasNpa) check(order.indexOf(state.ownClass) >= order.indexOf(previous!.state.ownClass), 'never back up while NPA', day);
        } else if (dpd > 0) {
          check(state.ownClass === (dpd > parameters.sma2AfterDays ? 'SMA_2' : dpd > parameters.sma1AfterDays ? 'SMA_1' : 'SMA_0'), 'the SMA class of its DPD', day);
        }
        if (previous === null || previous.state.ownClass !== state.ownClass) lastChange = asOf;
        check(state.classSince === lastChange, `classSince the last change, ${lastChange}`, day);
        previous = day;
      }
      expect(problems.slice(0, 5)).toEqual([]);
    }), { numRuns: 300 });
    expect([...reached].sort()).toEqual(['DOUBTFUL_1', 'DOUBTFUL_2', 'DOUBTFUL_3', 'LOSS', 'NPA partly paid', 'SMA_0', 'SMA_1', 'SMA_2', 'STANDARD', 'SUBSTANDARD']);
  });

  it('US_CHARGE_OFF', () => {
    fc.assert(fc.property(usParameters, history, (parameters, dpds) => {
      const policy: ClassificationPolicy = { regime: 'US_CHARGE_OFF', parameters };
      let lastChange: string | null = null;
      let previousClass: string | null = null;
      const expected: unknown[] = [];
      const actual = walk(policy, dpds).map(({ state, dpd, asOf }) => {
        const cls = dpd >= parameters.chargeOffAfterDays ? 'LOSS' : dpd >= parameters.substandardAfterDays ? 'SUBSTANDARD' : 'STANDARD';
        if (previousClass !== cls) lastChange = asOf;
        previousClass = cls;
        expected.push([cls, cls !== 'STANDARD', lastChange]);
        return [state.ownClass, state.npaSince !== null, state.classSince];
      });
      expect(actual).toEqual(expected);
    }), { numRuns: 100 });
  });
});

describe('buckets over any cut', () => {
  const cuts = fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 19 }).map((points) => [...points].sort((a, b) => a - b));
  const rangesOf = (points: number[]): BucketRange[] => [0, ...points].map((from, k, starts) => ({ name: `B${k}`, fromDays: from, toDays: k + 1 < starts.length ? starts[k + 1]! - 1 : null }));

  it('every DPD falls in exactly the bucket holding it', () => {
    fc.assert(fc.property(cuts, fc.integer({ min: 0, max: 1000 }), (points, dpd) => {
      const ranges = rangesOf(points);
      assertValidBuckets(ranges, 'buckets');
      const holding = ranges.filter((r) => r.fromDays <= dpd && (r.toDays === null || dpd <= r.toDays));
      expect(holding).toHaveLength(1);
      expect(bucketOf(ranges, dpd)).toBe(holding[0]!.name);
    }), { numRuns: 300 });
  });

  it('moving one bucket\'s start is refused, naming it', () => {
    fc.assert(fc.property(cuts.filter((p) => p.length > 0), fc.nat(), fc.constantFrom(-1, 1), (points, pick, shift) => {
      const ranges = rangesOf(points);
      const k = 1 + (pick % points.length);
      ranges[k] = { ...ranges[k]!, fromDays: ranges[k]!.fromDays + shift };
      // A shift that empties the bucket before (or itself) is refused at its end instead; either way, refused.
      expect(() => assertValidBuckets(ranges, 'buckets')).toThrow();
      try {
        assertValidBuckets(ranges, 'buckets');
      } catch (error) {
        expect((error as { field: string }).field).toMatch(new RegExp(`^buckets\\[(${k}|${k - 1})\\]\\.(fromDays|toDays)$`));
      }
    }), { numRuns: 300 });
  });
});
