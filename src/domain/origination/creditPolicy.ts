// Credit policy as data. A product's policy is a versioned rule set: plain JSON a credit officer can read, diff and
// simulate, stored once per version and never edited in place (a change is a new version, activated through
// maker-checker). Evaluating a rule set is a pure function of the rule set and one input snapshot, so the decision
// record (rule-set version + snapshot + each rule's outcome) explains and reproduces the decision years later.
//
// Decisions (docs/origination-rules.md has the tables):
// - Every check is a rule with its own outcome when it fails (DECLINE or REFER) and a reason code; the same kind may
//   appear twice with different thresholds (DTI above 40 % refers, above 50 % declines).
// - Any failed DECLINE rule declines; otherwise any failed REFER rule refers; otherwise the policy approves. The
//   reasons given are those of the rules that produced the outcome, in the rule set's order, each code once — the
//   order a lender lists them in an adverse-action notice.
// - Ratios are compared as they are shown: DTI in percent at 2 decimals, the income multiple at 4 decimals, both
//   rounded half-up, so the observed figure on the decision record is the one that passed or failed.
// - Amounts are decimal strings (JSON has no decimals), read with the domain's Decimal and never as JS numbers.
import { InvalidField } from '../../errors.js';
import { Decimal, isCurrency, minorUnits } from '../money.js';

export type PolicyOutcome = 'APPROVE' | 'DECLINE' | 'REFER';
export type FailedRuleOutcome = 'DECLINE' | 'REFER';
export type KycOutcome = 'pass' | 'fail' | 'review';

/**
 * Reason codes and the words an adverse-action notice uses for them. Where one exists the wording is the sample
 * reason of Regulation B (12 CFR 1002), Appendix C, Form C-1, "Principal reason(s) for credit denial"; the others
 * are this platform's and say which check failed. A notice lists the first reasons (Reg B expects no more than four).
 */
export const REASON_CODES = {
  SCORE_BELOW_MINIMUM: 'Credit score below the minimum for this product',
  SCORE_BELOW_GRADE_BANDS: 'Credit score below every risk grade of this product',
  NO_CREDIT_FILE: 'No credit file',
  LIMITED_CREDIT_EXPERIENCE: 'Limited credit experience',
  EXCESSIVE_OBLIGATIONS: 'Excessive obligations in relation to income',
  INCOME_INSUFFICIENT_FOR_AMOUNT: 'Income insufficient for amount of credit requested',
  DELINQUENT_CREDIT_OBLIGATIONS: 'Delinquent past or present credit obligations with others',
  TOO_MANY_ENQUIRIES: 'Number of recent inquiries on credit bureau report',
  INCOME_NOT_VERIFIED: 'Unable to verify income',
  IDENTITY_NOT_VERIFIED: 'Unable to verify identity',
  AGE_OUTSIDE_POLICY: "Applicant's age outside the range this product lends to",
  DUPLICATE_APPLICATION: 'Another application for the same applicant is already open',
  APPLICATION_VELOCITY: 'Too many applications in a short period',
  AMOUNT_ABOVE_GRADE_LIMIT: "Amount requested above the limit for the applicant's risk grade",
} as const;
export type ReasonCode = keyof typeof REASON_CODES;

interface RuleCommon {
  /** Unique within the rule set; the decision record names rules by it. */
  id: string;
  outcomeIfFailed: FailedRuleOutcome;
  reasonCode: ReasonCode;
}

