// The closed sets the API names: each is a GraphQL enum in SCREAMING_SNAKE_CASE whose values map to what the
// database and the services store ('pending_activation', 'principalReceivable', 'platform-admin'), so the
// stored values never change and a caller never sees them. Sets used by one aggregate only live in its file.
import { builder } from './builder.js';
import { statusInWords } from '../errors.js';
import { APPLICATION_STATUSES } from '../domain/origination/applicationStatus.js';
import { ROLES } from '../authz/roles.js';

/** `pending_activation` → `PENDING_ACTIVATION`, `principalReceivable` → `PRINCIPAL_RECEIVABLE`, `platform-admin` → `PLATFORM_ADMIN`. */
export function enumName(stored: string): string {
  return stored.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
}

/** An enum over stored values, each with its description; the enum's GraphQL names come from `enumName`. */
export function storedEnum(name: string, description: string, values: Readonly<Record<string, string>>) {
  const entries = Object.entries(values).map(([stored, about]) => [enumName(stored), { value: stored, description: about }] as const);
  return builder.enumType(name, { description, values: Object.fromEntries(entries) as Record<string, { value: string; description: string }> });
}

export const ApplicationStatusEnum = storedEnum(
  'ApplicationStatus',
  'Where an application stands (docs/origination-rules.md has the transition table).',
  Object.fromEntries(APPLICATION_STATUSES.map((status) => [status, `The application is ${statusInWords(status)}.`])),
);

export const ApplicationChannelEnum = storedEnum('ApplicationChannel', 'How an application reached the lender.', {
  staff: 'Keyed in by the lender\'s staff.',
  partner: 'Submitted by an origination partner over the API.',
  bulk: 'Part of a CSV upload.',
});

export const ApprovalStatusEnum = storedEnum('ApprovalStatus', 'Where a request awaiting a second person (maker-checker) stands.', {
  pending: 'Waiting for the checker.',
  approved: 'Approved by someone other than the maker.',
  rejected: 'Rejected by someone other than the maker.',
});

export const RoleEnum = storedEnum(
  'Role',
  'A Lendgraph role a token can carry (docs/authz.md says what each may do).',
  Object.fromEntries(ROLES.map((role) => [role, `The ${role.replace(/-/g, ' ')} role.`])),
);

export const DisbursementFeeTreatmentEnum = storedEnum('DisbursementFeeTreatment', 'How a fee at disbursement is paid.', {
  deducted: 'Taken from what is paid out.',
  financed: 'Added to the principal.',
});
