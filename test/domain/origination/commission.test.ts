import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal, minorUnits } from '../../../src/domain/money.js';
import { assertCommissionRule, commissionOn } from '../../../src/domain/origination/commission.js';

const d = (value: string) => new Decimal(value);

describe('an origination commission', () => {
  it('is the percentage of the principal, rounded half to even to the currency\'s minor unit, at most the cap', () => {
    expect(commissionOn(d('10000'), { percent: d('1.5'), cap: d('100') }, 'USD').toFixed()).toBe('100');
    expect(commissionOn(d('5000'), { percent: d('1.5'), cap: d('100') }, 'USD').toFixed()).toBe('75');
    expect(commissionOn(d('1000.50'), { percent: d('1.25'), cap: null }, 'USD').toFixed()).toBe('12.51');
    expect(commissionOn(d('100'), { percent: d('0.125'), cap: null }, 'USD').toFixed()).toBe('0.12');
    expect(commissionOn(d('1000'), { percent: d('0.125'), cap: null }, 'JPY').toFixed()).toBe('1');
  });

  it('takes a cap finer than the currency\'s minor unit as the whole minor units below it, never a fraction of a cent', () => {
    expect(commissionOn(d('100000'), { percent: d('2'), cap: d('100.0075') }, 'USD').toFixed()).toBe('100');
    expect(commissionOn(d('100000'), { percent: d('2'), cap: d('100.5') }, 'JPY').toFixed()).toBe('100');
    expect(commissionOn(d('100000'), { percent: d('2'), cap: d('100.5') }, 'KWD').toFixed()).toBe('100.5');
  });

  it('a rule\'s cap is set in whole minor units of the lender\'s currency; its percentage and clawback within their ranges', () => {
    const field = (rule: { percent?: string; cap?: string | null; clawbackDays?: number }, currency: string) => {
      try {
        assertCommissionRule({ percent: d(rule.percent ?? '1.5'), cap: rule.cap === undefined || rule.cap === null ? null : d(rule.cap), clawbackDays: rule.clawbackDays ?? 30 }, currency);
        return null;
      } catch (error) {
        return (error as { field: string }).field;
      }
    };
    expect([field({ cap: '100.00' }, 'USD'), field({ cap: null }, 'USD'), field({ cap: '100' }, 'JPY'), field({ cap: '100.005' }, 'KWD')]).toEqual([null, null, null, null]);
    expect([field({ cap: '1.005' }, 'USD'), field({ cap: '100.5' }, 'JPY'), field({ cap: '0' }, 'USD'), field({ cap: '-1' }, 'USD')]).toEqual(['cap', 'cap', 'cap', 'cap']);
    expect([field({ percent: '0' }, 'USD'), field({ percent: '100.0001' }, 'USD'), field({ clawbackDays: -1 }, 'USD'), field({ clawbackDays: 3651 }, 'USD')])
      .toEqual(['percent', 'percent', 'clawbackDays', 'clawbackDays']);
  });

  it('always fits the currency and the cap: the share rounded to the minor unit, or else the most whole minor units the cap allows', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 10_000_000_00 }), fc.integer({ min: 1, max: 1_000_000 }), fc.option(fc.integer({ min: 1, max: 100_000_0000 })),
      fc.constantFrom('USD', 'JPY', 'KWD', 'EUR'),
      (principalMinor, percentTenThousandths, capTenThousandths, currency) => {
        const places = minorUnits(currency);
        const principal = new Decimal(principalMinor).div(10 ** places);
        const percent = new Decimal(percentTenThousandths).div(10_000);
        const cap = capTenThousandths === null ? null : new Decimal(capTenThousandths).div(10_000);
        const amount = commissionOn(principal, { percent, cap }, currency);
        expect(amount.decimalPlaces()).toBeLessThanOrEqual(places);
        if (cap !== null) expect(amount.lte(cap)).toBe(true);
        const share = principal.times(percent).div(100);
        const unit = new Decimal(10).pow(-places);
        // Within half a minor unit of the share, unless the cap holds it lower; never more than a minor unit under the cap then.
        if (amount.lt(share.minus(unit.div(2)))) expect(cap !== null && amount.gt(cap.minus(unit))).toBe(true);
        else expect(amount.minus(share).abs().lte(unit.div(2))).toBe(true);
      }), { numRuns: 2_000 });
  });
});
