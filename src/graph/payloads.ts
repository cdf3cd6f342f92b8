// The one shape of every mutation (docs/partners.md, "Mutations: one shape"): `fooBar(input: FooBarInput!):
// FooBarPayload!`, the payload carrying what the command made or changed (null when it was refused, or when a
// field selected in it is withheld from the caller, GraphQL nulling the nearest nullable field above that), and
// `userErrors`: the business refusals a caller can act on (a field's bad value, an id in the input that names
// nothing the caller may see, a state that does not allow the command, the maker trying to be the checker),
// each with its code, reason and the input field it names. Nothing is written when userErrors is not empty.
// Who may call (UNAUTHENTICATED, FORBIDDEN), budgets, a suspended lender and internal faults stay top-level
// GraphQL errors, as for queries.
//
// Resolvers do not build refusals: they throw as services do, and `refusalsAsUserErrors` turns a mutation's
// business errors into its payload once, over the built schema, so a mutation added later cannot forget.
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { builder, type BuilderTypes } from './builder.js';
import { AppError, ERROR_CODES, ERROR_REASONS, InvalidField, inputPath, type ErrorCode, type ErrorReason } from '../errors.js';
import { rootCause } from './errors.js';
import { LIST_SIZES } from './limits.js';

export interface UserErrorShape {
  message: string;
  code: ErrorCode;
  reason: ErrorReason | null;
  field: string | null;
}

/** What a payload's resolver returns: its fields on success; on a refusal only userErrors, the rest null. */
export type Refusable<Shape extends object> = { [K in keyof Shape]?: Shape[K] | null } & { userErrors?: UserErrorShape[] };

const CODE_ABOUT: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'No valid token was given.',
  FORBIDDEN: 'The caller may not do this (as a user error: a four-eyes or authority rule refused it).',
  NOT_FOUND: 'Nothing the caller may see has that id or code (as a user error: the input field names it).',
  BAD_USER_INPUT: 'An input field\'s value is refused; `field` names it.',
  CONFLICT: 'The object\'s state does not allow this now (already decided, closed, changed meanwhile).',
  TENANT_SUSPENDED: 'The lender is suspended.',
  TENANT_MIGRATING: 'The lender\'s data is being brought up to this version; retry after `retryAfter` seconds.',
  RATE_LIMITED: 'A budget is spent; retry later.',
  INTERNAL: 'Our fault; quote the correlation id.',
};

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description: 'The documented error codes (docs/errors.md), the same in user errors and in GraphQL errors\' `extensions.code`.',
  values: Object.fromEntries(ERROR_CODES.map((code) => [code, { value: code, description: CODE_ABOUT[code] }])) as Record<ErrorCode, { value: ErrorCode; description: string }>,
});

export const ErrorReasonEnum = builder.enumType('ErrorReason', {
  description: 'Which of several failures behind one code this is (docs/errors.md explains each), so a client can act on it.',
  values: Object.fromEntries(
    Object.entries(ERROR_REASONS).map(([reason, code]) => [reason, { value: reason, description: `Comes with ${code} (docs/errors.md).` }]),
  ) as Record<ErrorReason, { value: ErrorReason; description: string }>,
});

export const UserErrorRef = builder.objectRef<UserErrorShape>('UserError').implement({
  description: 'A business refusal of a mutation: nothing was written. `field` names the input field at fault, in the path style of GraphQL errors (`input.repayments[3].amount`).',
  authScopes: { authenticated: true },
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What is wrong, for a person.' }),
    code: t.field({ type: ErrorCodeEnum, description: 'The error code.', resolve: (e) => e.code }),
    reason: t.field({ type: ErrorReasonEnum, nullable: true, description: 'The finer reason, when the code has several.', resolve: (e) => e.reason }),
    field: t.exposeString('field', { nullable: true, description: 'The input field at fault, when one is.' }),
  }),
});

type PayloadFields<Shape extends object> = (t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, Refusable<Shape>>) => Record<string, unknown>;

