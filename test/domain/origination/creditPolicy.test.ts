// Credit policy: the sandbox rule set against one applicant changed one fact at a time, every boundary both sides,
// the reason codes an adverse-action notice would carry, validation naming the field, simulation of a draft, and
// properties: a stored snapshot reproduces its decision after a JSON round trip; a better score never worsens it.
//
// No published table exists for a lender's own policy, so each expected figure is worked out next to its case.
// The wording of the reason codes follows Regulation B (12 CFR 1002), Appendix C, Form C-1, "Principal reason(s)
// for credit denial": https://www.consumerfinance.gov/rules-policy/regulations/1002/c/
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal } from '../../../src/domain/money.js';
import {
  assertValidRuleSet,
  evaluatePolicy,
  REASON_CODES,
  SANDBOX_CREDIT_POLICY,
  simulatePolicy,
  velocityWindowDays,
  type CreditRuleSet,
  type PolicyInput,
  type PolicyOutcome,
} from '../../../src/domain/origination/creditPolicy.js';

/** Score 720 (grade B, up to 25,000); DTI (600 + 700) / 4,000 = 32.50 %; 12,000 / 48,000 = 0.2500 × annual income. */
const APPLICANT: PolicyInput = {
  applicantAge: 35,
  monthlyIncome: '4000.00',
  monthlyDebtPayments: '600.00',
  requestedAmount: '12000.00',
  requestedTenorMonths: 24,
  instalment: '700.00',
  bureau: { score: 720, openTradelines: 3, worstDelinquency12m: 0, enquiries6m: 2 },
  kyc: 'pass',
  incomeVerified: true,
  duplicates: { openApplications: 0, applicationsLastDays: 1, windowDays: 30 },
};

type Change = { [K in keyof PolicyInput]?: PolicyInput[K] extends object ? Partial<PolicyInput[K]> : PolicyInput[K] };

function applicant(change: Change = {}): PolicyInput {
  return {
    ...APPLICANT,
    ...(change as Partial<PolicyInput>),
    bureau: { ...APPLICANT.bureau, ...change.bureau },
    duplicates: { ...APPLICANT.duplicates, ...change.duplicates },
  };
}

function decide(change: Change = {}) {
  return evaluatePolicy(SANDBOX_CREDIT_POLICY, applicant(change));
}

