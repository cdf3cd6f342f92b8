// Queries run compiled. graphql-js interprets a document field by field on every request, which for a page of loans
// (about 500 fields answered) costs the gateway as much as the whole of a trivial request (docs/performance.md);
// graphql-jit compiles a document once into a function that answers the same fields with the same resolvers about
// ten times faster. Its answers differ from graphql-js's only where something fails (how errors are worded and
// trimmed under a nulled parent, how a variable's refusal names its path), and partners rely on graphql-js's errors.
// So a compiled run is kept only when it answered without a single error; otherwise the same request is run again
// by graphql-js, whose answer (errors and all) is the one sent. Only queries: a mutation is not run twice.
//
// Compiling costs far more than one interpretation, so a document is compiled only once it has been asked a few
// times (a caller sending ever-new documents gets graphql-js, as before), at most a bounded number are kept, and a
// document whose compiled runs keep failing goes back to graphql-js for good.
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContextResponseForOperation } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import { tracer } from '../observability/tracing.js';
import type { GraphContext } from './context.js';

export interface CompiledQueriesOptions {
  /** Times a document is run by graphql-js before it is compiled (3); `never`: every query on graphql-js. */
  compileAfter?: number | 'never';
  /** Compiled documents kept, least recently used dropped first (500). */
  keep?: number;
}

/** A document's compiled form and how its runs went; `compiled` undefined: it is not to be compiled. */
interface Entry {
  seen: number;
  compiled: CompiledQuery | undefined;
  runs: number;
  fallbacks: number;
  /** graphql-js only from now on (graphql-jit refused it, or its compiled runs failed too often). */
  interpreted: boolean;
}

/** Past this many compiled runs, a document whose runs failed more often than not is left to graphql-js. */
const FALLBACK_SAMPLE = 8;

export class CompiledQueries {
  private readonly entries: LRUCache<string, Entry>;
  private readonly compileAfter: number | 'never';
  /** Answers sent from a compiled run, and runs given back to graphql-js, since start (tests and operators). */
  answered = 0;
  fellBack = 0;

  constructor(private readonly schema: GraphQLSchema, options: CompiledQueriesOptions = {}) {
    this.compileAfter = options.compileAfter ?? 3;
    this.entries = new LRUCache({ max: options.keep ?? 500 });
  }

  /** The Apollo plugin: answers a query from its compiled run when that run had no error; null lets Apollo run it. */
  plugin(): ApolloServerPlugin<GraphContext> {
    if (this.compileAfter === 'never') return {};
    return {
      requestDidStart: async () => ({
        responseForOperation: async (requestContext) => this.respond(requestContext),
      }),
    };
  }

  private async respond(requestContext: GraphQLRequestContextResponseForOperation<GraphContext>) {
    const { operation, queryHash, operationName, document, request, contextValue } = requestContext;
    if (operation.operation !== 'query') return null;
    const key = `${queryHash}\u0000${operationName ?? ''}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { seen: 0, compiled: undefined, runs: 0, fallbacks: 0, interpreted: false };
      this.entries.set(key, entry);
    }
    if (entry.interpreted) return null;
    if (!entry.compiled) {
      entry.seen += 1;
      if (this.compileAfter === 'never' || entry.seen <= this.compileAfter) return null;
      const compiled = compileQuery(this.schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
      if (!isCompiledQuery(compiled)) {
        entry.interpreted = true;
        return null;
      }
      entry.compiled = compiled;
    }
    const phase = tracer()?.startSpan('graphql.execute');
    const result = await entry.compiled.query(undefined, contextValue, request.variables ?? {});
    phase?.end();
    entry.runs += 1;
    if (result.errors?.length) {
      entry.fallbacks += 1;
      this.fellBack += 1;
      if (entry.runs >= FALLBACK_SAMPLE && entry.fallbacks * 2 > entry.runs) {
        entry.interpreted = true;
        entry.compiled = undefined;
      }
      // graphql-js runs it again from the start: what the compiled run counted does not count twice.
      contextValue.answerCeiling?.restart();
      return null;
    }
    this.answered += 1;
    return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single' as const, singleResult: { data: result.data } } };
  }
}
