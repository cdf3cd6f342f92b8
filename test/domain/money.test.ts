// Money and business dates: exact cases. Minor units are ISO 4217's (the published code list, table A.1).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertPositiveAmount, Decimal, formatAmountText, formatMoney, isCurrency, minorUnits, money, parseDecimalText, parseMoney } from '../../src/domain/money.js';
import { dateInZone, isBusinessDate, isTimeZone } from '../../src/domain/businessDate.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import { Decimal as DecimalBase } from 'decimal.js';

describe('money', () => {
  it.each([
    ['USD', 2], ['EUR', 2], ['INR', 2], ['KES', 2], ['JPY', 0], ['KRW', 0], ['KWD', 3], ['BHD', 3], ['OMR', 3],
  ])('%s has %i minor units (ISO 4217)', (currency, units) => {
    expect(minorUnits(currency)).toBe(units);
  });

  it.each([
    ['2.345', 'USD', '2.34 USD'], // half-even: ties go to the even neighbour
    ['2.355', 'USD', '2.36 USD'],
    ['2.3451', 'USD', '2.35 USD'], // not a tie
    ['-2.345', 'USD', '-2.34 USD'],
    ['1000.5', 'JPY', '1000 JPY'],
    ['1001.5', 'JPY', '1002 JPY'],
    ['1.0005', 'KWD', '1.000 KWD'],
    ['0.1', 'USD', '0.10 USD'],
  ])('%s %s is written as %s', (amount, currency, text) => {
    expect(formatMoney(money(amount, currency))).toBe(text);
  });

  it('takes a Decimal of its own as it is, and any other amount by its text, written alike', () => {
    const ours = new Decimal('1234.565');
    expect(money(ours, 'USD').amount).toBe(ours);
    // decimal.js's own class passes `instanceof` for ours but rounds half-up: it is copied, and rounds as ours does.
    for (const [text, currency, written] of [['0.125', 'USD', '0.12 USD'], ['2.5', 'JPY', '2 JPY'], ['-0.005', 'USD', '-0.00 USD']] as const) {
      const base = new DecimalBase(text);
      const taken = money(base, currency);
      expect(taken.amount).not.toBe(base);
      expect(taken.amount.constructor).toBe(Decimal);
      expect(formatMoney(taken)).toBe(written);
    }
    const fromElsewhere = { toString: () => '1234.565' };
    for (const amount of [ours, '1234.565', 1234.565, fromElsewhere]) expect(formatMoney(money(amount, 'USD'))).toBe('1234.56 USD');
    expect(formatMoney(money(new Decimal('1e-7'), 'KWD'))).toBe('0.000 KWD');
  });

  it('writes every amount as toFixed at the currency\'s places does, in whole minor units or not', () => {
    const amounts = fc.tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 6 }), fc.constantFrom('USD', 'JPY', 'KWD'));
    fc.assert(fc.property(amounts, ([units, scale, currency]) => {
      const amount = new Decimal(units.toString()).div(new Decimal(10).pow(scale));
      expect(formatMoney(money(amount, currency))).toBe(`${amount.toFixed(minorUnits(currency))} ${currency}`);
    }), { numRuns: 2000 });
    for (const text of ['0', '-0', '5', '5.5', '0.001', '-0.5', '1e21', '1e-9', '123456789012345678901234.5']) {
      for (const currency of ['USD', 'JPY', 'KWD']) {
        const amount = new Decimal(text);
        expect(formatMoney(money(amount, currency))).toBe(`${amount.toFixed(minorUnits(currency))} ${currency}`);
      }
    }
  });

  it('copies the ORM\'s decimals digit for digit: the same amount as read from their text', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 12 }), (units, scale) => {
      const text = new Decimal(units.toString()).div(new Decimal(10).pow(scale)).toFixed();
      const copied = money(new Prisma.Decimal(text), 'USD');
      expect(copied.amount).toBeInstanceOf(Decimal);
      expect(copied.amount.toFixed()).toBe(new Decimal(text).toFixed());
      expect(formatMoney(copied)).toBe(formatMoney(money(text, 'USD')));
    }), { numRuns: 1000 });
    for (const text of ['0', '-0', '1e21', '1e-9']) expect(formatMoney(money(new Prisma.Decimal(text), 'KWD'))).toBe(formatMoney(money(text, 'KWD')));
  });

  it('writes a numeric column\'s text as Money writes its amount, or leaves it to Money when that needs rounding', () => {
    // PostgreSQL writes a numeric(20, 4) with exactly four places; other scales and bare integers are taken too.
    const columns = fc.tuple(fc.bigInt({ min: -(10n ** 19n), max: 10n ** 19n }), fc.integer({ min: 0, max: 6 }), fc.constantFrom('USD', 'JPY', 'KWD'));
    let written = 0;
    fc.assert(fc.property(columns, ([units, scale, currency]) => {
      const text = new Decimal(units.toString()).div(new Decimal(10).pow(scale)).toFixed(scale);
      const wire = formatAmountText(text, currency);
      const expected = formatMoney(money(text, currency));
      if (wire === null) {
        // Only when the text has digits to round (or is negative zero) does it go through a Decimal.
        expect(new Decimal(text).decimalPlaces() > minorUnits(currency) || /^-0(\.0*)?$/.test(text)).toBe(true);
      } else {
        written += 1;
        expect(wire).toBe(expected);
      }
    }), { numRuns: 3000 });
    expect(written).toBeGreaterThan(1000);
    for (const [text, currency, wire] of [
      ['10000.0000', 'USD', '10000.00 USD'], ['10000.0000', 'JPY', '10000 JPY'], ['1.2340', 'KWD', '1.234 KWD'], ['0.0000', 'USD', '0.00 USD'],
      ['0.5000', 'USD', '0.50 USD'], ['-12.3000', 'USD', '-12.30 USD'], ['7', 'USD', '7.00 USD'], ['7.', 'USD', null], ['1.2345', 'USD', null],
      ['-0.0000', 'USD', null], ['1e5', 'USD', null], ['00.5', 'USD', null], [' 1.00', 'USD', null], ['NaN', 'USD', null],
    ] as const) {
      expect(formatAmountText(text, currency)).toBe(wire);
    }
  });

  it('never goes through a float', () => {
    expect(new Decimal('0.1').plus('0.2').toString()).toBe('0.3');
    expect(formatMoney(money('12345678901234567.89', 'USD'))).toBe('12345678901234567.89 USD');
  });

  it.each(['1250.00 USD', '0 JPY', '-3.125 KWD'])('parses %s', (text) => {
    const parsed = parseMoney(text)!;
    expect(formatMoney(parsed)).toBe(text);
  });

  it.each(['1250.00', 'USD 1250.00', '1,250.00 USD', '1250.00 usd', '1250.00 XXY', '1e3 USD', ''])('refuses %j', (text) => {
    expect(parseMoney(text)).toBeNull();
  });

  it('knows currencies', () => {
    expect(isCurrency('USD')).toBe(true);
    expect(isCurrency('XYZ')).toBe(false);
    expect(isCurrency('usd')).toBe(false);
  });
});

