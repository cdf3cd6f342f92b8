// How errors reach clients: every error carries one code from the documented set (src/errors.ts,
// docs/errors.md). AppErrors keep their message and safe details; GraphQL's own request errors become
// BAD_USER_INPUT (the persisted query protocol's own codes excepted); everything else is masked to INTERNAL
// with a correlation id that is also in the logs.
import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, ERROR_CODES, HTTP_STATUS, InvalidField, inputPath, isErrorReason, WWW_AUTHENTICATE, type ErrorCode, type ErrorReason } from '../errors.js';
import { HeaderMap } from '@apollo/server';
import { tokenLimitOf } from './limits.js';
import { literalPath } from './literalPath.js';

/** Apollo's codes for a request it refuses before running it: answered as BAD_USER_INPUT with the code as `reason`. */
export const REQUEST_ERROR_REASONS = [
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
] as const satisfies readonly ErrorReason[];

/**
 * The automatic persisted query protocol's own codes, passed through untouched: Apollo Client's persisted-queries
 * link (and every client following the protocol) resends the full query only on seeing exactly these.
 */
export const PERSISTED_QUERY_CODES = ['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED'] as const;

/**
 * Refusals of the caller's request that Apollo and graphql-js raise as bare errors with no code: a persisted query
 * whose hash is not the query's or of a version Apollo does not know, and more variables that do not fit than
 * graphql-js reports (it stops at 50, adding this error of its own after them). They are the caller's mistakes, not
 * ours, so they are answered as bad input.
 */
const BARE_REFUSALS = new Map<string, { reason: ErrorReason; field?: string }>([
  ['provided sha does not match query', { reason: 'PERSISTED_QUERY_HASH_MISMATCH', field: 'extensions.persistedQuery.sha256Hash' }],
  ['Unsupported persisted query version', { reason: 'PERSISTED_QUERY_VERSION_UNSUPPORTED', field: 'extensions.persistedQuery.version' }],
  ['Too many errors processing variables, error limit reached. Execution aborted.', { reason: 'BAD_VARIABLES' }],
]);

const REQUEST_ERROR_CODES = new Set<string>([...REQUEST_ERROR_REASONS, 'BAD_USER_INPUT', ...PERSISTED_QUERY_CODES]);
const KNOWN = new Set<string>(ERROR_CODES);

/** The reason for one of the bare refusals above, else undefined. */
function bareRefusal(error: unknown): { reason: ErrorReason; field?: string } | undefined {
  const cause = rootCause(error);
  if (!(cause instanceof GraphQLError) || cause.originalError) return undefined;
  return BARE_REFUSALS.get(cause.message);
}

/**
 * Correlation ids given to masked errors, so the formatter reuses the id already logged. Keyed by the error, not
 * the request: errors raised before a context exists (token, tenant, limits) and Apollo's formatter, which is
 * given no context, need the same id, and it lives exactly as long as the error it names.
 */
const correlationIds = new WeakMap<object, string>();

export function toGraphQLError(error: AppError): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: {
      code: error.code, ...error.details,
      http: { status: HTTP_STATUS[error.code], ...httpHeadersOf(error) },
    },
  });
}

/** What an answer over HTTP says besides its body: how to authenticate after a 401, when to come back after a 429 or 503. */
function httpHeadersOf(error: AppError): { headers?: HeaderMap } {
  const headers: [string, string][] = [];
  if (error.code === 'UNAUTHENTICATED') headers.push(['www-authenticate', WWW_AUTHENTICATE]);
  const retryAfter = error.details['retryAfter'];
  if (typeof retryAfter === 'number') headers.push(['retry-after', String(retryAfter)]);
  return headers.length > 0 ? { headers: new HeaderMap(headers) } : {};
}

/** Tags a parse or validation error the way Apollo does on HTTP, so WebSocket clients get the same codes. */
export function requestError(error: GraphQLError, code: 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED'): GraphQLError {
  return new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    extensions: { ...error.extensions, code },
  });
}

/** The original error behind graphql-js and Apollo wrappers. */
export function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

/** Whether an error would be masked, and so must be logged with its correlation id. */
export function isInternal(error: unknown): boolean {
  const cause = rootCause(error);
  if (cause instanceof AppError || cause instanceof InvalidField) return false;
  if (cause instanceof GraphQLError) {
    const code = cause.extensions?.['code'];
    return !(typeof code === 'string' && (KNOWN.has(code) || REQUEST_ERROR_CODES.has(code))) && cause.originalError !== undefined;
  }
  return true;
}

/**
 * Whether formatError will answer this error as INTERNAL: such an error must be logged, with the correlation id
 * the client is given and the request id, wherever it was raised (context, limits, resolvers).
 */