describe('the sandbox policy, one fact at a time', () => {
  it('approves the applicant as is, grade B, every rule passed with what it saw', () => {
    const decision = decide();
    expect(decision).toMatchObject({ policy: 'sandbox-personal-loan', version: 1, outcome: 'APPROVE', reasons: [], riskGrade: 'B', maxAmount: '25000.00' });
    expect(decision.rules.map((r) => [r.id, r.passed, r.observed, r.threshold])).toEqual([
      ['identity-failed', true, 'pass', 'not fail'],
      ['identity-in-review', true, 'pass', 'not review'],
      ['age', true, 35, '18 to 70'],
      ['score', true, 720, '>= 600'],
      ['grade', true, 'B', 'a risk grade'],
      ['delinquency-serious', true, 0, '<= 60 days past due'],
      ['delinquency', true, 0, '<= 30 days past due'],
      ['dti-ceiling', true, '32.50', '<= 50 %'],
      ['dti', true, '32.50', '<= 40 %'],
      ['income-multiple', true, '0.2500', '<= 1 x annual income'],
      ['enquiries', true, 2, '<= 6'],
      ['thin-file', true, 3, '>= 1'],
      ['income-verified', true, true, 'verified'],
      ['duplicates', true, 0, '<= 0'],
      ['velocity', true, 1, '<= 3 in 30 days'],
      ['amount-band', true, '12000.00', '<= 25000.00'],
    ]);
  });

  // [case, change, outcome, reason codes, risk grade]
  const cases: [string, Change, PolicyOutcome, string[], string | null][] = [
    ['identity check failed', { kyc: 'fail' }, 'DECLINE', ['IDENTITY_NOT_VERIFIED'], 'B'],
    ['identity check sent to review', { kyc: 'review' }, 'REFER', ['IDENTITY_NOT_VERIFIED'], 'B'],
    ['age 17', { applicantAge: 17 }, 'DECLINE', ['AGE_OUTSIDE_POLICY'], 'B'],
    ['age 18 (lowest allowed)', { applicantAge: 18 }, 'APPROVE', [], 'B'],
    ['age 70 (highest allowed)', { applicantAge: 70 }, 'APPROVE', [], 'B'],
    ['age 71', { applicantAge: 71 }, 'DECLINE', ['AGE_OUTSIDE_POLICY'], 'B'],
    ['score 599: below the minimum and every grade', { bureau: { score: 599 } }, 'DECLINE', ['SCORE_BELOW_MINIMUM', 'SCORE_BELOW_GRADE_BANDS'], null],
    ['no credit file', { bureau: { score: null } }, 'DECLINE', ['SCORE_BELOW_MINIMUM', 'SCORE_BELOW_GRADE_BANDS'], null],
    ['score 600: grade D, 12,000 above its 5,000', { bureau: { score: 600 } }, 'REFER', ['AMOUNT_ABOVE_GRADE_LIMIT'], 'D'],
    ['score 600 asking 5,000: grade D, within', { bureau: { score: 600 }, requestedAmount: '5000.00' }, 'APPROVE', [], 'D'],
    ['score 649: still D', { bureau: { score: 649 }, requestedAmount: '5000.00' }, 'APPROVE', [], 'D'],
    ['score 650: C', { bureau: { score: 650 } }, 'REFER', ['AMOUNT_ABOVE_GRADE_LIMIT'], 'C'],
    ['score 700: B', { bureau: { score: 700 } }, 'APPROVE', [], 'B'],
    ['score 750: A', { bureau: { score: 750 } }, 'APPROVE', [], 'A'],
    ['30 days past due (allowed)', { bureau: { worstDelinquency12m: 30 } }, 'APPROVE', [], 'B'],
    ['31 days past due', { bureau: { worstDelinquency12m: 31 } }, 'REFER', ['DELINQUENT_CREDIT_OBLIGATIONS'], 'B'],
    ['60 days past due', { bureau: { worstDelinquency12m: 60 } }, 'REFER', ['DELINQUENT_CREDIT_OBLIGATIONS'], 'B'],
    ['61 days past due: both rules fail, the reason once', { bureau: { worstDelinquency12m: 61 } }, 'DECLINE', ['DELINQUENT_CREDIT_OBLIGATIONS'], 'B'],
    // DTI in percent at 2 decimals, half-up: (600 + 1000) / 4000 = 40.00 %; (600 + 1000.19) / 4000 = 40.00475 % → 40.00;
    // (600 + 1000.20) / 4000 = 40.005 % → 40.01; (600 + 1400.20) / 4000 = 50.005 % → 50.01.
    ['DTI 40.00 %', { instalment: '1000.00' }, 'APPROVE', [], 'B'],
    ['DTI 40.00475 % shows and counts as 40.00', { instalment: '1000.19' }, 'APPROVE', [], 'B'],
    ['DTI 40.005 % is 40.01', { instalment: '1000.20' }, 'REFER', ['EXCESSIVE_OBLIGATIONS'], 'B'],
    ['DTI 50.00 %', { instalment: '1400.00' }, 'REFER', ['EXCESSIVE_OBLIGATIONS'], 'B'],
    ['DTI 50.005 % is 50.01', { instalment: '1400.20' }, 'DECLINE', ['EXCESSIVE_OBLIGATIONS'], 'B'],
    ['no income: no DTI, no multiple', { monthlyIncome: '0.00' }, 'DECLINE', ['EXCESSIVE_OBLIGATIONS'], 'B'],
    // Grade A (score 780) lends up to 50,000; annual income 48,000. 48,002 / 48,000 = 1.0000417 → 1.0000;
    // 48,003 / 48,000 = 1.0000625 → 1.0001.
    ['amount 1 × annual income', { bureau: { score: 780 }, requestedAmount: '48000.00' }, 'APPROVE', [], 'A'],
    ['amount 1.0000417 × shows and counts as 1.0000', { bureau: { score: 780 }, requestedAmount: '48002.00' }, 'APPROVE', [], 'A'],
    ['amount 1.0001 × annual income', { bureau: { score: 780 }, requestedAmount: '48003.00' }, 'REFER', ['INCOME_INSUFFICIENT_FOR_AMOUNT'], 'A'],
    ['amount 25,000 at grade B (its maximum)', { requestedAmount: '25000.00' }, 'APPROVE', [], 'B'],
    ['amount 25,000.01 at grade B', { requestedAmount: '25000.01' }, 'REFER', ['AMOUNT_ABOVE_GRADE_LIMIT'], 'B'],
    ['6 enquiries in 6 months', { bureau: { enquiries6m: 6 } }, 'APPROVE', [], 'B'],
    ['7 enquiries in 6 months', { bureau: { enquiries6m: 7 } }, 'REFER', ['TOO_MANY_ENQUIRIES'], 'B'],
    ['no open tradeline', { bureau: { openTradelines: 0 } }, 'REFER', ['LIMITED_CREDIT_EXPERIENCE'], 'B'],
    ['income not verified', { incomeVerified: false }, 'REFER', ['INCOME_NOT_VERIFIED'], 'B'],
    ['another application open', { duplicates: { openApplications: 1 } }, 'REFER', ['DUPLICATE_APPLICATION'], 'B'],
    ['3 applications in 30 days', { duplicates: { applicationsLastDays: 3 } }, 'APPROVE', [], 'B'],
    ['4 applications in 30 days', { duplicates: { applicationsLastDays: 4 } }, 'DECLINE', ['APPLICATION_VELOCITY'], 'B'],
    [
      'referrals and declines together: declined for the declining reasons only',
      { incomeVerified: false, bureau: { enquiries6m: 9, worstDelinquency12m: 90 }, applicantAge: 16 },
      'DECLINE',
      ['AGE_OUTSIDE_POLICY', 'DELINQUENT_CREDIT_OBLIGATIONS'],
      'B',
    ],
    [
      'several referrals: every reason, in the rule set order',
      { incomeVerified: false, bureau: { enquiries6m: 9, openTradelines: 0 }, kyc: 'review' },
      'REFER',
      ['IDENTITY_NOT_VERIFIED', 'TOO_MANY_ENQUIRIES', 'LIMITED_CREDIT_EXPERIENCE', 'INCOME_NOT_VERIFIED'],
      'B',
    ],
  ];

  it.each(cases)('%s', (_name, change, outcome, codes, grade) => {
    const decision = decide(change);
    expect(decision.outcome).toBe(outcome);
    expect(decision.reasons.map((r) => r.code)).toEqual(codes);
    expect(decision.reasons.every((r) => r.message === REASON_CODES[r.code])).toBe(true);
    expect(decision.riskGrade).toBe(grade);
  });

  it('gives no grade a zero maximum', () => {
    expect(decide({ bureau: { score: 420 } }).maxAmount).toBe('0.00');
    expect(decide({ bureau: { score: 750 } }).maxAmount).toBe('50000.00');
  });

  it('uses the Reg B Form C-1 wording where the form has one', () => {
    expect(REASON_CODES.EXCESSIVE_OBLIGATIONS).toBe('Excessive obligations in relation to income');
    expect(REASON_CODES.DELINQUENT_CREDIT_OBLIGATIONS).toBe('Delinquent past or present credit obligations with others');
    expect(REASON_CODES.TOO_MANY_ENQUIRIES).toBe('Number of recent inquiries on credit bureau report');
    expect(REASON_CODES.INCOME_INSUFFICIENT_FOR_AMOUNT).toBe('Income insufficient for amount of credit requested');
    expect(REASON_CODES.INCOME_NOT_VERIFIED).toBe('Unable to verify income');
    expect(REASON_CODES.NO_CREDIT_FILE).toBe('No credit file');
    expect(REASON_CODES.LIMITED_CREDIT_EXPERIENCE).toBe('Limited credit experience');
  });

  it('is data: the sandbox rule set is JSON and cannot be edited in place', () => {
    expect(JSON.parse(JSON.stringify(SANDBOX_CREDIT_POLICY))).toEqual(SANDBOX_CREDIT_POLICY);
    expect(() => {
      (SANDBOX_CREDIT_POLICY.grades[0] as { maxAmount: string }).maxAmount = '1';
    }).toThrow(TypeError);
    expect(velocityWindowDays(SANDBOX_CREDIT_POLICY)).toBe(30);
  });

  it('refuses counts taken over a different window than the velocity rule', () => {
    expect(() => decide({ duplicates: { windowDays: 7 } })).toThrow(
      expect.objectContaining({ field: 'duplicates.windowDays' }) as unknown as Error,
    );
  });
});

