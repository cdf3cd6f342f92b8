// Currencies and their minor units come from ISO 4217 list one, never from the runtime's locale data. The list is
// read here straight from the ISO file the pinned `currency-codes` package ships (iso-4217-list-one.xml), so the
// test checks the package's table against ISO's own text as well as the code against the table.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CURRENCY_MINOR_UNITS, formatMoney, isCurrency, ISO_4217_PUBLISHED, minorUnits, money, parseMoney } from '../../src/domain/money.js';

interface ListOneEntry { code: string; minorUnits: number | 'N.A.'; fund: boolean }

function listOne(): { published: string; entries: ListOneEntry[] } {
  const xmlPath = createRequire(import.meta.url).resolve('currency-codes/iso-4217-list-one.xml');
  const xml = readFileSync(xmlPath, 'utf8');
  const published = /<ISO_4217 Pblshd="([\d-]+)">/.exec(xml)![1]!;
  const entries: ListOneEntry[] = [];
  for (const [, body] of xml.matchAll(/<CcyNtry>([\s\S]*?)<\/CcyNtry>/g)) {
    const code = /<Ccy>([A-Z]{3})<\/Ccy>/.exec(body!)?.[1];
    if (!code) continue; // Antarctica and the like: a country with no universal currency
    const units = /<CcyMnrUnts>([^<]+)<\/CcyMnrUnts>/.exec(body!)![1]!;
    entries.push({ code, minorUnits: units === 'N.A.' ? 'N.A.' : Number(units), fund: /IsFund="true"/.test(body!) });
  }
  return { published, entries };
}

const iso = listOne();
const active = [...new Map(iso.entries.filter((e) => e.minorUnits !== 'N.A.' && !e.fund).map((e) => [e.code, e.minorUnits as number])).entries()];

describe('ISO 4217 currencies', () => {
  it('follows the list ISO published, as the pinned package ships it', () => {
    expect(ISO_4217_PUBLISHED).toBe(iso.published);
    expect(iso.published).toBe('2024-06-25');
    // Well over 150 circulating currencies; a truncated file would show here.
    expect(active.length).toBeGreaterThan(150);
    expect([...CURRENCY_MINOR_UNITS.keys()].sort()).toEqual(active.map(([code]) => code).sort());
  });

  it.each(active)('%s has the minor units ISO 4217 gives it (%i), and its amounts go out and come back', (code, units) => {
    expect(isCurrency(code)).toBe(true);
    expect(minorUnits(code)).toBe(units);
    const smallest = units === 0 ? '1' : `0.${'0'.repeat(units - 1)}1`;
    const fraction = (digit: string) => (units === 0 ? '' : `.${digit.repeat(units)}`);
    for (const amount of [`1234567${fraction('0')}`, `1234567${fraction('9')}`, smallest, `-${smallest}`]) {
      const text = formatMoney(money(amount, code));
      expect(text).toBe(`${amount} ${code}`);
      expect(formatMoney(parseMoney(text)!)).toBe(text);
    }
    // One digit past the currency's minor units is not an amount of it.
    expect(parseMoney(`1.${'0'.repeat(units)}1 ${code}`)).toBeNull();
  });

  it.each([
    // Where the locale data Node ships says 0 (it is how those currencies are displayed, not their minor units).
    ['IDR', 2], ['PKR', 2], ['COP', 2], ['HUF', 2], ['IQD', 3],
    ['JPY', 0], ['KWD', 3], ['CLP', 0], ['BHD', 3], ['USD', 2], ['EUR', 2], ['INR', 2],
  ])('%s has %i minor units', (code, units) => {
    expect(minorUnits(code)).toBe(units);
    expect(active).toContainEqual([code, units]);
  });

  it.each([
    // Withdrawn: replaced or gone from list one (the locale data still knows them).
    'HRK', 'SLL', 'ZWL', 'VEF', 'LTL', 'DEM', 'FRF', 'ITL', 'BYR', 'MRO', 'STD', 'ZMK',
  ])('refuses the withdrawn code %s', (code) => {
    expect(iso.entries.some((e) => e.code === code)).toBe(false);
    expect(isCurrency(code)).toBe(false);
    expect(parseMoney(`1 ${code}`)).toBeNull();
    expect(() => minorUnits(code)).toThrow(/ISO 4217/);
  });

  it('refuses what ISO lists without minor units (metals, bond units, SDR, testing, no currency) and the funds codes', () => {
    const noMinorUnits = iso.entries.filter((e) => e.minorUnits === 'N.A.').map((e) => e.code);
    const funds = iso.entries.filter((e) => e.fund).map((e) => e.code);
    expect(noMinorUnits).toEqual(expect.arrayContaining(['XAU', 'XAG', 'XDR', 'XTS', 'XXX']));
    expect(funds).toEqual(expect.arrayContaining(['CLF', 'MXV', 'USN']));
    for (const code of [...noMinorUnits, ...funds]) {
      expect(isCurrency(code), code).toBe(false);
      expect(parseMoney(`1 ${code}`), code).toBeNull();
    }
    // The CFA francs and the CFP franc start with X too, and are money.
    for (const code of ['XAF', 'XOF', 'XPF', 'XCD']) expect(isCurrency(code), code).toBe(true);
  });

  it('never answers from locale data: money.ts has no Intl in it', () => {
    const source = readFileSync(new URL('../../src/domain/money.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/\bIntl\b/);
  });
});
