// Sandbox providers for sandbox tenants: no network, no state, and an answer that depends on the request alone, so
// a partner can reproduce every outcome on purpose and a test can assert it. docs/sandbox-providers.md is the
// partner's side of this file; SANDBOX_TRIGGERS is the one table both read, and a test holds them to each other.
//
// Outcomes are chosen by tags in the e-mail's local part (`ada+kyc-fail+bureau-thin@example.com`): the e-mail is
// the one field every channel lets a partner choose freely, tags combine one per check, and the party still
// reconciles normally. Without a tag for a check, KYC passes, income verifies close to what was declared, and the
// bureau returns a profile derived from a hash of the national ID, so different test people look different but the
// same person always looks the same.
//
// An async check needs to be answered later without any stored state, so everything its answer depends on travels
// inside its provider reference; sandboxCallback rebuilds the answer from that alone. Nothing personal goes in: a
// truncated hash of the national ID, the declared income, and our own check reference.
import { createHash } from 'node:crypto';
import { InvalidField } from '../../../errors.js';
import { Decimal, isCurrency, minorUnits, type Money } from '../../money.js';
import {
  nationalIdDigitsAndLetters,
  validateCheckRequest,
  type BureauProvider,
  type BureauRequest,
  type BureauSummary,
  type CheckCallback,
  type CheckKind,
  type CompletedCheck,
  type IncomeProvider,
  type IncomeRequest,
  type IncomeSummary,
  type JsonValue,
  type KycProvider,
  type KycRequest,
  type KycSummary,
} from './providers.js';

/** The names a sandbox tenant's checks are recorded under, and its callbacks are addressed to. */
export const SANDBOX_PROVIDER_NAMES: Record<CheckKind, string> = {
  kyc: 'sandbox-kyc',
  bureau: 'sandbox-bureau',
  income: 'sandbox-income',
};

export interface SandboxTrigger {
  /** The e-mail tag, without the `+`. */
  tag: string;
  check: CheckKind;
  /** The result's status (for `-async`, the status now; the callback carries the outcome of any other tag). */
  status: 'passed' | 'failed' | 'refer' | 'pending' | 'error' | 'timeout';
  outcome: string;
}

/** Every tag a partner can put in the e-mail, and what it does. docs/sandbox-providers.md lists exactly these. */
export const SANDBOX_TRIGGERS: readonly SandboxTrigger[] = [
  { tag: 'kyc-partial', check: 'kyc', status: 'refer', outcome: 'partial match: date of birth differs (DATE_OF_BIRTH_MISMATCH)' },
  { tag: 'kyc-fail', check: 'kyc', status: 'failed', outcome: 'no match: the national ID is not found (ID_NOT_FOUND)' },
  { tag: 'kyc-sanctions', check: 'kyc', status: 'failed', outcome: 'full match and a sanctions list hit (SANCTIONS_LIST_MATCH)' },
  { tag: 'kyc-pep', check: 'kyc', status: 'refer', outcome: 'full match, politically exposed person (POLITICALLY_EXPOSED_PERSON)' },
  { tag: 'bureau-prime', check: 'bureau', status: 'passed', outcome: 'score 810, 6 open tradelines, never late, 1 enquiry' },
  { tag: 'bureau-delinquent', check: 'bureau', status: 'passed', outcome: 'score 540, 5 open tradelines, 90 days past due in the last 12 months, 4 enquiries' },
  { tag: 'bureau-thin', check: 'bureau', status: 'refer', outcome: 'thin file: no score, 1 open tradeline' },
  { tag: 'bureau-nohit', check: 'bureau', status: 'refer', outcome: 'no file at the bureau: no score, no tradelines' },
  { tag: 'bureau-frozen', check: 'bureau', status: 'failed', outcome: 'the file is frozen at the consumer’s request: no data released' },
  { tag: 'income-mismatch', check: 'income', status: 'refer', outcome: 'verified income is 70 % of declared (variance −30.00 %)' },
  { tag: 'income-fail', check: 'income', status: 'failed', outcome: 'no salary credits from the employer found: verified 0 (variance −100.00 %)' },
  ...(['kyc', 'bureau', 'income'] as const).flatMap((check): SandboxTrigger[] => [
    { tag: `${check}-error`, check, status: 'error', outcome: 'the provider fails (retryable)' },
    { tag: `${check}-timeout`, check, status: 'timeout', outcome: 'the provider does not answer in time (retryable)' },
    { tag: `${check}-async`, check, status: 'pending', outcome: 'answered later by a signed callback; combine with one other tag to choose what it says' },
  ]),
];