export type CreditRule = RuleCommon &
  (
    | { kind: 'minBureauScore'; min: number }
    /** (existing monthly debt payments + the new instalment) / monthly income, in percent: DTI, or FOIR in India. */
    | { kind: 'maxDebtToIncome'; maxPercent: string }
    /** Age in whole years on the application date, both ends included. */
    | { kind: 'applicantAge'; min: number; max: number }
    /** Requested amount ≤ multiple × annual income (12 × monthly income). */
    | { kind: 'maxIncomeMultiple'; multiple: string }
    /** Worst days past due on any bureau tradeline in the last 12 months. */
    | { kind: 'maxDelinquencyDays12m'; maxDays: number }
    | { kind: 'maxEnquiries6m'; max: number }
    | { kind: 'minOpenTradelines'; min: number }
    /** Fails when the identity check ended in one of these outcomes. */
    | { kind: 'kycOutcome'; failOn: KycOutcome[] }
    | { kind: 'incomeVerified' }
    /** Other open applications for the same party or identifiers (duplicates across parties). */
    | { kind: 'maxOpenApplications'; max: number }
    /** Applications for the same party or identifiers in the last `days` days, this one included (velocity). */
    | { kind: 'maxRecentApplications'; max: number; days: number }
    /** The bureau score falls in one of the rule set's grade bands. */
    | { kind: 'riskGradeAssigned' }
    /** The requested amount is within the grade's maximum. */
    | { kind: 'amountWithinGradeLimit' }
  );
export type CreditRuleKind = CreditRule['kind'];

export const CREDIT_RULE_KINDS: readonly CreditRuleKind[] = [
  'minBureauScore',
  'maxDebtToIncome',
  'applicantAge',
  'maxIncomeMultiple',
  'maxDelinquencyDays12m',
  'maxEnquiries6m',
  'minOpenTradelines',
  'kycOutcome',
  'incomeVerified',
  'maxOpenApplications',
  'maxRecentApplications',
  'riskGradeAssigned',
  'amountWithinGradeLimit',
];

export interface GradeBand {
  grade: string;
  /** A score at or above this (and below the better grade's) gets the grade. */
  minScore: number;
  /** The most the policy lends at this grade, in the rule set's currency. */
  maxAmount: string;
}

/** One version of a product's credit policy: JSON as stored. */
export interface CreditRuleSet {
  /** The policy's code, usually the product's. */
  policy: string;
  version: number;
  /** The currency of every amount in the rule set and in the inputs evaluated against it. */
  currency: string;
  /** Best grade first, minimum scores strictly falling. */
  grades: GradeBand[];
  rules: CreditRule[];
}

type Amount = string | Decimal;

/** Everything a decision looked at, as stored on the decision record. Amounts are in the rule set's currency. */
export interface PolicyInput {
  /** Whole years on the application date. */
  applicantAge: number;
  monthlyIncome: Amount;
  /** Existing monthly debt payments, without the loan applied for. */
  monthlyDebtPayments: Amount;
  requestedAmount: Amount;
  requestedTenorMonths: number;
  /** The monthly instalment of the loan applied for (its first level instalment, fees included). */
  instalment: Amount;
  bureau: {
    /** Null when the bureau has no file on the applicant. */
    score: number | null;
    openTradelines: number;
    /** Worst days past due in the last 12 months; 0 when always current. */
    worstDelinquency12m: number;
    enquiries6m: number;
  };
  kyc: KycOutcome;
  incomeVerified: boolean;
  duplicates: {
    /** Other open applications for the same party or identifiers. */
    openApplications: number;
    /** Applications in the last `windowDays` days, this one included. */
    applicationsLastDays: number;
    windowDays: number;
  };
}

export type ObservedValue = string | number | boolean | null;

export interface RuleResult {
  id: string;
  kind: CreditRuleKind;
  passed: boolean;
  /** What the rule saw: a score, a percentage, an outcome. */
  observed: ObservedValue;
  /** What it had to be, in words a credit officer reads: ">= 600", "<= 50 %". */
  threshold: string;
  outcomeIfFailed: FailedRuleOutcome;
  reasonCode: ReasonCode;
}

export interface PolicyReason {
  code: ReasonCode;
  message: string;
}

export interface PolicyDecision {
  policy: string;
  version: number;
  outcome: PolicyOutcome;
  reasons: PolicyReason[];
  riskGrade: string | null;
  /** The grade's maximum amount; zero without a grade. */
  maxAmount: string;
  rules: RuleResult[];
}