export function isMasked(error: unknown): boolean {
  const cause = rootCause(error);
  if (cause instanceof InvalidField || cause instanceof AppError || bareRefusal(error)) return false;
  const code = error instanceof GraphQLError ? error.extensions?.['code'] : undefined;
  if (typeof code === 'string' && KNOWN.has(code) && !isInternal(error)) return false;
  return !(typeof code === 'string' && REQUEST_ERROR_CODES.has(code));
}

/** Drops graphql-js's "Did you mean …?" hints, which name fields and enum values to callers not allowed to see them. */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}

export function correlationIdFor(error: unknown): string {
  const key = (rootCause(error) ?? error) as object;
  let id = correlationIds.get(key);
  if (!id) {
    id = randomUUID();
    correlationIds.set(key, id);
  }
  return id;
}

/**
 * The input path graphql-js names in a variable's coercion error: `input.valueDate`, or the variable, `asOf`; and
 * beneath it the input field its message ends on, when one was left out or is not the type's (`input.endpointId`).
 */
function variableField(message: string): string | undefined {
  if (!message.startsWith('Variable "$')) return undefined;
  const path = / at "([^"]+)"/.exec(message)?.[1] ?? /^Variable "\$(\w+)"/.exec(message)?.[1];
  const field = /; Field "(\w+)" (?:of required type "[^"]*" was not provided|is not defined by type "\w+")\.?(?: Did you mean [^?]*\?)?$/.exec(message)?.[1];
  return path && field ? `${path}.${field}` : path;
}

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const cause = rootCause(error);
  const base = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
  if (cause instanceof InvalidField) {
    // A mutation's refusals are its payload's userErrors (payloads.ts), named under its `input`; one that reaches
    // here from a field (a query's, or a nested field's arguments: `ledgerAccountStatement(account:)`,
    // `account(asOf:)`) names that field's own argument, which no `input` wraps.
    const field = formatted.path ? inputPath(cause.field).slice('input.'.length) : inputPath(cause.field);
    return { message: cause.message, ...base, extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, field } };
  }
  if (cause instanceof AppError) {
    // A scalar's complaint about a variable arrives wrapped by graphql-js, whose message names the input path
    // (`Variable "$input" got invalid value … at "input.businessDate"; …`, or only `Variable "$asOf" …` when the
    // variable itself is the value): keep it, and name the field. About a value written in the query, validation's
    // message names no path: the value's place in the document does.
    const wrapped = cause.code === 'BAD_USER_INPUT' && formatted.message !== cause.message;
    const field = wrapped ? variableField(formatted.message) ?? literalPath(error) : undefined;
    return {
      message: wrapped ? formatted.message : cause.message,
      ...base,
      extensions: { code: cause.code, ...cause.details, ...(field ? { field, reason: cause.details['reason'] ?? ('BAD_VARIABLES' satisfies ErrorReason) } : {}) },
    };
  }
  const code = formatted.extensions?.['code'];
  const refusal = bareRefusal(error);
  if (refusal) return { message: formatted.message, ...base, extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, ...refusal } };
  if (typeof code === 'string' && (PERSISTED_QUERY_CODES as readonly string[]).includes(code)) {
    return { message: formatted.message, ...base, extensions: { code } };
  }
  if (typeof code === 'string' && KNOWN.has(code) && !isInternal(error)) {
    const { http: _http, stacktrace: _stack, ...rest } = formatted.extensions ?? {};
    // A variable graphql-js refused by itself (null for a required field, a list for an object, text for an Int)
    // names it too, and says it was a variable that did not fit, as every other way in says it.
    const field = code === 'BAD_USER_INPUT' && rest['field'] === undefined ? variableField(formatted.message) : undefined;
    const reason = field && rest['reason'] === undefined ? { reason: 'BAD_VARIABLES' satisfies ErrorReason } : {};
    return { message: formatted.message, ...base, extensions: { ...rest, code, ...(field ? { field } : {}), ...reason } };
  }
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
    const { http: _http, stacktrace: _stack, code: _code, ...rest } = formatted.extensions ?? {};
    const tokenLimit = code === 'GRAPHQL_PARSE_FAILED' ? tokenLimitOf(formatted.message) : undefined;
    // A value written in the query that does not fit its type (text for an Int, an unknown enum value, an input
    // object missing a field) is the same mistake as a variable that does not fit: named by its path, alike.
    const field = code === 'GRAPHQL_VALIDATION_FAILED' && rest['reason'] === undefined ? literalPath(error) : undefined;
    const reason = rest['reason'] ?? (field ? ('BAD_VARIABLES' satisfies ErrorReason) : isErrorReason(code) ? code : undefined);
    return { message: formatted.message, ...base, extensions: { ...rest, code: 'BAD_USER_INPUT' satisfies ErrorCode, reason, ...(field ? { field } : {}), ...tokenLimit } };
  }
  const correlationId = correlationIdFor(error);
  return {
    message: `Internal error. Quote correlation id ${correlationId} to support.`,
    ...base,
    extensions: { code: 'INTERNAL' satisfies ErrorCode, correlationId },
  };
}