describe('business dates', () => {
  it.each([
    ['2024-02-29', true], ['2023-02-29', false], ['2000-02-29', true], ['2100-02-29', false],
    ['2026-04-31', false], ['2026-12-31', true], ['2026-1-05', false], ['26-01-05', false], ['2026-13-01', false],
  ])('%s is a calendar date: %s', (text, valid) => {
    expect(isBusinessDate(text)).toBe(valid);
  });

  it('reads dates as a Date in UTC does, on random dates of the form and on the edge years and month ends', () => {
    // The calendar's own reading (a Date in UTC), which takes years 0–99 as 1900–1999 and so never as themselves.
    const byCalendar = (y: number, m: number, d: number) => {
      const date = new Date(Date.UTC(y, m - 1, d));
      return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
    };
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    fc.assert(fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), (y, m, d) => {
      expect(isBusinessDate(`${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`)).toBe(byCalendar(y, m, d));
    }), { numRuns: 20_000 });
    for (const y of [0, 99, 100, 1600, 1900, 2000, 2100, 2400, 9999]) {
      for (const m of [1, 2, 12]) for (const d of [28, 29, 30, 31]) expect(isBusinessDate(`${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`)).toBe(byCalendar(y, m, d));
    }
  });

  it.each([
    ['2026-11-22T03:00:00Z', 'America/New_York', '2026-11-21'],
    ['2026-11-22T03:00:00Z', 'Asia/Kolkata', '2026-11-22'],
    ['2026-11-21T10:00:00Z', 'Pacific/Kiritimati', '2026-11-22'], // UTC+14
    ['2026-11-22T10:59:59Z', 'Pacific/Pago_Pago', '2026-11-21'], // UTC-11
    ['2026-03-29T00:59:59Z', 'Europe/London', '2026-03-29'], // the hour before the clocks go forward
    ['2026-11-22T23:30:00Z', 'UTC', '2026-11-22'],
  ])('%s in %s is business date %s', (instant, zone, date) => {
    expect(dateInZone(new Date(instant), zone)).toBe(date);
  });

  it('knows IANA zones', () => {
    expect(isTimeZone('Africa/Nairobi')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('decimal text as the API takes it', () => {
  it.each([['-0', '0'], ['-0.00', '0'], ['0012.50', '12.5'], ['999999999999999.9999', '999999999999999.9999'], ['-5', '-5'], ['0.0000000001', '1e-10']])('reads %s as %s', (text, value) => {
    const parsed = parseDecimalText(text);
    expect('value' in parsed && parsed.value.toString()).toBe(value);
    expect('value' in parsed && parsed.value.isNegative() && parsed.value.isZero()).toBe(false);
  });

  it.each(['1e39', '1E3', 'NaN', 'Infinity', '', ' 1', '+1', '.5', '1000000000000000', '-1000000000000000', '0.00000000001', '1'.repeat(65), `1${'0'.repeat(400)}`])('refuses %j', (text) => {
    expect('problem' in parseDecimalText(text)).toBe(true);
  });

  it('holds Money to its currency\'s minor units and below the ceiling; negative zero is zero', () => {
    expect(parseMoney('1.001 USD')).toBeNull();
    expect(parseMoney('1000000000000000.00 USD')).toBeNull();
    expect(formatMoney(parseMoney('-0.00 USD')!)).toBe('0.00 USD');
  });
});

describe('an amount moved or waived', () => {
  it.each(['0.01', '1', '999999999999999.9999'])('%s is more than zero', (text) => {
    expect(() => assertPositiveAmount(new Decimal(text), 'amount')).not.toThrow();
  });

  it.each([['0', 'amount'], ['-5', 'repayments.1.amount'], [null, 'amount']] as const)('%s is refused, naming %s', (text, field) => {
    expect(() => assertPositiveAmount(text === null ? null : new Decimal(text), field))
      .toThrow(expect.objectContaining({ name: 'InvalidField', field, message: 'amount must be more than zero and less than 10^15' }));
  });
});
