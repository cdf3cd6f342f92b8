import { describe, expect, it } from 'vitest';
import { dateOfBirthProblem, OLDEST_AGE_YEARS } from '../../../src/domain/origination/dateOfBirth.js';

describe('dateOfBirthProblem', () => {
  it.each([
    ['1990-12-10', '2026-12-01'],
    ['2026-12-01', '2026-12-01'],
    ['1896-12-01', '2026-12-01'],
    ['1896-02-29', '2026-02-28'],
  ])('accepts %s on %s', (born, asOf) => {
    expect(dateOfBirthProblem(born, asOf)).toBeNull();
  });

  it.each([
    ['2026-12-02', '2026-12-01', 'may not be after 2026-12-01'],
    ['9999-12-31', '2026-12-01', 'may not be after 2026-12-01'],
    ['1896-11-30', '2026-12-01', `may not be more than ${OLDEST_AGE_YEARS} years before 2026-12-01`],
    ['1800-01-01', '2026-12-01', `may not be more than ${OLDEST_AGE_YEARS} years before 2026-12-01`],
    ['0001-01-01', '2026-12-01', 'must be a date'],
    ['2026-02-30', '2026-12-01', 'must be a date'],
    ['1990-1-1', '2026-12-01', 'must be a date'],
  ])('refuses %s on %s', (born, asOf, why) => {
    expect(dateOfBirthProblem(born, asOf)).toContain(why);
  });
});
