// The authority matrix: who may approve which amount at which grade, both sides of every limit, the reasons given,
// and validation naming the field.
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import {
  assertValidAuthorityMatrix,
  mayApprove,
  SANDBOX_AUTHORITY_MATRIX,
} from '../../../src/domain/origination/approvalAuthority.js';

const matrix = SANDBOX_AUTHORITY_MATRIX;

describe('mayApprove', () => {
  // [levels held, amount, grade, allowed, level or levels that may]
  const cases: [string[], string, string | null, boolean, string | string[]][] = [
    [['underwriter'], '10000.00', 'A', true, 'underwriter'],
    [['underwriter'], '10000.00', 'C', true, 'underwriter'],
    [['underwriter'], '10000.01', 'B', false, ['senior_underwriter', 'credit_committee']],
    [['underwriter'], '500.00', 'D', false, ['senior_underwriter', 'credit_committee']],
    [['senior_underwriter'], '25000.00', 'B', true, 'senior_underwriter'],
    [['senior_underwriter'], '15000.01', 'C', false, ['credit_committee']],
    [['senior_underwriter'], '5000.00', 'D', true, 'senior_underwriter'],
    [['senior_underwriter'], '5000.01', 'D', false, ['credit_committee']],
    [['credit_committee'], '1000000.00', 'D', true, 'credit_committee'],
    [['credit_committee'], '3000.00', null, true, 'credit_committee'],
    [['underwriter'], '3000.00', null, false, ['credit_committee']],
    // Two levels held: the one that allows it answers.
    [['underwriter', 'senior_underwriter'], '20000.00', 'A', true, 'senior_underwriter'],
    [['underwriter', 'senior_underwriter'], '9000.00', 'A', true, 'senior_underwriter'],
    [['loan_officer'], '100.00', 'A', false, ['underwriter', 'senior_underwriter', 'credit_committee']],
    [[], '100.00', 'A', false, ['underwriter', 'senior_underwriter', 'credit_committee']],
  ];

  it.each(cases)('%j approving %s at grade %s', (levels, amount, grade, allowed, who) => {
    const answer = mayApprove(matrix, levels, amount, grade);
    expect(answer.allowed).toBe(allowed);
    if (answer.allowed) expect(answer.level).toBe(who);
    else expect(answer.levelsThatMay).toEqual(who);
  });

  it('says the limit granted, and why not in words', () => {
    expect(mayApprove(matrix, ['underwriter'], '2500', 'B')).toEqual({ allowed: true, level: 'underwriter', limit: '10000.00' });
    expect(mayApprove(matrix, ['credit_committee'], '2500', 'B')).toEqual({ allowed: true, level: 'credit_committee', limit: null });
    expect(mayApprove(matrix, ['underwriter'], '12000', 'B')).toEqual({
      allowed: false,
      reason: '12000.00 USD at grade B is beyond this approver\'s authority (underwriter may approve up to 10000.00 at grade B); senior_underwriter or credit_committee may',
      levelsThatMay: ['senior_underwriter', 'credit_committee'],
    });
    expect(mayApprove(matrix, ['underwriter'], '500', 'D')).toMatchObject({ reason: expect.stringContaining('underwriter may not approve at grade D') });
    expect(mayApprove(matrix, ['auditor'], '500', 'A')).toMatchObject({ reason: expect.stringContaining('no approval authority') });
  });

  it('refuses an amount of zero', () => {
    expect(() => mayApprove(matrix, ['underwriter'], '0', 'A')).toThrow(expect.objectContaining({ field: 'amount' }) as unknown as Error);
  });
});

describe('authority matrix validation', () => {
  it.each([
    ['no levels', { ...matrix, levels: [] }, 'levels'],
    ['a level twice', { ...matrix, levels: [matrix.levels[0], matrix.levels[0]] }, 'levels[1].level'],
    ['a limit as a number', { ...matrix, levels: [{ level: 'underwriter', maxAmountByGrade: { A: 10000 } }] }, 'levels[0].maxAmountByGrade.A'],
    ['a limit in tenths of a cent', { ...matrix, levels: [{ level: 'underwriter', maxAmountByGrade: { A: '1.001' } }] }, 'levels[0].maxAmountByGrade.A'],
    ['a currency', { ...matrix, currency: 'usd' }, 'currency'],
  ] as [string, unknown, string][])('names the field: %s', (_name, bad, field) => {
    expect(() => assertValidAuthorityMatrix(bad)).toThrow(InvalidField);
    expect(() => assertValidAuthorityMatrix(bad)).toThrow(expect.objectContaining({ field }) as unknown as Error);
  });

  it('is JSON', () => expect(JSON.parse(JSON.stringify(matrix))).toEqual(matrix));
});