const HALF_UP = Decimal.ROUND_HALF_UP;

function amount(value: Amount): Decimal {
  return new Decimal(value);
}

/** The best grade whose minimum score the score reaches; none without a score or below every band. */
export function gradeFor(ruleSet: CreditRuleSet, score: number | null): GradeBand | null {
  if (score === null) return null;
  return ruleSet.grades.find((band) => score >= band.minScore) ?? null;
}

function evaluateRule(rule: CreditRule, input: PolicyInput, grade: GradeBand | null, currency: string): Omit<RuleResult, 'id' | 'kind' | 'outcomeIfFailed' | 'reasonCode'> {
  const places = minorUnits(currency);
  switch (rule.kind) {
    case 'minBureauScore': {
      const score = input.bureau.score;
      return { passed: score !== null && score >= rule.min, observed: score, threshold: `>= ${rule.min}` };
    }
    case 'maxDebtToIncome': {
      const income = amount(input.monthlyIncome);
      const threshold = `<= ${rule.maxPercent} %`;
      if (!income.gt(0)) return { passed: false, observed: null, threshold };
      const percent = amount(input.monthlyDebtPayments).plus(amount(input.instalment)).div(income).times(100).toDecimalPlaces(2, HALF_UP);
      return { passed: percent.lte(rule.maxPercent), observed: percent.toFixed(2), threshold };
    }
    case 'applicantAge':
      return { passed: input.applicantAge >= rule.min && input.applicantAge <= rule.max, observed: input.applicantAge, threshold: `${rule.min} to ${rule.max}` };
    case 'maxIncomeMultiple': {
      const annual = amount(input.monthlyIncome).times(12);
      const threshold = `<= ${rule.multiple} x annual income`;
      if (!annual.gt(0)) return { passed: false, observed: null, threshold };
      const multiple = amount(input.requestedAmount).div(annual).toDecimalPlaces(4, HALF_UP);
      return { passed: multiple.lte(rule.multiple), observed: multiple.toFixed(4), threshold };
    }
    case 'maxDelinquencyDays12m':
      return { passed: input.bureau.worstDelinquency12m <= rule.maxDays, observed: input.bureau.worstDelinquency12m, threshold: `<= ${rule.maxDays} days past due` };
    case 'maxEnquiries6m':
      return { passed: input.bureau.enquiries6m <= rule.max, observed: input.bureau.enquiries6m, threshold: `<= ${rule.max}` };
    case 'minOpenTradelines':
      return { passed: input.bureau.openTradelines >= rule.min, observed: input.bureau.openTradelines, threshold: `>= ${rule.min}` };
    case 'kycOutcome':
      return { passed: !rule.failOn.includes(input.kyc), observed: input.kyc, threshold: `not ${rule.failOn.join(' or ')}` };
    case 'incomeVerified':
      return { passed: input.incomeVerified, observed: input.incomeVerified, threshold: 'verified' };
    case 'maxOpenApplications':
      return { passed: input.duplicates.openApplications <= rule.max, observed: input.duplicates.openApplications, threshold: `<= ${rule.max}` };
    case 'maxRecentApplications':
      return {
        passed: input.duplicates.applicationsLastDays <= rule.max,
        observed: input.duplicates.applicationsLastDays,
        threshold: `<= ${rule.max} in ${rule.days} days`,
      };
    case 'riskGradeAssigned':
      return { passed: grade !== null, observed: grade?.grade ?? null, threshold: 'a risk grade' };
    case 'amountWithinGradeLimit': {
      const limit = grade ? new Decimal(grade.maxAmount) : new Decimal(0);
      const requested = amount(input.requestedAmount);
      return { passed: requested.lte(limit), observed: requested.toFixed(places), threshold: `<= ${limit.toFixed(places)}` };
    }
  }
}

