// Provisions: the rates each regime starts with (RBI's IRAC master circular on the secured portion; a US lender's
// own illustrative choice, US rules using CECL rather than fixed rates), their checks, and exact amounts rounded
// half-up to the currency's minor units.
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal } from '../../../src/domain/money.js';
import { classesOf, type Regime } from '../../../src/domain/servicing/classification.js';
import { assertValidProvisions, DEFAULT_PROVISIONS, exposureOf, provisionFor } from '../../../src/domain/servicing/provisioning.js';

const d = (text: string) => new Decimal(text);

describe('default rates', () => {
  it('RBI IRAC: standard 0.40 %, sub-standard 15 %, doubtful 25/40/100 %, loss 100 %', () => {
    expect(DEFAULT_PROVISIONS.RBI_IRAC).toEqual({
      STANDARD: '0.40', SMA_0: '0.40', SMA_1: '0.40', SMA_2: '0.40', SUBSTANDARD: '15', DOUBTFUL_1: '25', DOUBTFUL_2: '40', DOUBTFUL_3: '100', LOSS: '100',
    });
  });
  it('US: 1 %, 15 %, 100 %, and every default passes its own check', () => {
    expect(DEFAULT_PROVISIONS.US_CHARGE_OFF).toEqual({ STANDARD: '1', SUBSTANDARD: '15', LOSS: '100' });
    for (const regime of ['RBI_IRAC', 'US_CHARGE_OFF'] as Regime[]) {
      expect(() => assertValidProvisions(regime, DEFAULT_PROVISIONS[regime], 'provisions')).not.toThrow();
      expect(Object.keys(DEFAULT_PROVISIONS[regime])).toEqual(classesOf(regime));
    }
  });
});

describe('provisionFor', () => {
  const rbi = DEFAULT_PROVISIONS.RBI_IRAC;
  const cases: [string, string, string, string][] = [
    ['STANDARD', '100000.00', 'INR', '400.00'],
    ['SMA_2', '100000.00', 'INR', '400.00'],
    ['SUBSTANDARD', '100000.00', 'INR', '15000.00'],
    ['DOUBTFUL_1', '100000.00', 'INR', '25000.00'],
    ['DOUBTFUL_2', '100000.00', 'INR', '40000.00'],
    ['DOUBTFUL_3', '100000.00', 'INR', '100000.00'],
    ['LOSS', '12345.67', 'INR', '12345.67'],
    // 0.40 % of 1.25 is 0.005: half-up gives 0.01 (half-even would give 0.00).
    ['STANDARD', '1.25', 'INR', '0.01'],
    // 0.40 % of 1.24 is 0.00496 → 0.00.
    ['STANDARD', '1.24', 'INR', '0'],
    // 15 % of 333.33 is 49.9995 → 50.00.
    ['SUBSTANDARD', '333.33', 'INR', '50'],
    // Minor units follow the currency: none for JPY, three for KWD.
    ['SUBSTANDARD', '1003', 'JPY', '150'],
    ['SUBSTANDARD', '1005', 'JPY', '151'],
    ['SUBSTANDARD', '10.003', 'KWD', '1.5'],
    ['STANDARD', '0', 'INR', '0'],
    ['STANDARD', '-5', 'INR', '0'],
  ];
  for (const [cls, exposure, currency, provision] of cases) {
    it(`${cls} on ${exposure} ${currency}: ${provision}`, () => {
      expect(provisionFor(rbi, cls, d(exposure), currency).eq(d(provision))).toBe(true);
    });
  }
  it('US defaults', () => {
    const us = DEFAULT_PROVISIONS.US_CHARGE_OFF;
    expect(provisionFor(us, 'STANDARD', d('2500.50'), 'USD').toFixed()).toBe('25.01');
    expect(provisionFor(us, 'SUBSTANDARD', d('2500.50'), 'USD').toFixed()).toBe('375.08');
    expect(provisionFor(us, 'LOSS', d('2500.50'), 'USD').toFixed()).toBe('2500.5');
    expect(() => provisionFor(us, 'DOUBTFUL_1', d('1'), 'USD')).toThrow(RangeError);
  });
});

describe('exposureOf', () => {
  it('principal, interest, fee and penalty receivable, less the interest in suspense', () => {
    expect(exposureOf({ principalReceivable: d('1000'), interestReceivable: d('50'), feeReceivable: d('10'), penaltyReceivable: d('5'), interestSuspense: d('50') }).toFixed()).toBe('1015');
    expect(exposureOf({ principalReceivable: d('1000'), interestReceivable: d('50'), feeReceivable: d('0'), penaltyReceivable: d('0'), interestSuspense: d('0') }).toFixed()).toBe('1050');
    expect(exposureOf({ principalReceivable: d('0'), interestReceivable: d('0'), feeReceivable: d('0'), penaltyReceivable: d('0'), interestSuspense: d('0') }).toFixed()).toBe('0');
  });
});

describe('assertValidProvisions', () => {
  function refusal(regime: Regime, rates: unknown): string | null {
    try {
      assertValidProvisions(regime, rates, 'provisions');
      return null;
    } catch (error) {
      if (!(error instanceof InvalidField)) throw error;
      return error.field;
    }
  }
  const us = DEFAULT_PROVISIONS.US_CHARGE_OFF;
  const cases: [string, Regime, unknown, string][] = [
    ['not an object', 'US_CHARGE_OFF', '1', 'provisions'],
    ['a class of the other regime', 'US_CHARGE_OFF', { ...us, SMA_0: '1' }, 'provisions.SMA_0'],
    ['a class missing', 'US_CHARGE_OFF', { STANDARD: '1', LOSS: '100' }, 'provisions'],
    ['more than 100', 'US_CHARGE_OFF', { ...us, LOSS: '100.01' }, 'provisions.LOSS'],
    ['below 0', 'US_CHARGE_OFF', { ...us, STANDARD: '-1' }, 'provisions.STANDARD'],
    ['a number, not text', 'US_CHARGE_OFF', { ...us, STANDARD: 1 }, 'provisions.STANDARD'],
    ['too many decimals', 'US_CHARGE_OFF', { ...us, STANDARD: '1.00001' }, 'provisions.STANDARD'],
    ['an exponent', 'US_CHARGE_OFF', { ...us, STANDARD: '1e1' }, 'provisions.STANDARD'],
    ['a worse class providing less', 'RBI_IRAC', { ...DEFAULT_PROVISIONS.RBI_IRAC, DOUBTFUL_2: '20' }, 'provisions.DOUBTFUL_2'],
  ];
  for (const [name, regime, rates, field] of cases) {
    it(`refuses ${name}, naming ${field}`, () => expect(refusal(regime, rates)).toBe(field));
  }
  it('names the field the caller gives', () => {
    try {
      assertValidProvisions('US_CHARGE_OFF', { ...us, LOSS: '101' }, 'provisions', (cls) => `provisions[${['STANDARD', 'SUBSTANDARD', 'LOSS'].indexOf(cls)}].percent`);
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidField).field).toBe('provisions[2].percent');
    }
  });
});
