// The three checks an application goes through before it is decided: identity (KYC), the credit
// bureau, and income. Each sits behind a provider function so a tenant can be wired to a real provider or, on a
// sandbox tenant, to the deterministic ones in sandbox.ts. A provider reports what it found; whether that is good
// enough to lend is the credit policy's question (item 5), so a bureau "passed" means "a usable report came
// back", not "creditworthy".
//
// Providers never read a clock: the caller passes `now`, which is what makes a sandbox answer reproducible and a
// stored result explainable later.
import { InvalidField } from '../../../errors.js';
import { parseDate } from '../../calendar.js';
import { isCurrency, type Decimal, type Money } from '../../money.js';

export type CheckKind = 'kyc' | 'bureau' | 'income';

/** Any JSON value: a provider's response is stored exactly as it came. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface PostalAddress {
  lines: string[];
  city: string;
  region?: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/** The person being checked, as the provider needs them. */
export interface CheckedParty {
  legalName: string;
  /** YYYY-MM-DD. */
  dateOfBirth: string;
  /** In plain text: parties store it encrypted, and the caller decrypts it only to send it to the provider. */
  nationalId: string;
  phone: string;
  email: string;
  address: PostalAddress;
}

interface CheckRequest {
  /**
   * Our id for this check attempt. Providers echo it in their response and callback, so a late callback finds its
   * check even if the provider's own reference was never stored (the request timed out after the provider took it).
   */
  reference: string;
  party: CheckedParty;
}

export type KycRequest = CheckRequest;

export interface BureauRequest extends CheckRequest {
  /** The currency the bureau reports amounts in (the application's). */
  currency: string;
}

export interface IncomeRequest extends CheckRequest {
  declaredMonthlyIncome: Money;
  employer: string;
  /** SHA-256 (hex) of an uploaded bank statement; without one the provider verifies through payroll or the employer. */
  bankStatementSha256?: string;
}

/** How well the identity the applicant gave matches the provider's sources. */
export type MatchLevel = 'full' | 'partial' | 'none';

export type KycReason =
  | 'NAME_MISMATCH'
  | 'DATE_OF_BIRTH_MISMATCH'
  | 'ADDRESS_NOT_VERIFIED'
  | 'ID_NOT_FOUND'
  | 'SANCTIONS_LIST_MATCH'
  | 'POLITICALLY_EXPOSED_PERSON';

export interface KycSummary {
  matchLevel: MatchLevel;
  /** On a sanctions list: lending is refused outright. */
  sanctionsHit: boolean;
  /** A politically exposed person: allowed, but only after enhanced due diligence. */
  pepHit: boolean;
  /** Why the match is less than full or why there is a hit; empty on a clean full match. */
  reasons: KycReason[];
}

export interface BureauSummary {
  /** The bureau score, 300–850; null when the file is too thin to score or there is no file. */
  score: number | null;
  openTradelines: number;
  /** Worst days past due on any tradeline in the last 12 months; 0 when always current. */
  worstDelinquency12m: number;
  /** Credit enquiries by lenders in the last 6 months. */
  enquiries6m: number;
  /** What the open tradelines cost a month, for debt-to-income (FOIR) rules. */
  totalMonthlyDebtPayments: Money;
}

export interface IncomeSummary {
  verifiedMonthlyIncome: Money;
  /** (verified − declared) / declared in percent, to 2 places: −30.00 means 30 % less than declared. */
  varianceFromDeclaredPercent: Decimal;
}

/** The provider answered. `raw` is its whole response, kept verbatim so the decision can be explained later. */
export interface CompletedCheck<Summary> {
  status: 'passed' | 'failed' | 'refer';
  summary: Summary;
  raw: JsonValue;
}

/** The provider took the request and will report through a signed callback quoting `providerReference`. */
export interface PendingCheck {
  status: 'pending';
  providerReference: string;
}

/**
 * No answer: the provider failed or did not answer in time. Always retryable; the application stays in a state
 * that says so until a retry completes.
 */
export interface UnansweredCheck {
  status: 'error' | 'timeout';
  reason: string;
}

export type CheckResult<Summary> = CompletedCheck<Summary> | PendingCheck | UnansweredCheck;

export type KycResult = CheckResult<KycSummary>;
export type BureauResult = CheckResult<BureauSummary>;
export type IncomeResult = CheckResult<IncomeSummary>;

export type KycProvider = (request: KycRequest, now: Date) => Promise<KycResult>;
export type BureauProvider = (request: BureauRequest, now: Date) => Promise<BureauResult>;
export type IncomeProvider = (request: IncomeRequest, now: Date) => Promise<IncomeResult>;

/** What an asynchronous provider reports later for a check it left pending. */
export type CheckCallback =
  | CallbackOf<'kyc', KycSummary>
  | CallbackOf<'bureau', BureauSummary>
  | CallbackOf<'income', IncomeSummary>;

interface CallbackOf<Kind extends CheckKind, Summary> {
  check: Kind;
  providerReference: string;
  /** Our `reference` from the request. */
  reference: string;
  /** When the provider finished, ISO 8601. */
  completedAt: string;
  /** A provider that gives up after accepting a check says so with an error. */
  result: CompletedCheck<Summary> | { status: 'error'; reason: string };
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Throws InvalidField for what no provider could work with; shared by every provider so they refuse alike. */
export function validateCheckRequest(request: KycRequest | BureauRequest | IncomeRequest): void {
  if (!request.reference.trim()) throw new InvalidField('reference', 'reference is required');
  const { party } = request;
  if (!party.legalName.trim()) throw new InvalidField('party.legalName', 'legal name is required');
  try {
    parseDate(party.dateOfBirth);
  } catch {
    throw new InvalidField('party.dateOfBirth', 'date of birth must be a date, YYYY-MM-DD');
  }
  if (!nationalIdDigitsAndLetters(party.nationalId)) throw new InvalidField('party.nationalId', 'national ID is required');
  if (!party.phone.trim()) throw new InvalidField('party.phone', 'phone is required');
  if (!/^[^\s@]+@[^\s@]+$/.test(party.email)) throw new InvalidField('party.email', 'e-mail must look like name@domain');
  // The shape only: a party is held to the assigned codes when it is taken in (src/domain/countries.ts), and one
  // stored while the shape alone was checked (UK, EU) must still be assessable.
  if (!/^[A-Z]{2}$/.test(party.address.country)) throw new InvalidField('party.address.country', 'country must be an ISO 3166-1 alpha-2 code');
  if ('currency' in request && !isCurrency(request.currency)) throw new InvalidField('currency', 'currency must be an ISO 4217 code');
  if ('declaredMonthlyIncome' in request) {
    const declared = request.declaredMonthlyIncome;
    if (!isCurrency(declared.currency)) throw new InvalidField('declaredMonthlyIncome.currency', 'currency must be an ISO 4217 code');
    if (!declared.amount.isFinite() || declared.amount.lte(0)) throw new InvalidField('declaredMonthlyIncome.amount', 'declared income must be more than zero');
    if (!request.employer.trim()) throw new InvalidField('employer', 'employer is required');
    if (request.bankStatementSha256 !== undefined && !SHA256_HEX.test(request.bankStatementSha256)) {
      throw new InvalidField('bankStatementSha256', 'bank statement hash must be 64 hex digits (SHA-256)');
    }
  }
}

/** The national ID as providers compare it: spaces, dots and dashes are formatting, letters are case-blind. */
export function nationalIdDigitsAndLetters(nationalId: string): string {
  return nationalId.replace(/[\s.\-/]/g, '').toUpperCase();
}
