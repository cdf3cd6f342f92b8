// Who may approve what. The authority matrix is data (versioned with the product's policy): each level of
// approver may approve up to an amount at each risk grade. An approver holds one or more levels; the most any of
// them allows is theirs. And whoever made a request (the maker) never approves it (the checker).
//
// Decisions:
// - A grade missing from a level means that level may not approve that grade at all; the key "*" stands for every
//   grade the level does not list, and for an application without a grade (a referral on a thin file).
// - A limit of null is no limit (a credit committee).
// - Refusals say which levels could approve instead, so a queue can route the application.
import { InvalidField } from '../../errors.js';
import { Decimal, isCurrency, minorUnits } from '../money.js';

export const ANY_GRADE = '*';

export interface AuthorityLevel {
  /** The approver level as roles name it: "underwriter", "credit_committee". */
  level: string;
  /** The most this level may approve at each grade, as decimal text; null for no limit. */
  maxAmountByGrade: Record<string, string | null>;
}

export interface AuthorityMatrix {
  version: number;
  currency: string;
  levels: AuthorityLevel[];
}

export type ApprovalAuthority =
  | { allowed: true; level: string; limit: string | null }
  | { allowed: false; reason: string; levelsThatMay: string[] };

/** The matrix sandbox tenants start with, for the grades of SANDBOX_CREDIT_POLICY. Read-only: copy it to edit. */
export const SANDBOX_AUTHORITY_MATRIX: AuthorityMatrix = Object.freeze({
  version: 1,
  currency: 'USD',
  levels: ([
    { level: 'underwriter', maxAmountByGrade: { A: '10000.00', B: '10000.00', C: '10000.00' } },
    { level: 'senior_underwriter', maxAmountByGrade: { A: '25000.00', B: '25000.00', C: '15000.00', D: '5000.00' } },
    { level: 'credit_committee', maxAmountByGrade: { [ANY_GRADE]: null } },
  ] as AuthorityLevel[]).map((level) => Object.freeze({ ...level, maxAmountByGrade: Object.freeze(level.maxAmountByGrade) })),
});

function limitAt(level: AuthorityLevel, grade: string | null): string | null | undefined {
  if (grade !== null && Object.hasOwn(level.maxAmountByGrade, grade)) return level.maxAmountByGrade[grade];
  return Object.hasOwn(level.maxAmountByGrade, ANY_GRADE) ? level.maxAmountByGrade[ANY_GRADE] : undefined;
}

function allows(level: AuthorityLevel, amount: Decimal, grade: string | null): boolean {
  const limit = limitAt(level, grade);
  return limit === null || (limit !== undefined && amount.lte(limit));
}

/** Whether someone holding `approverLevels` may approve `amount` at `grade`, and if not, why and who may. */
export function mayApprove(matrix: AuthorityMatrix, approverLevels: readonly string[], amount: Decimal | string, grade: string | null): ApprovalAuthority {
  assertValidAuthorityMatrix(matrix);
  const places = minorUnits(matrix.currency);
  const value = new Decimal(amount);
  if (!value.isFinite() || !value.gt(0)) throw new InvalidField('amount', 'the amount to approve is more than zero');
  const shown = `${value.toFixed(places)} ${matrix.currency}`;
  const gradeText = grade === null ? 'without a risk grade' : `at grade ${grade}`;
  const held = matrix.levels.filter((level) => approverLevels.includes(level.level));
  // The highest limit among the levels held wins; an unlimited level beats any amount.
  const granting = held.filter((level) => allows(level, value, grade));
  const levelsThatMay = matrix.levels.filter((level) => allows(level, value, grade)).map((level) => level.level);
  if (granting.length > 0) {
    const best = granting.find((level) => limitAt(level, grade) === null) ??
      granting.reduce((a, b) => (new Decimal(limitAt(a, grade)!).gte(limitAt(b, grade)!) ? a : b));
    const limit = limitAt(best, grade)!;
    return { allowed: true, level: best.level, limit: limit === null ? null : new Decimal(limit).toFixed(places) };
  }
  const instead = levelsThatMay.length > 0 ? `; ${levelsThatMay.join(' or ')} may` : '; no level may';
  if (held.length === 0) {
    return { allowed: false, reason: `no approval authority: holds none of the levels ${matrix.levels.map((l) => l.level).join(', ')}${instead}`, levelsThatMay };
  }
  const limits = held.map((level) => {
    const limit = limitAt(level, grade);
    return limit === undefined ? `${level.level} may not approve ${gradeText}` : `${level.level} may approve up to ${new Decimal(limit!).toFixed(places)} ${gradeText}`;
  });
  return { allowed: false, reason: `${shown} ${gradeText} is beyond this approver's authority (${limits.join('; ')})${instead}`, levelsThatMay };
}

/** Throws InvalidField naming the first part of a matrix (as stored JSON) that cannot be used. */
export function assertValidAuthorityMatrix(matrix: unknown): asserts matrix is AuthorityMatrix {
  if (typeof matrix !== 'object' || matrix === null) throw new InvalidField('matrix', 'an authority matrix is an object');
  const m = matrix as Record<string, unknown>;
  if (typeof m.version !== 'number' || !Number.isInteger(m.version) || m.version < 1) throw new InvalidField('version', 'version must be a whole number from 1');
  if (typeof m.currency !== 'string' || !isCurrency(m.currency)) throw new InvalidField('currency', 'currency must be an ISO 4217 code');
  const places = minorUnits(m.currency);
  if (!Array.isArray(m.levels) || m.levels.length === 0) throw new InvalidField('levels', 'an authority matrix has at least one level');
  const names = new Set<string>();
  (m.levels as unknown[]).forEach((entry, k) => {
    const level = entry as Record<string, unknown>;
    if (typeof level !== 'object' || level === null) throw new InvalidField(`levels[${k}]`, 'a level is an object');
    if (typeof level.level !== 'string' || level.level.trim() === '') throw new InvalidField(`levels[${k}].level`, 'a level has a name');
    if (names.has(level.level)) throw new InvalidField(`levels[${k}].level`, `level ${level.level} appears twice`);
    names.add(level.level);
    const limits = level.maxAmountByGrade;
    if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
      throw new InvalidField(`levels[${k}].maxAmountByGrade`, 'maxAmountByGrade maps risk grades to amounts');
    }
    for (const [grade, limit] of Object.entries(limits)) {
      if (limit === null) continue;
      if (typeof limit !== 'string' || !/^\d+(\.\d+)?$/.test(limit) || new Decimal(limit).decimalPlaces() > places) {
        throw new InvalidField(`levels[${k}].maxAmountByGrade.${grade}`, `a limit is an amount of ${m.currency} as decimal text, or null for no limit`);
      }
    }
  });
}