describe('rule set and input validation', () => {
  type Edit = (rs: Record<string, any>) => void;
  const broken: [string, Edit, string][] = [
    ['no policy', (rs) => void (rs.policy = ''), 'policy'],
    ['version 0', (rs) => void (rs.version = 0), 'version'],
    ['version 1.5', (rs) => void (rs.version = 1.5), 'version'],
    ['currency', (rs) => void (rs.currency = 'XYZ'), 'currency'],
    ['no grades', (rs) => void (rs.grades = []), 'grades'],
    ['grades out of order', (rs) => void (rs.grades[2].minScore = 710), 'grades[2].minScore'],
    ['a grade twice', (rs) => void (rs.grades[1].grade = 'A'), 'grades[1].grade'],
    ['a maximum as a number', (rs) => void (rs.grades[0].maxAmount = 50000), 'grades[0].maxAmount'],
    ['a maximum in tenths of a cent', (rs) => void (rs.grades[0].maxAmount = '1.001'), 'grades[0].maxAmount'],
    ['a rule id twice', (rs) => void (rs.rules[1].id = 'identity-failed'), 'rules[1].id'],
    ['an unknown kind', (rs) => void (rs.rules[3].kind = 'minScore'), 'rules[3].kind'],
    ['an outcome that is not DECLINE or REFER', (rs) => void (rs.rules[3].outcomeIfFailed = 'APPROVE'), 'rules[3].outcomeIfFailed'],
    ['an undocumented reason code', (rs) => void (rs.rules[3].reasonCode = 'BAD_LUCK'), 'rules[3].reasonCode'],
    ['a score above 1000', (rs) => void (rs.rules[3].min = 1001), 'rules[3].min'],
    ['age max below min', (rs) => void (rs.rules[2].max = 17), 'rules[2].max'],
    ['DTI as a number', (rs) => void (rs.rules[7].maxPercent = 50), 'rules[7].maxPercent'],
    ['a negative multiple', (rs) => void (rs.rules[9].multiple = '-1'), 'rules[9].multiple'],
    ['kyc failing on pass', (rs) => void (rs.rules[0].failOn = ['pass']), 'rules[0].failOn'],
    [
      'two velocity windows',
      (rs) => void rs.rules.push({ id: 'velocity-7', kind: 'maxRecentApplications', max: 2, days: 7, outcomeIfFailed: 'REFER', reasonCode: 'APPLICATION_VELOCITY' }),
      `rules[${SANDBOX_CREDIT_POLICY.rules.length}].days`,
    ],
  ];

  it.each(broken)('names the field: %s', (_name, edit, field) => {
    const ruleSet = structuredClone(SANDBOX_CREDIT_POLICY) as Record<string, any>;
    edit(ruleSet);
    expect(() => assertValidRuleSet(ruleSet)).toThrow(InvalidField);
    expect(() => assertValidRuleSet(ruleSet)).toThrow(expect.objectContaining({ field }) as unknown as Error);
  });

  const badInputs: [string, Change, string][] = [
    ['a fractional age', { applicantAge: 35.5 }, 'applicantAge'],
    ['income as a number', { monthlyIncome: 4000 as unknown as string }, 'monthlyIncome'],
    ['a negative debt', { monthlyDebtPayments: '-1' }, 'monthlyDebtPayments'],
    ['nothing requested', { requestedAmount: '0' }, 'requestedAmount'],
    ['a tenor of 0', { requestedTenorMonths: 0 }, 'requestedTenorMonths'],
    ['a score of 1200', { bureau: { score: 1200 } }, 'bureau.score'],
    ['an unknown kyc outcome', { kyc: 'maybe' as 'pass' }, 'kyc'],
    ['income verified as text', { incomeVerified: 'yes' as unknown as boolean }, 'incomeVerified'],
    ['negative duplicates', { duplicates: { openApplications: -1 } }, 'duplicates.openApplications'],
  ];

  it.each(badInputs)('names the input field: %s', (_name, change, field) => {
    expect(() => decide(change)).toThrow(expect.objectContaining({ field }) as unknown as Error);
  });
});