function capitalized(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * What every payload's description says of its fields' nulls: a refusal nulls them all, and a field withheld from
 * the caller (a partner selecting `Application.parties`) nulls the nearest nullable field above it though the
 * command ran. A client that took every null for a refusal would send a command that succeeded again.
 */
const WHEN_NULL = 'Everything but userErrors is null when the mutation was refused: userErrors then says why, and nothing was written. '
  + 'A field is also null, with userErrors empty, when something selected in it is withheld from the caller: the command ran (do not send it again), and an error names the field withheld.';

/**
 * `<Mutation>Payload` with the given fields (each nullable: null on a refusal, or for a field withheld below it)
 * and `userErrors`. The mutation's own authorization rule guards it; the payload only needs a caller.
 */
export function payloadType<Shape extends object>(mutation: string, description: string, fields: PayloadFields<Shape>) {
  const name = `${capitalized(mutation)}Payload`;
  LIST_SIZES[`${name}.userErrors`] = MAX_USER_ERRORS;
  return builder.objectRef<Refusable<Shape>>(name).implement({
    description: `${description} ${WHEN_NULL}`,
    authScopes: { authenticated: true },
    fields: (t) => ({
      ...(fields(t) as Record<string, never>),
      userErrors: t.field({
        type: [UserErrorRef],
        description: 'Why the mutation was refused; empty when it succeeded.',
        resolve: (payload) => payload.userErrors ?? [],
      }),
    }),
  });
}

/** A payload with one field: the object the mutation made or changed. */
export function objectPayload<Name extends string, T>(
  mutation: string,
  field: Name,
  type: PothosSchemaTypes.ObjectRef<BuilderTypes, T, T> | PothosSchemaTypes.InterfaceRef<BuilderTypes, T, T>,
  description: string,
) {
  return payloadType<Record<Name, T>>(mutation, description, (t) => ({
    [field]: t.field({ type, nullable: true, description, resolve: (payload) => ((payload as Record<string, T | null | undefined>)[field] ?? null) as never }),
  }));
}

/** Codes that are always the caller's input or the record's state; FORBIDDEN only with a four-eyes reason. */
const BUSINESS_CODES = new Set<ErrorCode>(['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND']);

/** The most user errors one refusal carries (an incomplete submission names each missing field). */
export const MAX_USER_ERRORS = 50;

/**
 * The refusals a caller can act on, as user errors — one per input field when an error names several (every
 * missing field of an incomplete submission) — or null: anything else stays a GraphQL error.
 */
export function userErrorsOf(error: unknown): UserErrorShape[] | null {
  const cause = rootCause(error);
  if (cause instanceof InvalidField) return [{ message: cause.message, code: 'BAD_USER_INPUT', reason: null, field: inputPath(cause.field) }];
  if (!(cause instanceof AppError)) return null;
  const reason = cause.details.reason ?? null;
  const business = BUSINESS_CODES.has(cause.code) || (cause.code === 'FORBIDDEN' && reason !== null);
  if (!business) return null;
  const { field, fields } = cause.details;
  const named = Array.isArray(fields) && fields.length > 0 ? fields.filter((f): f is string => typeof f === 'string') : [typeof field === 'string' ? field : null];
  return named.slice(0, MAX_USER_ERRORS).map((path) => ({ message: cause.message, code: cause.code, reason, field: path }));
}

/**
 * Wraps every mutation's resolver (after the argument checks, inside authorization) so its business refusals
 * come back as `{ userErrors }` in its payload. The command's transaction has already rolled back when the error
 * reaches here, so nothing was written.
 */
export function refusalsAsUserErrors(schema: GraphQLSchema): GraphQLSchema {
  const mutation = schema.getMutationType();
  if (!mutation) return schema;
  for (const field of Object.values(mutation.getFields())) {
    const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
    field.resolve = async (source, args, context, info) => {
      try {
        return await resolve(source, args, context, info);
      } catch (error) {
        const userErrors = userErrorsOf(error);
        if (!userErrors) throw error;
        return { userErrors };
      }
    };
  }
  return schema;
}
