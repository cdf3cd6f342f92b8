// The one documented set of error codes (docs/errors.md). Services and authorization throw AppError; the
// graph layer turns it into a GraphQL error with `extensions.code`. Anything that is not an AppError reaches
// the client only as INTERNAL with a correlation id.
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'TENANT_SUSPENDED',
  'TENANT_MIGRATING',
  'RATE_LIMITED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const HTTP_STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  TENANT_SUSPENDED: 403,
  TENANT_MIGRATING: 503,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

/**
 * What a 401 says to answer it (RFC 6750): a bearer token, from the lender's identity provider. Sent with every
 * UNAUTHENTICATED answer over HTTP, GraphQL's and the downloads'.
 */
export const WWW_AUTHENTICATE = 'Bearer realm="lendgraph"';

/**
 * Every `extensions.reason` the API gives, with the one code it comes with. A reason tells a caller which of
 * several failures behind one code it met, so a client can act on it; docs/errors.md explains each, and a test
 * keeps the doc, this table and the source in step.
 */
export const ERROR_REASONS = {
  // A request GraphQL itself refuses, before anything runs.
  GRAPHQL_PARSE_FAILED: 'BAD_USER_INPUT',
  GRAPHQL_VALIDATION_FAILED: 'BAD_USER_INPUT',
  BAD_REQUEST: 'BAD_USER_INPUT',
  OPERATION_RESOLUTION_FAILURE: 'BAD_USER_INPUT',
  BAD_VARIABLES: 'BAD_USER_INPUT',
  PERSISTED_QUERY_HASH_MISMATCH: 'BAD_USER_INPUT',
  PERSISTED_QUERY_VERSION_UNSUPPORTED: 'BAD_USER_INPUT',
  // The limits on one operation.
  QUERY_TOO_MANY_TOKENS: 'BAD_USER_INPUT',
  QUERY_TOO_MANY_ALIASES: 'BAD_USER_INPUT',
  QUERY_TOO_MANY_DIRECTIVES: 'BAD_USER_INPUT',
  QUERY_TOO_DEEP: 'BAD_USER_INPUT',
  QUERY_TOO_LARGE: 'BAD_USER_INPUT',
  REQUEST_TOO_LARGE: 'BAD_USER_INPUT',
  QUERY_TOO_COSTLY: 'BAD_USER_INPUT',
  INTROSPECTION_DISABLED: 'BAD_USER_INPUT',
  // Business rules.
  MISSING_INFORMATION: 'BAD_USER_INPUT',
  MAKER_IS_CHECKER: 'FORBIDDEN',
  BEYOND_AUTHORITY: 'FORBIDDEN',
  ORIGIN_NOT_ALLOWED: 'FORBIDDEN',
  ILLEGAL_TRANSITION: 'CONFLICT',
  NOT_AMENDABLE: 'CONFLICT',
  NOT_REFERRED: 'CONFLICT',
  APPROVAL_PENDING: 'CONFLICT',
  DOCUMENTS_MISSING: 'CONFLICT',
  NOT_BOOKABLE: 'CONFLICT',
  APPLICATION_CLOSED: 'CONFLICT',
  NOT_REVIEWABLE: 'CONFLICT',
  NO_ACTIVE_PRICING: 'CONFLICT',
  NO_OFFER_POSSIBLE: 'CONFLICT',
  NO_AUTHORITY_MATRIX: 'CONFLICT',
  PROVIDER_NOT_IMPLEMENTED: 'CONFLICT',
  PRODUCTION_TENANT: 'CONFLICT',
  EMAIL_AT_ANOTHER_LENDER: 'CONFLICT',
  END_OF_DAY_FAILED: 'CONFLICT',
  // Budgets.
  TOO_MANY_REQUESTS: 'RATE_LIMITED',
  TENANT_REQUESTS_SPENT: 'RATE_LIMITED',
  QUERY_BUDGET_SPENT: 'RATE_LIMITED',
  SLOW_CONSUMER: 'RATE_LIMITED',
  TOO_MANY_SUBSCRIPTIONS: 'RATE_LIMITED',
  TOO_MANY_OPERATIONS: 'RATE_LIMITED',
} as const satisfies Record<string, ErrorCode>;

export type ErrorReason = keyof typeof ERROR_REASONS;

export function isErrorReason(value: unknown): value is ErrorReason {
  return typeof value === 'string' && Object.hasOwn(ERROR_REASONS, value);
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra, client-safe details: `field` names the offending input field. */
    readonly details: { field?: string; reason?: ErrorReason; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/**
 * A service's input failed validation. Services name the field as their input names it; the graph layer
 * reports it as BAD_USER_INPUT naming `inputPath(field)`, the CLIs as `<field>: <message>`.
 */
export class InvalidField extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidField';
  }
}

/** A noun with its indefinite article, as messages name things: "an Application", "a Loan", "an active tenant". */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

/**
 * A stored status as a message says it: `written_off` is "written off", the API's WRITTEN_OFF in words. A message
 * never shows the database's spelling of a status, which is no value of the API.
 */
export function statusInWords(status: string): string {
  return status.replaceAll('_', ' ');
}

/**
 * Where the caller finds a field a service named: mutations take one `input` object, so `amount` is
 * `input.amount`, and a row a service names `repayments.3.amount` is `input.repayments[3].amount`, as
 * GraphQL itself and the argument checks name list items. Every error that names a service's field names it
 * through here, so a caller meets one path style.
 */
export function inputPath(field: string): string {
  return `input.${field.replace(/\.(\d+)(?=\.|$)/g, '[$1]')}`;
}

export function badInput(field: string, message: string): AppError {
  return new AppError('BAD_USER_INPUT', message, { field });
}

/**
 * A product, partner or other record the input names by its code that does not exist or the caller may not see:
 * NOT_FOUND naming the input field (docs/errors.md), where an id naming nothing is bad input.
 */
export function noSuchCode(field: string, message: string): AppError {
  return new AppError('NOT_FOUND', message, { field: inputPath(field) });
}

/**
 * A write another request got to first: a unique index refused the row (Prisma's P2002; PostgreSQL's 23505 through
 * plain SQL). Whoever checked first and wrote second meets this, and it is a conflict or a repeat, never internal.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'P2002' || code === '23505';
}