describe('simulating a draft over past applications', () => {
  const past = [
    { applicationId: 'app-1', input: applicant(), outcome: 'APPROVE' as const },
    { applicationId: 'app-2', input: applicant({ bureau: { score: 660 }, requestedAmount: '8000.00' }), outcome: 'APPROVE' as const },
    { applicationId: 'app-3', input: applicant({ bureau: { score: 610 }, requestedAmount: '4000.00' }), outcome: 'APPROVE' as const },
    { applicationId: 'app-4', input: applicant({ kyc: 'fail' }), outcome: 'DECLINE' as const },
    { applicationId: 'app-5', input: applicant({ bureau: { enquiries6m: 8 } }), outcome: 'REFER' as const },
  ];

  it('changes nothing when the draft is the active version', () => {
    expect(simulatePolicy(SANDBOX_CREDIT_POLICY, past)).toEqual({ evaluated: 5, changed: 0, changes: [], byChange: {} });
  });

  it('says which decisions a stricter minimum score and a looser enquiry limit change, and why', () => {
    const draft = structuredClone(SANDBOX_CREDIT_POLICY) as CreditRuleSet;
    draft.version = 2;
    draft.rules = draft.rules.map((rule) =>
      rule.kind === 'minBureauScore' ? { ...rule, min: 650 } : rule.kind === 'maxEnquiries6m' ? { ...rule, max: 8 } : rule,
    );
    expect(simulatePolicy(draft, past)).toEqual({
      evaluated: 5,
      changed: 2,
      changes: [
        { applicationId: 'app-3', from: 'APPROVE', to: 'DECLINE', reasons: [{ code: 'SCORE_BELOW_MINIMUM', message: REASON_CODES.SCORE_BELOW_MINIMUM }] },
        { applicationId: 'app-5', from: 'REFER', to: 'APPROVE', reasons: [] },
      ],
      byChange: { 'APPROVE->DECLINE': 1, 'REFER->APPROVE': 1 },
    });
  });

  it('names the past application whose snapshot cannot be evaluated', () => {
    const bad = [...past, { applicationId: 'app-6', input: applicant({ applicantAge: -1 }), outcome: 'APPROVE' as const }];
    expect(() => simulatePolicy(SANDBOX_CREDIT_POLICY, bad)).toThrow(expect.objectContaining({ field: 'past[5].input.applicantAge' }) as unknown as Error);
  });
});

