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


/** Which matrix levels each role holds; a role not listed holds none. */
export type AuthorityRoles = Record<string, readonly string[]>;

/** The roles sandbox tenants start with: underwriter → underwriter, credit-approver → senior_underwriter, tenant-admin → credit_committee. */
export const SANDBOX_AUTHORITY_ROLES: Readonly<AuthorityRoles> = Object.freeze({
  underwriter: Object.freeze(['underwriter']),
  'credit-approver': Object.freeze(['senior_underwriter']),
  'tenant-admin': Object.freeze(['credit_committee']),
});

/**
 * The sandbox matrix in a tenant's currency: its limits times `scale` (the sandbox products' scale for currencies
 * whose everyday amounts run larger), so a sandbox tenant in INR approves the same loans one in USD does.
 */
export function sandboxAuthorityMatrix(currency: string, scale: number): AuthorityMatrix {
  const places = minorUnits(currency);
  return {
    version: 1,
    currency,
    levels: SANDBOX_AUTHORITY_MATRIX.levels.map((level) => ({
      level: level.level,
      maxAmountByGrade: Object.fromEntries(Object.entries(level.maxAmountByGrade)
        .map(([grade, limit]) => [grade, limit === null ? null : new Decimal(limit).times(scale).toFixed(places)])),
    })),
  };
}

/** The most levels a matrix has, and grades a level lists: a real matrix has a handful of each. */
export const MAX_AUTHORITY_LEVELS = 20;
export const MAX_AUTHORITY_GRADES = 30;

/** One row of a matrix as a lender writes it: the most a level may approve at a grade (null: no limit). */
export interface AuthorityLimitInput { riskGrade: string; maxAmount: string | null }
export interface AuthorityLevelInput { level: string; limits: readonly AuthorityLimitInput[] }
export interface AuthorityRoleInput { role: string; levels: readonly string[] }

/** Which of two limits at a grade is the larger; undefined (may not approve) is the smallest, null (no limit) the largest. */
function atLeast(higher: string | null | undefined, lower: string | null | undefined): boolean {
  if (lower === undefined) return true;
  if (higher === undefined) return false;
  if (higher === null) return true;
  return lower !== null && new Decimal(higher).gte(lower);
}

/**
 * A matrix drafted by a lender, checked and turned into what mayApprove reads. Refusals name the field:
 * - levels are listed from the least authority to the most, so each level may approve at least what every level
 *   before it may, at every grade ("unordered" otherwise);
 * - a grade appears once per level ("overlapping" otherwise); `*` is every grade the level does not list;
 * - an amount is more than zero, in the currency's minor units; null is no limit;
 * - each role is one of `knownRoles`, listed once, and holds only levels of this matrix.
 */
