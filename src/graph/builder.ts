// The Pothos schema builder. Authorization is declared on the schema with scope-auth; src/graph/schema.ts
// refuses to build a schema in which any root field or object type lacks an authorization rule, so a new
// field is denied (the server does not start) until a rule names who may use it.
import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import type { GraphQLResolveInfo } from 'graphql';
import RelayPlugin from '@pothos/plugin-relay';
import './syncGlobalIds.js';
import { allows, type Capability } from '../authz/capabilities.js';
import { AppError } from '../errors.js';
import type { Decimal, Money } from '../domain/money.js';
import type { GraphContext } from './context.js';
import { globalIdOf } from '../domain/globalId.js';

/** The capabilities a refused rule asked for, as the schema names them; none for a rule written as a function. */
function neededCapabilities(failure: AuthFailure): string[] {
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) return failure.failures.flatMap(neededCapabilities);
  if (failure.kind !== AuthScopeFailureType.AuthScope) return [];
  if (failure.scope === 'can') return [String(failure.parameter)];
  if (failure.scope === 'canAny') return (failure.parameter as readonly string[]).map(String);
  return [];
}

/**
 * A field refused to a known caller names itself and what it needs: the refusal of one field in a mutation's
 * answer (a partner selecting `Application.parties`) must not read as the command's own refusal.
 */
function fieldRefused(info: GraphQLResolveInfo, failure: AuthFailure): AppError {
  const needed = [...new Set(neededCapabilities(failure))];
  const needs = needed.length === 0 ? '' : ` (it needs ${needed.length === 1 ? needed[0] : `one of ${needed.join(', ')}`})`;
  return new AppError('FORBIDDEN', `${info.parentType.name}.${info.fieldName} is not for this principal${needs}`);
}

export interface AuthScopes {
  /** Any verified principal. */
  authenticated: boolean;
  /** The caller's roles grant this capability (src/authz/capabilities.ts), within its tenant unless a platform one. */
  can: Capability;
  /** The caller's roles grant at least one of these (makers and checkers of one request, say). */
  canAny: readonly Capability[];
}

export const builder = new SchemaBuilder<{
  Context: GraphContext;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Scalars: {
    Decimal: { Input: Decimal; Output: Decimal | string };
    Money: { Input: Money; Output: Money | string };
    Date: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
    IdempotencyKey: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    treatErrorsAsUnauthorized: false,
    authScopes: (context) => ({
      authenticated: context.principal !== null,
      can: (capability) => context.principal !== null && allows(capability, context.principal.roles, context.tenant !== null),
      canAny: (capabilities) => context.principal !== null && capabilities.some((capability) => allows(capability, context.principal!.roles, context.tenant !== null)),
    }),
    unauthorizedError: (_parent, context, info, result) =>
      context.principal ? fieldRefused(info, result.failure) : new AppError('UNAUTHENTICATED', 'a valid token is required'),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // Events carry global ids made by the same function (src/domain/globalId.ts).
    encodeGlobalID: (typename, id) => globalIdOf(typename, String(id)),
    nodeQueryOptions: { authScopes: { authenticated: true }, description: 'Fetches any object by its global id.' },
    nodesQueryOptions: { authScopes: { authenticated: true }, description: 'Fetches objects by their global ids.' },
    nodeTypeOptions: { description: 'An object with a global id.' },
    pageInfoTypeOptions: { description: 'Where a page of a connection starts and ends.' },
    idFieldOptions: { description: 'Global id: opaque, stable, usable with node(id:).' },
    cursorFieldOptions: { description: 'Opaque cursor of this edge, for after/before.' },
    nodeFieldOptions: { description: 'The item at this edge.' },
    edgesFieldOptions: { description: 'The items of this page, with their cursors.' },
    pageInfoFieldOptions: { description: 'Where this page starts and ends.' },
    hasNextPageFieldOptions: { description: 'Whether more items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'Whether items precede this page.' },
    startCursorFieldOptions: { description: 'Cursor of the first item of this page.' },
    endCursorFieldOptions: { description: 'Cursor of the last item of this page.' },
    firstArgOptions: { description: 'Page size from the start, at most MAX_PAGE_SIZE (default 100).' },
    lastArgOptions: { description: 'Page size from the end, at most MAX_PAGE_SIZE (default 100).' },
    afterArgOptions: { description: 'Cursor to start after.' },
    beforeArgOptions: { description: 'Cursor to end before.' },
    defaultConnectionTypeOptions: { description: 'A page of items.' },
    defaultEdgeTypeOptions: { description: 'An item in a page, with its cursor.' },
  },
});

/** The builder's types, for helpers that build fields on any object (`PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, T>`). */
export type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;

builder.queryType({ description: 'Reads.' });
builder.mutationType({ description: 'Commands: each one a database transaction.' });
builder.subscriptionType({ description: 'Live streams over graphql-ws.' });
