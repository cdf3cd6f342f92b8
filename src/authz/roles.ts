// The roles Lendgraph knows. Anything else a token carries is ignored.
export const ROLES = [
  'platform-admin',
  'tenant-admin',
  'loan-officer',
  'underwriter',
  'credit-approver',
  'disbursement-officer',
  'servicing-agent',
  'collections-agent',
  'collections-supervisor',
  'finance',
  'auditor',
  'compliance',
  'origination-partner',
  'colending-partner',
] as const;

export type Role = (typeof ROLES)[number];

const KNOWN = new Set<string>(ROLES);

export function isRole(value: string): value is Role {
  return KNOWN.has(value);
}

/** Roles that belong to a lender's staff (everything but the platform's own and partners'). */
export const STAFF_ROLES: readonly Role[] = ROLES.filter(
  (r) => r !== 'platform-admin' && r !== 'origination-partner' && r !== 'colending-partner',
);
