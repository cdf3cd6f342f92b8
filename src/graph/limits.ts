// Query depth and cost limits, the same for HTTP and WebSocket operations. Depth uses graphql-armor's rule;
// cost counts the objects a query can return, GitHub's way: a connection is assumed to return as many items
// as `first`/`last` asks (or the default page size), multiplying everything selected beneath it.
import { GraphQLError, getNamedType, getOperationAST, getVariableValues, isLeafType, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { AppError } from '../errors.js';
import { DEFAULT_PAGE_SIZE } from './pagination.js';

export interface QueryLimits {
  maxDepth: number;
  maxNodes: number;
}

const nodesEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  const own = isLeafType(getNamedType(field.type)) ? 0 : 1;
  const isConnection = field.args.some((arg) => arg.name === 'first');
  if (!isConnection) return own + childComplexity;
  const requested = typeof args['first'] === 'number' ? args['first'] : typeof args['last'] === 'number' ? args['last'] : DEFAULT_PAGE_SIZE;
  return own + requested * childComplexity;
};

/** Reports (never throws) a validation error, so HTTP and WebSocket both answer BAD_USER_INPUT / QUERY_TOO_DEEP. */
export function depthRule(limits: QueryLimits) {
  return maxDepthRule({
    n: limits.maxDepth,
    ignoreIntrospection: true,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (context, error) => {
        if (!context) return;
        context.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
          extensions: { reason: 'QUERY_TOO_DEEP', limit: limits.maxDepth },
        }));
      },
    ],
  });
}

export function queryCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string | null): number {
  return getComplexity({
    schema,
    query: document,
    variables,
    ...(operationName ? { operationName } : {}),
    estimators: [nodesEstimator],
  });
}

/** Throws BAD_USER_INPUT when an operation is deeper or costlier than allowed. */
export function enforceLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName: string | null | undefined,
  limits: QueryLimits,
  checkDepth: boolean,
): void {
  if (checkDepth) {
    const [depthError] = validate(schema, document, [depthRule(limits)]);
    if (depthError) throw new AppError('BAD_USER_INPUT', depthError.message, { reason: 'QUERY_TOO_DEEP', limit: limits.maxDepth });
  }
  // Variables that do not coerce (a Date that is no date, a Decimal that is no number) run nothing: execution
  // refuses them with HTTP 400 and BAD_USER_INPUT naming the field. Costing them here would throw graphql-js's
  // coercion error out of a request hook, which Apollo answers with HTTP 500.
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return;
  if (getVariableValues(schema, operation.variableDefinitions ?? [], variables).errors) return;
  const cost = queryCost(schema, document, variables, operationName);
  if (cost > limits.maxNodes) {
    throw new AppError('BAD_USER_INPUT', `query may return ${cost} objects; the limit is ${limits.maxNodes}`, {
      reason: 'QUERY_TOO_COSTLY',
      cost,
      limit: limits.maxNodes,
    });
  }
}