/** The decision of `ruleSet` on `input`: deterministic, plain data, fit to store with the decision. */
export function evaluatePolicy(ruleSet: CreditRuleSet, input: PolicyInput): PolicyDecision {
  assertValidRuleSet(ruleSet);
  assertValidPolicyInput(input, ruleSet);
  const grade = gradeFor(ruleSet, input.bureau.score);
  const rules: RuleResult[] = ruleSet.rules.map((rule) => ({
    id: rule.id,
    kind: rule.kind,
    ...evaluateRule(rule, input, grade, ruleSet.currency),
    outcomeIfFailed: rule.outcomeIfFailed,
    reasonCode: rule.reasonCode,
  }));
  const failed = rules.filter((rule) => !rule.passed);
  const outcome: PolicyOutcome = failed.some((r) => r.outcomeIfFailed === 'DECLINE') ? 'DECLINE' : failed.length > 0 ? 'REFER' : 'APPROVE';
  const codes = [...new Set(failed.filter((r) => r.outcomeIfFailed === outcome).map((r) => r.reasonCode))];
  return {
    policy: ruleSet.policy,
    version: ruleSet.version,
    outcome,
    reasons: codes.map((code) => ({ code, message: REASON_CODES[code] })),
    riskGrade: grade?.grade ?? null,
    maxAmount: (grade ? new Decimal(grade.maxAmount) : new Decimal(0)).toFixed(minorUnits(ruleSet.currency)),
    rules,
  };
}

/** The window the velocity rules count over, so the service counts the same days the rules compare. */
export function velocityWindowDays(ruleSet: CreditRuleSet): number | null {
  for (const rule of ruleSet.rules) if (rule.kind === 'maxRecentApplications') return rule.days;
  return null;
}

export interface PastApplication {
  applicationId: string;
  input: PolicyInput;
  /** What was decided at the time. */
  outcome: PolicyOutcome;
}

export interface PolicyChange {
  applicationId: string;
  from: PolicyOutcome;
  to: PolicyOutcome;
  /** The draft's reasons for its outcome. */
  reasons: PolicyReason[];
}

export interface PolicySimulation {
  evaluated: number;
  changed: number;
  changes: PolicyChange[];
  /** How many moved from one outcome to another: { "APPROVE->DECLINE": 3 }. */
  byChange: Record<string, number>;
}

/** What a draft rule set would have decided on past applications, and which decisions it would change. */
export function simulatePolicy(draft: CreditRuleSet, past: readonly PastApplication[]): PolicySimulation {
  assertValidRuleSet(draft);
  const changes: PolicyChange[] = [];
  const byChange: Record<string, number> = {};
  past.forEach((application, index) => {
    let decision: PolicyDecision;
    try {
      decision = evaluatePolicy(draft, application.input);
    } catch (error) {
      if (error instanceof InvalidField) throw new InvalidField(`past[${index}].input.${error.field}`, error.message);
      throw error;
    }
    if (decision.outcome !== application.outcome) {
      changes.push({ applicationId: application.applicationId, from: application.outcome, to: decision.outcome, reasons: decision.reasons });
      const key = `${application.outcome}->${decision.outcome}`;
      byChange[key] = (byChange[key] ?? 0) + 1;
    }
  });
  return { evaluated: past.length, changed: changes.length, changes, byChange };
}

// ---- validation -------------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wholeNumber(value: unknown, field: string, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidField(field, `${field.split('.').at(-1)} must be a whole number from ${min} to ${max}`);
  }
}

function decimalText(value: unknown, field: string, places?: number): Decimal {
  let parsed: Decimal | null = null;
  if ((typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) || value instanceof Decimal) parsed = new Decimal(value);
  if (!parsed || !parsed.isFinite() || parsed.isNegative() || (places !== undefined && parsed.decimalPlaces() > places)) {
    const unit = places === undefined ? '' : ` in whole minor units (${places} decimals)`;
    throw new InvalidField(field, `${field.split('.').at(-1)} must be a decimal number of zero or more, written as a string${unit}`);
  }
  return parsed;
}

