// Apollo Server plugins that observe each GraphQL operation over HTTP once, never per field: its duration and the
// codes of the errors it answered (metrics), and its span's name, phases and failure (tracing). Each is installed
// only when its half is on.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { GraphQLError } from 'graphql';
import { ERROR_CODES } from '../errors.js';
import { correlationIdFor, isMasked, PERSISTED_QUERY_CODES } from '../graph/errors.js';
import { operationDuration, operationErrors } from './metrics.js';
import { tracer } from './tracing.js';

/**
 * Distinct operation names one process labels series with. Names are the callers' to choose, so past this many the
 * rest are counted together as `(other)`: a caller inventing names cannot grow the series without bound.
 */
export const OPERATION_NAMES_LIMIT = 200;
/** GraphQL names are unbounded in length; a label is not. */
const NAME_LENGTH = 100;

/** Label values that are not GraphQL names, so no operation can be called them. */
export const ANONYMOUS = '(anonymous)';
export const OTHER = '(other)';
/** A request that never reached an operation: unparsable, invalid, refused before it ran. */
export const NO_OPERATION = '(none)';

const CODES = new Set<string>([...ERROR_CODES, ...PERSISTED_QUERY_CODES]);

/** The operation-name label: the name while the set of names seen is under the limit, `(other)` past it. */
export class OperationNames {
  private readonly seen = new Set<string>();

  constructor(private readonly limit = OPERATION_NAMES_LIMIT) {}

  label(resolved: boolean, name: string | null | undefined): string {
    if (!resolved) return NO_OPERATION;
    if (!name) return ANONYMOUS;
    const cut = name.slice(0, NAME_LENGTH);
    if (this.seen.has(cut)) return cut;
    if (this.seen.size >= this.limit) return OTHER;
    this.seen.add(cut);
    return cut;
  }
}

/** The code a client is answered with for an error raised outside any operation (formatError's rule: INTERNAL if none). */
function codeOf(error: Error): string {
  const code = error instanceof GraphQLError ? error.extensions['code'] : undefined;
  return typeof code === 'string' && CODES.has(code) ? code : 'INTERNAL';
}

function operationMetrics(): ApolloServerPlugin<BaseContext> {
  const names = new OperationNames();
  return {
    // The token, the tenant or the rate limit refused the request before Apollo saw an operation.
    async contextCreationDidFail({ error }) {
      operationErrors.inc({ operation_name: NO_OPERATION, operation_type: 'unknown', code: codeOf(error) });
    },
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, operationName, response }) {
          const labels = { operation_name: names.label(operation !== undefined, operationName), operation_type: operation?.operation ?? 'unknown' };
          operationDuration.observe(labels, (performance.now() - started) / 1000);
          // The answer as the client gets it (formatted, a refusal of size already in place).
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            const code = error.extensions?.['code'];
            operationErrors.inc({ ...labels, code: typeof code === 'string' && CODES.has(code) ? code : 'OTHER' });
          }
        },
      };
    },
  };
}

/** Ends a phase's span, marking it failed when the phase failed. */
function endPhase(span: Span, failed: boolean): void {
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

function operationSpans(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const spans = tracer();
      // The request's span, active around everything Apollo runs (httpRequests.ts).
      const span = trace.getActiveSpan();
      if (!spans || !span) return;
      return {
        async didResolveOperation({ operation, operationName }) {
          if (!operation) return;
          // As the GraphQL conventions name a server span: `query LoanById`.
          span.updateName(`${operation.operation} ${operationName ?? ANONYMOUS}`);
          span.setAttribute('graphql.operation.type', operation.operation);
          if (operationName) span.setAttribute('graphql.operation.name', operationName);
        },
        async parsingDidStart() {
          const phase = spans.startSpan('graphql.parse');
          return async (error) => endPhase(phase, error !== undefined);
        },
        async validationDidStart() {
          const phase = spans.startSpan('graphql.validate');
          return async (errors) => endPhase(phase, (errors?.length ?? 0) > 0);
        },
        async executionDidStart() {
          const phase = spans.startSpan('graphql.execute');
          // Only the end of execution: a willResolveField here would put a hook on every field resolved.
          return { executionDidEnd: async (error) => endPhase(phase, error !== undefined) };
        },
        async didEncounterErrors({ errors }) {
          const masked = errors.filter((error) => isMasked(error));
          if (masked.length === 0) return;
          // What support is quoted: the same id as the client's answer and the log line.
          span.setAttribute('lendgraph.correlation_ids', masked.map((error) => correlationIdFor(error)));
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'INTERNAL' });
        },
      };
    },
  };
}

/** The plugins for what is on: metrics when the listener serves, spans when tracing is on. */
export function graphqlObservers(options: { metrics: boolean }): ApolloServerPlugin<BaseContext>[] {
  return [...(options.metrics ? [operationMetrics()] : []), ...(tracer() ? [operationSpans()] : [])];
}
