// A mutation's userErrors as values a program acts on. `code` and `reason` are the schema's ErrorCode and
// ErrorReason enums, generated as string unions, so the switch below is checked against the schema: a code the
// API adds becomes a compile error here after `npm run codegen:example`, not a surprise in production.
import type { ErrorReason, RefusalFragment } from './gql/graphql.js';

export type Refusal =
  /** The lender's checks need this input (`field`, e.g. `input.applicant.dateOfBirth`): ask the applicant. */
  | { kind: 'missing-information'; field: string; message: string }
  /** This input's value is refused (`field` names it): fix it before sending again. */
  | { kind: 'invalid-input'; field: string | null; reason: ErrorReason | null; message: string }
  /** An id in the input names nothing this partner may see. */
  | { kind: 'not-found'; field: string | null; message: string }
  /** The state does not allow it now, or the idempotency key was used with another input: do not retry as is. */
  | { kind: 'conflict'; reason: ErrorReason | null; field: string | null; message: string }
  /** A four-eyes or authority rule refused it. */
  | { kind: 'forbidden'; reason: ErrorReason | null; message: string };

/** What one userError means for the caller. */
export function refusalOf(error: RefusalFragment): Refusal {
  switch (error.code) {
    case 'BAD_USER_INPUT':
      if (error.reason === 'MISSING_INFORMATION' && error.field) return { kind: 'missing-information', field: error.field, message: error.message };
      return { kind: 'invalid-input', field: error.field, reason: error.reason, message: error.message };
    case 'NOT_FOUND':
      return { kind: 'not-found', field: error.field, message: error.message };
    case 'CONFLICT':
      return { kind: 'conflict', reason: error.reason, field: error.field, message: error.message };
    case 'FORBIDDEN':
      return { kind: 'forbidden', reason: error.reason, message: error.message };
    // These arrive as GraphQL errors, never as userErrors (docs/partners.md, "Mutations: one shape"); the enum is
    // shared, so they are named here to keep the switch exhaustive.
    case 'INTERNAL':
    case 'RATE_LIMITED':
    case 'TENANT_SUSPENDED':
    case 'TENANT_MIGRATING':
    case 'UNAUTHENTICATED':
      throw new Error(`${error.code} is not a user error: ${error.message}`);
    default:
      return unreachable(error.code);
  }
}

export function refusalsOf(errors: readonly RefusalFragment[]): Refusal[] {
  return errors.map(refusalOf);
}

/** One line for a person reading a log. */
export function describeRefusal(refusal: Refusal): string {
  switch (refusal.kind) {
    case 'missing-information':
      return `missing ${refusal.field}`;
    case 'invalid-input':
      return `${refusal.field ?? 'input'} refused${refusal.reason ? ` (${refusal.reason})` : ''}: ${refusal.message}`;
    case 'not-found':
      return `${refusal.field ?? 'an id'} names nothing visible: ${refusal.message}`;
    case 'conflict':
      return `conflict${refusal.reason ? ` (${refusal.reason})` : ''}: ${refusal.message}`;
    case 'forbidden':
      return `forbidden${refusal.reason ? ` (${refusal.reason})` : ''}: ${refusal.message}`;
    default:
      return unreachable(refusal);
  }
}

function unreachable(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
