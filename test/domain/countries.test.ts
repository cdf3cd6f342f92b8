// A country is one of the 249 codes ISO 3166-1 has assigned: read against the runtime's own region names, which
// also name what ISO only reserves or leaves to users, so neither list can drift unseen.
import { describe, expect, it } from 'vitest';
import { isCountry } from '../../src/domain/countries.js';

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const everyPair = [...letters].flatMap((a) => [...letters].map((b) => a + b));

describe('countries', () => {
  it('takes the 249 assigned ISO 3166-1 alpha-2 codes, each of which the runtime names as a region', () => {
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    const countries = everyPair.filter(isCountry);
    expect(countries).toHaveLength(249);
    expect(countries.filter((code) => names.of(code) === undefined)).toEqual([]);
    for (const code of ['US', 'IN', 'GB', 'KE', 'SS', 'CW', 'BQ', 'SX', 'AX', 'PS', 'TW', 'VA']) expect(isCountry(code), code).toBe(true);
  });

  it('refuses what the runtime names but ISO has not assigned: reserved, withdrawn and user-assigned codes, and unknown ones', () => {
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    const namedNotAssigned = everyPair.filter((code) => names.of(code) !== undefined && !isCountry(code));
    expect(namedNotAssigned).toEqual(expect.arrayContaining(['AC', 'EU', 'UK', 'UN', 'XK', 'QO', 'ZZ', 'YU', 'SU', 'AN']));
    for (const code of ['QQ', 'XX', 'ZZ', 'EU', 'UK', 'XK', 'us', 'Us', 'USA', 'U', '', ' US']) expect(isCountry(code), code).toBe(false);
  });
});
