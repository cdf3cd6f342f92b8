// Whether a date of birth can be a living applicant's: not after the day it is given, and not more than
// OLDEST_AGE_YEARS before it. Products' own age rules (a minimum age to borrow) belong to the credit policy.
import { isBusinessDate } from '../businessDate.js';

export const OLDEST_AGE_YEARS = 130;

/** Why `dateOfBirth` is implausible on `asOf` (both YYYY-MM-DD), or null when it is plausible. */
export function dateOfBirthProblem(dateOfBirth: string, asOf: string): string | null {
  if (!isBusinessDate(dateOfBirth)) return 'dateOfBirth must be a date (YYYY-MM-DD)';
  if (dateOfBirth > asOf) return `dateOfBirth may not be after ${asOf}`;
  const oldest = `${String(Number(asOf.slice(0, 4)) - OLDEST_AGE_YEARS).padStart(4, '0')}${asOf.slice(4)}`;
  if (dateOfBirth < oldest) return `dateOfBirth may not be more than ${OLDEST_AGE_YEARS} years before ${asOf}`;
  return null;
}