const OUTCOMES_IF_FAILED: readonly string[] = ['DECLINE', 'REFER'];
const KYC_OUTCOMES: readonly string[] = ['pass', 'fail', 'review'];
const MAX_SCORE = 1000;

/** Throws InvalidField naming the first part of a rule set (as stored JSON) that cannot be evaluated. */
export function assertValidRuleSet(ruleSet: unknown): asserts ruleSet is CreditRuleSet {
  if (!isRecord(ruleSet)) throw new InvalidField('ruleSet', 'a rule set is an object');
  if (typeof ruleSet.policy !== 'string' || ruleSet.policy.trim() === '') throw new InvalidField('policy', 'a rule set names its policy');
  wholeNumber(ruleSet.version, 'version', 1, Number.MAX_SAFE_INTEGER);
  if (typeof ruleSet.currency !== 'string' || !isCurrency(ruleSet.currency)) throw new InvalidField('currency', 'currency must be an ISO 4217 code');
  const places = minorUnits(ruleSet.currency);
  if (!Array.isArray(ruleSet.grades) || ruleSet.grades.length === 0) throw new InvalidField('grades', 'a rule set has at least one risk grade');
  const gradeNames = new Set<string>();
  const grades: unknown[] = ruleSet.grades;
  grades.forEach((band: unknown, k: number) => {
    const at = `grades[${k}]`;
    if (!isRecord(band)) throw new InvalidField(at, 'a grade band is an object');
    if (typeof band.grade !== 'string' || band.grade.trim() === '') throw new InvalidField(`${at}.grade`, 'a grade band names its grade');
    if (gradeNames.has(band.grade)) throw new InvalidField(`${at}.grade`, `grade ${band.grade} appears twice`);
    gradeNames.add(band.grade);
    wholeNumber(band.minScore, `${at}.minScore`, 0, MAX_SCORE);
    const previous = grades[k - 1] as GradeBand | undefined;
    if (previous && (band.minScore as number) >= previous.minScore) {
      throw new InvalidField(`${at}.minScore`, 'grades are listed best first, each with a lower minimum score than the one before');
    }
    decimalText(band.maxAmount, `${at}.maxAmount`, places);
  });
  if (!Array.isArray(ruleSet.rules)) throw new InvalidField('rules', 'rules is a list');
  const ids = new Set<string>();
  let velocityDays: number | null = null;
  ruleSet.rules.forEach((rule: unknown, k: number) => {
    const at = `rules[${k}]`;
    if (!isRecord(rule)) throw new InvalidField(at, 'a rule is an object');
    if (typeof rule.id !== 'string' || rule.id.trim() === '') throw new InvalidField(`${at}.id`, 'a rule has an id');
    if (ids.has(rule.id)) throw new InvalidField(`${at}.id`, `rule id ${rule.id} appears twice`);
    ids.add(rule.id);
    if (!CREDIT_RULE_KINDS.includes(rule.kind as CreditRuleKind)) throw new InvalidField(`${at}.kind`, `kind must be one of ${CREDIT_RULE_KINDS.join(', ')}`);
    if (!OUTCOMES_IF_FAILED.includes(rule.outcomeIfFailed as string)) throw new InvalidField(`${at}.outcomeIfFailed`, 'a failed rule declines or refers: DECLINE or REFER');
    if (typeof rule.reasonCode !== 'string' || !Object.hasOwn(REASON_CODES, rule.reasonCode)) {
      throw new InvalidField(`${at}.reasonCode`, 'the reason code must be one of the documented codes (docs/origination-rules.md)');
    }
    switch (rule.kind as CreditRuleKind) {
      case 'minBureauScore':
        return wholeNumber(rule.min, `${at}.min`, 0, MAX_SCORE);
      case 'maxDebtToIncome':
        return void decimalText(rule.maxPercent, `${at}.maxPercent`);
      case 'applicantAge':
        wholeNumber(rule.min, `${at}.min`, 0, 150);
        wholeNumber(rule.max, `${at}.max`, rule.min as number, 150);
        return;
      case 'maxIncomeMultiple':
        return void decimalText(rule.multiple, `${at}.multiple`);
      case 'maxDelinquencyDays12m':
        return wholeNumber(rule.maxDays, `${at}.maxDays`, 0, 10_000);
      case 'maxEnquiries6m':
      case 'maxOpenApplications':
        return wholeNumber(rule.max, `${at}.max`, 0, 10_000);
      case 'minOpenTradelines':
        return wholeNumber(rule.min, `${at}.min`, 0, 10_000);
      case 'kycOutcome':
        if (!Array.isArray(rule.failOn) || rule.failOn.length === 0 || rule.failOn.some((o) => !KYC_OUTCOMES.includes(o as string)) || rule.failOn.includes('pass')) {
          throw new InvalidField(`${at}.failOn`, 'failOn lists the identity outcomes that fail the rule: fail, review');
        }
        return;
      case 'maxRecentApplications':
        wholeNumber(rule.max, `${at}.max`, 1, 10_000);
        wholeNumber(rule.days, `${at}.days`, 1, 3660);
        if (velocityDays !== null && rule.days !== velocityDays) {
          throw new InvalidField(`${at}.days`, 'velocity rules share one window: the input counts applications over one number of days');
        }
        velocityDays = rule.days as number;
        return;
      case 'incomeVerified':
      case 'riskGradeAssigned':
      case 'amountWithinGradeLimit':
        return;
    }
  });
}

