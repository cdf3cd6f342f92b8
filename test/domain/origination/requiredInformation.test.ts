// What the checks need, by table: each piece of applicant data missing alone is named, all missing are named in
// the order a form asks for them, and nothing missing names nothing.
import { describe, expect, it } from 'vitest';
import { describeMissing, missingForChecks, type InformationOnFile } from '../../../src/domain/origination/requiredInformation.js';

const COMPLETE: InformationOnFile = { dateOfBirth: true, nationalId: true, phone: true, email: true, address: true, declaredMonthlyIncome: true, employer: true };

describe('information the checks need', () => {
  it.each([
    ['dateOfBirth', 'applicant.dateOfBirth'],
    ['nationalId', 'applicant.identifiers'],
    ['phone', 'applicant.phone'],
    ['email', 'applicant.email'],
    ['address', 'applicant.address'],
    ['declaredMonthlyIncome', 'declaredMonthlyIncome'],
    ['employer', 'employer'],
  ] as const)('without %s, names %s', (onFile, field) => {
    expect(missingForChecks({ ...COMPLETE, [onFile]: false })).toEqual([field]);
  });

  it('names nothing when everything is on file, and everything in form order when nothing is', () => {
    expect(missingForChecks(COMPLETE)).toEqual([]);
    const none = Object.fromEntries(Object.keys(COMPLETE).map((k) => [k, false])) as unknown as InformationOnFile;
    expect(missingForChecks(none)).toEqual([
      'applicant.dateOfBirth', 'applicant.identifiers', 'applicant.phone', 'applicant.email', 'applicant.address', 'declaredMonthlyIncome', 'employer',
    ]);
  });

  it('says it in one sentence', () => {
    expect(describeMissing(['employer'])).toBe('the checks need employer');
    expect(describeMissing(['applicant.phone', 'applicant.address', 'employer'])).toBe('the checks need applicant.phone, applicant.address and employer');
    // Which identifier: a tax id or a passport alone does not do.
    expect(describeMissing(['applicant.identifiers'])).toBe('the checks need applicant.identifiers (a NATIONAL_ID)');
  });
});