export function authorityMatrixFromInput(
  currency: string, levels: readonly AuthorityLevelInput[], roles: readonly AuthorityRoleInput[], knownRoles: readonly string[],
): { matrix: AuthorityMatrix; roles: AuthorityRoles } {
  if (!isCurrency(currency)) throw new InvalidField('currency', 'currency must be an ISO 4217 code');
  const places = minorUnits(currency);
  if (levels.length === 0) throw new InvalidField('levels', 'an authority matrix has at least one level');
  if (levels.length > MAX_AUTHORITY_LEVELS) throw new InvalidField('levels', `an authority matrix has at most ${MAX_AUTHORITY_LEVELS} levels`);
  const built: AuthorityLevel[] = [];
  levels.forEach((entry, k) => {
    const name = entry.level.trim();
    if (name === '') throw new InvalidField(`levels.${k}.level`, 'a level has a name');
    if (built.some((level) => level.level === name)) throw new InvalidField(`levels.${k}.level`, `level ${name} appears twice`);
    if (entry.limits.length === 0) throw new InvalidField(`levels.${k}.limits`, `level ${name} may approve at no grade: give it at least one limit`);
    if (entry.limits.length > MAX_AUTHORITY_GRADES) throw new InvalidField(`levels.${k}.limits`, `a level lists at most ${MAX_AUTHORITY_GRADES} grades`);
    const maxAmountByGrade: Record<string, string | null> = {};
    entry.limits.forEach((limit, j) => {
      const grade = limit.riskGrade.trim();
      if (grade === '') throw new InvalidField(`levels.${k}.limits.${j}.riskGrade`, 'a limit names a risk grade, or * for every other grade');
      if (Object.hasOwn(maxAmountByGrade, grade)) {
        throw new InvalidField(`levels.${k}.limits.${j}.riskGrade`, `grade ${grade} appears twice at level ${name}: its limits overlap`);
      }
      if (limit.maxAmount === null) {
        maxAmountByGrade[grade] = null;
        return;
      }
      const amount = new Decimal(limit.maxAmount);
      if (!amount.isFinite() || amount.isNegative()) throw new InvalidField(`levels.${k}.limits.${j}.maxAmount`, 'a limit is not negative');
      if (amount.isZero()) throw new InvalidField(`levels.${k}.limits.${j}.maxAmount`, 'a limit is more than zero (leave the grade out to let the level approve nothing at it)');
      if (amount.decimalPlaces() > places) throw new InvalidField(`levels.${k}.limits.${j}.maxAmount`, `a limit in ${currency} has at most ${places} decimal places`);
      maxAmountByGrade[grade] = amount.toFixed(places);
    });
    const level: AuthorityLevel = { level: name, maxAmountByGrade };
    for (const earlier of built) {
      const grades = new Set([...Object.keys(earlier.maxAmountByGrade), ...Object.keys(maxAmountByGrade), ANY_GRADE]);
      for (const grade of grades) {
        const mine = limitAt(level, grade === ANY_GRADE ? null : grade);
        const theirs = limitAt(earlier, grade === ANY_GRADE ? null : grade);
        if (!atLeast(mine, theirs)) {
          const shown = grade === ANY_GRADE ? 'the grades it does not list' : `grade ${grade}`;
          throw new InvalidField(`levels.${k}.limits`,
            `levels are listed from the least authority to the most, but ${name} may approve less at ${shown} than ${earlier.level} listed before it: the limits are unordered`);
        }
      }
    }
    built.push(level);
  });
  if (roles.length === 0) throw new InvalidField('roles', 'at least one role holds a level, or nobody could approve');
  const held: AuthorityRoles = {};
  roles.forEach((entry, k) => {
    if (!knownRoles.includes(entry.role)) throw new InvalidField(`roles.${k}.role`, `${entry.role} is not a role that may hold a level: one of ${knownRoles.join(', ')}`);
    if (Object.hasOwn(held, entry.role)) throw new InvalidField(`roles.${k}.role`, `role ${entry.role} appears twice`);
    if (entry.levels.length === 0) throw new InvalidField(`roles.${k}.levels`, 'a role listed holds at least one level');
    entry.levels.forEach((level, j) => {
      if (!built.some((b) => b.level === level)) throw new InvalidField(`roles.${k}.levels.${j}`, `unknown level ${level}: one of ${built.map((b) => b.level).join(', ')}`);
    });
    held[entry.role] = [...new Set(entry.levels)];
  });
  return { matrix: { version: 1, currency, levels: built }, roles: held };
}

/** A matrix as stored: lists, not maps, so the order the lender wrote survives (jsonb sorts an object's keys). */
export interface StoredAuthority {
  levels: { level: string; limits: AuthorityLimitInput[] }[];
  roles: { role: string; levels: string[] }[];
}

export function storedAuthority(levels: readonly AuthorityLevel[], roles: Readonly<AuthorityRoles>): StoredAuthority {
  return {
    levels: levels.map((level) => ({ level: level.level, limits: Object.entries(level.maxAmountByGrade).map(([riskGrade, maxAmount]) => ({ riskGrade, maxAmount })) })),
    roles: Object.entries(roles).map(([role, held]) => ({ role, levels: [...held] })),
  };
}

export function authorityFromStored(stored: StoredAuthority): { levels: AuthorityLevel[]; roles: AuthorityRoles } {
  return {
    levels: stored.levels.map((level) => ({ level: level.level, maxAmountByGrade: Object.fromEntries(level.limits.map((limit) => [limit.riskGrade, limit.maxAmount])) })),
    roles: Object.fromEntries(stored.roles.map((entry) => [entry.role, entry.levels])),
  };
}