/** Throws InvalidField naming the first field of an input snapshot that cannot be evaluated against `ruleSet`. */
export function assertValidPolicyInput(input: unknown, ruleSet: CreditRuleSet): asserts input is PolicyInput {
  if (!isRecord(input)) throw new InvalidField('input', 'the input snapshot is an object');
  const places = minorUnits(ruleSet.currency);
  wholeNumber(input.applicantAge, 'applicantAge', 0, 150);
  decimalText(input.monthlyIncome, 'monthlyIncome', places);
  decimalText(input.monthlyDebtPayments, 'monthlyDebtPayments', places);
  if (!decimalText(input.requestedAmount, 'requestedAmount', places).gt(0)) throw new InvalidField('requestedAmount', 'the requested amount must be more than zero');
  wholeNumber(input.requestedTenorMonths, 'requestedTenorMonths', 1, 1200);
  decimalText(input.instalment, 'instalment', places);
  const bureau = input.bureau;
  if (!isRecord(bureau)) throw new InvalidField('bureau', 'the bureau result is an object');
  if (bureau.score !== null) wholeNumber(bureau.score, 'bureau.score', 0, MAX_SCORE);
  wholeNumber(bureau.openTradelines, 'bureau.openTradelines', 0, 100_000);
  wholeNumber(bureau.worstDelinquency12m, 'bureau.worstDelinquency12m', 0, 100_000);
  wholeNumber(bureau.enquiries6m, 'bureau.enquiries6m', 0, 100_000);
  if (!KYC_OUTCOMES.includes(input.kyc as string)) throw new InvalidField('kyc', 'the identity check outcome is pass, fail or review');
  if (typeof input.incomeVerified !== 'boolean') throw new InvalidField('incomeVerified', 'incomeVerified is true or false');
  const duplicates = input.duplicates;
  if (!isRecord(duplicates)) throw new InvalidField('duplicates', 'the duplicate-application counts are an object');
  wholeNumber(duplicates.openApplications, 'duplicates.openApplications', 0, 100_000);
  wholeNumber(duplicates.applicationsLastDays, 'duplicates.applicationsLastDays', 0, 100_000);
  wholeNumber(duplicates.windowDays, 'duplicates.windowDays', 1, 3660);
  const window = velocityWindowDays(ruleSet);
  if (window !== null && duplicates.windowDays !== window) {
    throw new InvalidField('duplicates.windowDays', `the velocity rules count applications over ${window} days; the input counted over ${duplicates.windowDays as number}`);
  }
}