const cents = (max: number) => fc.integer({ min: 0, max }).map((minor) => new Decimal(minor).div(100).toFixed(2));

const inputs: fc.Arbitrary<PolicyInput> = fc.record({
  applicantAge: fc.integer({ min: 14, max: 90 }),
  monthlyIncome: cents(2_000_000),
  monthlyDebtPayments: cents(500_000),
  requestedAmount: cents(8_000_000).filter((a) => a !== '0.00'),
  requestedTenorMonths: fc.integer({ min: 1, max: 120 }),
  instalment: fc.oneof(cents(500_000), cents(500_000).map((a) => new Decimal(a))),
  bureau: fc.record({
    score: fc.option(fc.integer({ min: 300, max: 900 }), { nil: null }),
    openTradelines: fc.integer({ min: 0, max: 20 }),
    worstDelinquency12m: fc.integer({ min: 0, max: 180 }),
    enquiries6m: fc.integer({ min: 0, max: 15 }),
  }),
  kyc: fc.constantFrom('pass' as const, 'fail' as const, 'review' as const),
  incomeVerified: fc.boolean(),
  duplicates: fc.record({ openApplications: fc.integer({ min: 0, max: 3 }), applicationsLastDays: fc.integer({ min: 0, max: 6 }), windowDays: fc.constant(30) }),
});

const SEVERITY: Record<PolicyOutcome, number> = { APPROVE: 0, REFER: 1, DECLINE: 2 };

describe('policy properties', () => {
  it('reproduces a decision from its stored snapshot and rule-set version (JSON round trip)', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const decision = evaluatePolicy(SANDBOX_CREDIT_POLICY, input);
        const stored = JSON.parse(JSON.stringify({ ruleSet: SANDBOX_CREDIT_POLICY, input, decision })) as { ruleSet: CreditRuleSet; input: PolicyInput; decision: unknown };
        expect(evaluatePolicy(stored.ruleSet, stored.input)).toEqual(decision);
        expect(stored.decision).toEqual(decision);
      }),
    );
  });

  it('approves exactly when every rule passes, and gives reasons exactly when it does not approve', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const decision = evaluatePolicy(SANDBOX_CREDIT_POLICY, input);
        expect(decision.outcome === 'APPROVE').toBe(decision.rules.every((r) => r.passed));
        expect(decision.reasons.length > 0).toBe(decision.outcome !== 'APPROVE');
      }),
    );
  });

  it('never treats an applicant worse for a better score', () => {
    fc.assert(
      fc.property(inputs, fc.integer({ min: 300, max: 900 }), fc.integer({ min: 0, max: 300 }), (input, score, better) => {
        const low = evaluatePolicy(SANDBOX_CREDIT_POLICY, { ...input, bureau: { ...input.bureau, score } });
        const high = evaluatePolicy(SANDBOX_CREDIT_POLICY, { ...input, bureau: { ...input.bureau, score: Math.min(1000, score + better) } });
        expect(SEVERITY[high.outcome]).toBeLessThanOrEqual(SEVERITY[low.outcome]);
        expect(new Decimal(high.maxAmount).gte(low.maxAmount)).toBe(true);
      }),
    );
  });
});