const DEFAULT_OUTCOME: Record<CheckKind, string> = { kyc: 'clear', bureau: 'profile', income: 'verified' };

export interface SandboxChoice {
  /** The other tag's outcome for this check (`fail`, `thin`, …) or the check's default. */
  outcome: string;
  async: boolean;
}

/** What the e-mail's tags ask of `check`. Throws on tags a partner most likely mistyped or could not mean together. */
export function sandboxTriggersFor(check: CheckKind, email: string): SandboxChoice {
  const local = email.slice(0, email.lastIndexOf('@'));
  const tags = new Set(local.toLowerCase().split('+').slice(1));
  let outcome: string | undefined;
  let async = false;
  for (const tag of tags) {
    const prefix = /^(kyc|bureau|income)-/.exec(tag)?.[1];
    if (prefix === undefined) continue; // ordinary sub-addressing, e.g. ada+newsletter@
    if (!SANDBOX_TRIGGERS.some((trigger) => trigger.tag === tag)) {
      throw new InvalidField('party.email', `unknown sandbox trigger +${tag} (docs/sandbox-providers.md lists them)`);
    }
    if (prefix !== check) continue;
    const what = tag.slice(check.length + 1);
    if (what === 'async') async = true;
    else if (outcome !== undefined) throw new InvalidField('party.email', `sandbox triggers +${check}-${outcome} and +${tag} contradict each other`);
    else outcome = what;
  }
  // A callback that never comes is the platform's own timeout; the sandbox cannot "send" silence.
  if (async && outcome === 'timeout') throw new InvalidField('party.email', `+${check}-async cannot be combined with +${check}-timeout`);
  return { outcome: outcome ?? DEFAULT_OUTCOME[check], async };
}

/**
 * Refuses an e-mail whose sandbox tags the checks would refuse (a mistyped tag, two outcomes for one check), before
 * anything is written: named `field` as the caller's input names it. Every check of this build runs in the sandbox.
 */
export function assertSandboxTags(email: string, field: string): void {
  for (const check of ['kyc', 'bureau', 'income'] as const) {
    try {
      sandboxTriggersFor(check, email);
    } catch (error) {
      if (error instanceof InvalidField) throw new InvalidField(field, error.message);
      throw error;
    }
  }
}

/** Everything an answer depends on, small enough to carry in a provider reference. */
type Seed =
  | { v: 1; check: 'kyc'; reference: string; outcome: string }
  | { v: 1; check: 'bureau'; reference: string; outcome: string; person: string; currency: string }
  | { v: 1; check: 'income'; reference: string; outcome: string; person: string; declared: string; currency: string; method: 'bank-statement' | 'payroll' };

const REFERENCE_PREFIX = 'sbx1_';

function referenceFor(seed: Seed): string {
  return REFERENCE_PREFIX + Buffer.from(JSON.stringify(seed)).toString('base64url');
}