// ---- the sandbox policy -----------------------------------------------------------------------------------------

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The policy sandbox tenants start with (USD), and the one the docs and tests walk through. Read-only: copy it
 * (structuredClone) to make a draft.
 */
export const SANDBOX_CREDIT_POLICY: CreditRuleSet = deepFreeze({
  policy: 'sandbox-personal-loan',
  version: 1,
  currency: 'USD',
  grades: [
    { grade: 'A', minScore: 750, maxAmount: '50000.00' },
    { grade: 'B', minScore: 700, maxAmount: '25000.00' },
    { grade: 'C', minScore: 650, maxAmount: '10000.00' },
    { grade: 'D', minScore: 600, maxAmount: '5000.00' },
  ],
  rules: [
    { id: 'identity-failed', kind: 'kycOutcome', failOn: ['fail'], outcomeIfFailed: 'DECLINE', reasonCode: 'IDENTITY_NOT_VERIFIED' },
    { id: 'identity-in-review', kind: 'kycOutcome', failOn: ['review'], outcomeIfFailed: 'REFER', reasonCode: 'IDENTITY_NOT_VERIFIED' },
    { id: 'age', kind: 'applicantAge', min: 18, max: 70, outcomeIfFailed: 'DECLINE', reasonCode: 'AGE_OUTSIDE_POLICY' },
    { id: 'score', kind: 'minBureauScore', min: 600, outcomeIfFailed: 'DECLINE', reasonCode: 'SCORE_BELOW_MINIMUM' },
    { id: 'grade', kind: 'riskGradeAssigned', outcomeIfFailed: 'DECLINE', reasonCode: 'SCORE_BELOW_GRADE_BANDS' },
    { id: 'delinquency-serious', kind: 'maxDelinquencyDays12m', maxDays: 60, outcomeIfFailed: 'DECLINE', reasonCode: 'DELINQUENT_CREDIT_OBLIGATIONS' },
    { id: 'delinquency', kind: 'maxDelinquencyDays12m', maxDays: 30, outcomeIfFailed: 'REFER', reasonCode: 'DELINQUENT_CREDIT_OBLIGATIONS' },
    { id: 'dti-ceiling', kind: 'maxDebtToIncome', maxPercent: '50', outcomeIfFailed: 'DECLINE', reasonCode: 'EXCESSIVE_OBLIGATIONS' },
    { id: 'dti', kind: 'maxDebtToIncome', maxPercent: '40', outcomeIfFailed: 'REFER', reasonCode: 'EXCESSIVE_OBLIGATIONS' },
    { id: 'income-multiple', kind: 'maxIncomeMultiple', multiple: '1', outcomeIfFailed: 'REFER', reasonCode: 'INCOME_INSUFFICIENT_FOR_AMOUNT' },
    { id: 'enquiries', kind: 'maxEnquiries6m', max: 6, outcomeIfFailed: 'REFER', reasonCode: 'TOO_MANY_ENQUIRIES' },
    { id: 'thin-file', kind: 'minOpenTradelines', min: 1, outcomeIfFailed: 'REFER', reasonCode: 'LIMITED_CREDIT_EXPERIENCE' },
    { id: 'income-verified', kind: 'incomeVerified', outcomeIfFailed: 'REFER', reasonCode: 'INCOME_NOT_VERIFIED' },
    { id: 'duplicates', kind: 'maxOpenApplications', max: 0, outcomeIfFailed: 'REFER', reasonCode: 'DUPLICATE_APPLICATION' },
    { id: 'velocity', kind: 'maxRecentApplications', max: 3, days: 30, outcomeIfFailed: 'DECLINE', reasonCode: 'APPLICATION_VELOCITY' },
    { id: 'amount-band', kind: 'amountWithinGradeLimit', outcomeIfFailed: 'REFER', reasonCode: 'AMOUNT_ABOVE_GRADE_LIMIT' },
  ],
} satisfies CreditRuleSet);