function seedOf(providerReference: string): Seed {
  const bad = new InvalidField('providerReference', 'not a sandbox provider reference');
  if (!providerReference.startsWith(REFERENCE_PREFIX)) throw bad;
  let seed: Record<string, unknown>;
  try {
    seed = JSON.parse(Buffer.from(providerReference.slice(REFERENCE_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  // Only the sandbox makes these, but a reference arrives from outside: refuse anything it would not have made.
  const text = (key: string) => typeof seed[key] === 'string' && seed[key] !== '';
  if (seed === null || typeof seed !== 'object' || seed['v'] !== 1 || !text('reference') || !text('outcome')) throw bad;
  const known = SANDBOX_TRIGGERS.some((trigger) => trigger.tag === `${seed['check']}-${seed['outcome']}`) || DEFAULT_OUTCOME[seed['check'] as CheckKind] === seed['outcome'];
  if (!known || seed['outcome'] === 'async' || seed['outcome'] === 'timeout') throw bad;
  if (seed['check'] !== 'kyc' && !(text('person') && typeof seed['currency'] === 'string' && isCurrency(seed['currency']))) throw bad;
  if (seed['check'] === 'income' && !(typeof seed['declared'] === 'string' && /^\d+(\.\d+)?$/.test(seed['declared']) && new Decimal(seed['declared']).gt(0) && ['bank-statement', 'payroll'].includes(seed['method'] as string))) throw bad;
  return seed as Seed;
}

/**
 * 48 bits of a hash of the national ID: enough to make test people differ, too few to carry the ID around. The
 * version in the label is a promise to partners: changing the derivation changes their test people, so it would be
 * a new version, never an edit.
 */
function personSeed(nationalId: string): string {
  return createHash('sha256').update(`lendgraph-sandbox-v1:${nationalIdDigitsAndLetters(nationalId)}`).digest('hex').slice(0, 12);
}

/** A stream of stable pseudo-random bytes for one person, drawn by purpose so adding a draw shifts no other. */
function draw(person: string, purpose: string): Buffer {
  return createHash('sha256').update(`${person}:${purpose}`).digest();
}

const unanswered = (check: CheckKind, outcome: string) =>
  outcome === 'timeout'
    ? { status: 'timeout' as const, reason: `${SANDBOX_PROVIDER_NAMES[check]} did not answer in time (sandbox trigger +${check}-timeout)` }
    : { status: 'error' as const, reason: `${SANDBOX_PROVIDER_NAMES[check]} failed (sandbox trigger +${check}-error)` };

export const sandboxKycProvider: KycProvider = async (request: KycRequest, now: Date) => {
  validateCheckRequest(request);
  const { outcome, async } = sandboxTriggersFor('kyc', request.party.email);
  const seed: Seed = { v: 1, check: 'kyc', reference: request.reference, outcome };
  if (async) return { status: 'pending', providerReference: referenceFor(seed) };
  if (outcome === 'error' || outcome === 'timeout') return unanswered('kyc', outcome);
  return kycAnswer(seed, now);
};

export const sandboxBureauProvider: BureauProvider = async (request: BureauRequest, now: Date) => {
  validateCheckRequest(request);
  const { outcome, async } = sandboxTriggersFor('bureau', request.party.email);
  const seed: Seed = { v: 1, check: 'bureau', reference: request.reference, outcome, person: personSeed(request.party.nationalId), currency: request.currency };
  if (async) return { status: 'pending', providerReference: referenceFor(seed) };
  if (outcome === 'error' || outcome === 'timeout') return unanswered('bureau', outcome);
  return bureauAnswer(seed, now);
};

export const sandboxIncomeProvider: IncomeProvider = async (request: IncomeRequest, now: Date) => {
  validateCheckRequest(request);
  const { outcome, async } = sandboxTriggersFor('income', request.party.email);
  const seed: Seed = {
    v: 1,
    check: 'income',
    reference: request.reference,
    outcome,
    person: personSeed(request.party.nationalId),
    declared: request.declaredMonthlyIncome.amount.toFixed(),
    currency: request.declaredMonthlyIncome.currency,
    method: request.bankStatementSha256 === undefined ? 'payroll' : 'bank-statement',
  };
  if (async) return { status: 'pending', providerReference: referenceFor(seed) };
  if (outcome === 'error' || outcome === 'timeout') return unanswered('income', outcome);
  return incomeAnswer(seed, now);
};

/**
 * The callback the sandbox sends for a check it left pending, answered at `now`: what the same request would have
 * got synchronously (or an error, for `+<check>-error`). Sign its JSON with signCallback (callbacks.ts) to deliver.
 */
export function sandboxCallback(providerReference: string, now: Date): CheckCallback {
  const seed = seedOf(providerReference);
  const common = { providerReference, reference: seed.reference, completedAt: now.toISOString() };
  const failed = seed.outcome === 'error' ? { status: 'error' as const, reason: unanswered(seed.check, 'error').reason } : undefined;
  switch (seed.check) {
    case 'kyc':
      return { check: 'kyc', ...common, result: failed ?? kycAnswer(seed, now) };
    case 'bureau':
      return { check: 'bureau', ...common, result: failed ?? bureauAnswer(seed, now) };
    case 'income':
      return { check: 'income', ...common, result: failed ?? incomeAnswer(seed, now) };
  }
}

function kycAnswer(seed: Extract<Seed, { check: 'kyc' }>, now: Date): CompletedCheck<KycSummary> {
  const answers: Record<string, { status: CompletedCheck<KycSummary>['status']; summary: KycSummary }> = {
    clear: { status: 'passed', summary: { matchLevel: 'full', sanctionsHit: false, pepHit: false, reasons: [] } },
    partial: { status: 'refer', summary: { matchLevel: 'partial', sanctionsHit: false, pepHit: false, reasons: ['DATE_OF_BIRTH_MISMATCH'] } },
    fail: { status: 'failed', summary: { matchLevel: 'none', sanctionsHit: false, pepHit: false, reasons: ['ID_NOT_FOUND'] } },
    sanctions: { status: 'failed', summary: { matchLevel: 'full', sanctionsHit: true, pepHit: false, reasons: ['SANCTIONS_LIST_MATCH'] } },
    pep: { status: 'refer', summary: { matchLevel: 'full', sanctionsHit: false, pepHit: true, reasons: ['POLITICALLY_EXPOSED_PERSON'] } },
  };
  const answer = answers[seed.outcome];
  if (!answer) throw new InvalidField('providerReference', `no sandbox KYC outcome ${seed.outcome}`);
  const { summary } = answer;
  const raw: JsonValue = {
    provider: SANDBOX_PROVIDER_NAMES.kyc,
    schemaVersion: 1,
    reference: seed.reference,
    providerReference: referenceFor(seed),
    checkedAt: now.toISOString(),
    decision: answer.status.toUpperCase(),
    matchLevel: summary.matchLevel,
    fields: {
      legalName: summary.matchLevel === 'none' ? 'not-checked' : 'match',
      dateOfBirth: summary.matchLevel === 'full' ? 'match' : summary.matchLevel === 'partial' ? 'mismatch' : 'not-checked',
      nationalId: summary.matchLevel === 'none' ? 'not-found' : 'found',
      address: summary.matchLevel === 'none' ? 'not-checked' : 'match',
    },
    watchlists: { sanctions: summary.sanctionsHit, pep: summary.pepHit, listsVersion: 'sandbox-1' },
    reasonCodes: summary.reasons,
  };
  return { status: answer.status, summary, raw };
}

interface Tradeline {
  type: string;
  balance: Decimal;
  monthlyPayment: Decimal;
  worstDaysPastDue12m: number;
}

const TRADELINE_TYPES = ['credit-card', 'personal-loan', 'auto-loan', 'mortgage', 'student-loan', 'overdraft'];

/** The hash-derived file of a person with no bureau tag: score 300–850, 2–12 tradelines, 0–6 enquiries. */
function derivedProfile(person: string): { score: number; openTradelines: number; worstDelinquency12m: number; enquiries6m: number } {
  const bytes = draw(person, 'profile');
  const score = 300 + (bytes.readUInt32BE(0) % 551);
  // Lateness follows the score, as it does at a real bureau: a good score with a 90-day delinquency would read as a bug.
  const lateness = score >= 650 ? [0, 0, 0] : score >= 550 ? [0, 0, 30] : [30, 60, 90];
  return {
    score,
    openTradelines: 2 + (bytes[4]! % 11),
    worstDelinquency12m: lateness[bytes[6]! % 3]!,
    enquiries6m: bytes[5]! % 7,
  };
}

function tradelines(person: string, count: number, worstDaysPastDue: number, currency: string): Tradeline[] {
  const places = minorUnits(currency);
  return Array.from({ length: count }, (_, index) => {
    const bytes = draw(person, `tradeline-${index}`);
    // Whole currency units between 25 and 500 a month, 6 to 60 months of payments outstanding.
    const monthlyPayment = new Decimal(25 + (bytes.readUInt16BE(0) % 476)).toDecimalPlaces(places);
    return {
      type: TRADELINE_TYPES[bytes[2]! % TRADELINE_TYPES.length]!,
      balance: monthlyPayment.times(6 + (bytes[3]! % 55)).toDecimalPlaces(places),
      monthlyPayment,
      // The worst lateness sits on the first tradeline; the rest were paid on time.
      worstDaysPastDue12m: index === 0 ? worstDaysPastDue : 0,
    };
  });
}

function bureauAnswer(seed: Extract<Seed, { check: 'bureau' }>, now: Date): CompletedCheck<BureauSummary> {
  const fixed: Record<string, { status: CompletedCheck<BureauSummary>['status']; file: string; score: number | null; open: number; late: number; enquiries: number }> = {
    prime: { status: 'passed', file: 'found', score: 810, open: 6, late: 0, enquiries: 1 },
    delinquent: { status: 'passed', file: 'found', score: 540, open: 5, late: 90, enquiries: 4 },
    thin: { status: 'refer', file: 'thin', score: null, open: 1, late: 0, enquiries: 0 },
    nohit: { status: 'refer', file: 'not-found', score: null, open: 0, late: 0, enquiries: 0 },
    // A frozen file releases nothing; the zeros below are "unknown", and a failed check's summary is never used.
    frozen: { status: 'failed', file: 'frozen', score: null, open: 0, late: 0, enquiries: 0 },
  };
  let answer = fixed[seed.outcome];
  if (seed.outcome === 'profile') {
    const profile = derivedProfile(seed.person);
    answer = { status: 'passed', file: 'found', score: profile.score, open: profile.openTradelines, late: profile.worstDelinquency12m, enquiries: profile.enquiries6m };
  }
  if (!answer) throw new InvalidField('providerReference', `no sandbox bureau outcome ${seed.outcome}`);
  const lines = tradelines(seed.person, answer.open, answer.late, seed.currency);
  const places = minorUnits(seed.currency);
  const monthlyDebt = lines.reduce((sum, line) => sum.plus(line.monthlyPayment), new Decimal(0)).toDecimalPlaces(places);
  const summary: BureauSummary = {
    score: answer.score,
    openTradelines: answer.open,
    worstDelinquency12m: answer.late,
    enquiries6m: answer.enquiries,
    totalMonthlyDebtPayments: { amount: monthlyDebt, currency: seed.currency },
  };
  const raw: JsonValue = {
    provider: SANDBOX_PROVIDER_NAMES.bureau,
    schemaVersion: 1,
    reference: seed.reference,
    providerReference: referenceFor(seed),
    reportedAt: now.toISOString(),
    fileStatus: answer.file,
    score: answer.score === null ? null : { model: 'SANDBOX-300-850', value: answer.score },
    tradelines: lines.map((line, index) => ({
      id: `TL${index + 1}`,
      type: line.type,
      status: 'open',
      currency: seed.currency,
      balance: line.balance.toFixed(places),
      monthlyPayment: line.monthlyPayment.toFixed(places),
      worstDaysPastDue12m: line.worstDaysPastDue12m,
    })),
    enquiries6m: answer.enquiries,
    totals: { openTradelines: answer.open, monthlyPayments: monthlyDebt.toFixed(places), currency: seed.currency },
  };
  return { status: answer.status, summary, raw };
}

function incomeAnswer(seed: Extract<Seed, { check: 'income' }>, now: Date): CompletedCheck<IncomeSummary> {
  const declared = new Decimal(seed.declared);
  const places = minorUnits(seed.currency);
  let share: Decimal;
  let status: CompletedCheck<IncomeSummary>['status'];
  let findings: string[];
  if (seed.outcome === 'verified') {
    // Payslips rarely match a declaration to the cent: 0.00–5.00 % below, which still verifies.
    share = new Decimal(10000 - (draw(seed.person, 'income').readUInt16BE(0) % 501)).div(10000);
    status = 'passed';
    findings = ['SALARY_CREDITS_FOUND'];
  } else if (seed.outcome === 'mismatch') {
    share = new Decimal('0.7');
    status = 'refer';
    findings = ['SALARY_CREDITS_FOUND', 'INCOME_BELOW_DECLARED'];
  } else if (seed.outcome === 'fail') {
    share = new Decimal(0);
    status = 'failed';
    findings = ['NO_SALARY_CREDITS_FROM_EMPLOYER'];
  } else {
    throw new InvalidField('providerReference', `no sandbox income outcome ${seed.outcome}`);
  }
  const verified = declared.times(share).toDecimalPlaces(places);
  const variance = verified.minus(declared).div(declared).times(100).toDecimalPlaces(2);
  const verifiedMonthlyIncome: Money = { amount: verified, currency: seed.currency };
  const raw: JsonValue = {
    provider: SANDBOX_PROVIDER_NAMES.income,
    schemaVersion: 1,
    reference: seed.reference,
    providerReference: referenceFor(seed),
    verifiedAt: now.toISOString(),
    method: seed.method,
    declaredMonthlyIncome: { amount: declared.toFixed(places), currency: seed.currency },
    verifiedMonthlyIncome: { amount: verified.toFixed(places), currency: seed.currency },
    varianceFromDeclaredPercent: variance.toFixed(2),
    monthsAnalysed: seed.method === 'bank-statement' ? 3 : 1,
    findings,
  };
  return { status, summary: { verifiedMonthlyIncome, varianceFromDeclaredPercent: variance }, raw };
}
