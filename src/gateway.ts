// One HTTP port: GraphQL over HTTP (Apollo Server 5) and over WebSocket (graphql-ws) at the same path,
// /healthz, /readyz, the offline explorer, and the development issuer's JWKS when it is on. Prometheus's /metrics
// has a listener of its own (METRICS_PORT), never this port (docs/observability.md).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { STATEMENT_PATH, statementDownload } from './graph/loanStatement.js';
import { SETTLEMENT_PATH, settlementDownload } from './graph/coLendingSettlement.js';
import { PORTFOLIO_REPORT_PATH, portfolioReportDownload } from './graph/portfolioReport.js';
import { PROVIDER_CALLBACK_PATH, providerCallbacks } from './graph/providerCallbacks.js';
import { startPendingChecks } from './services/origination/pendingChecks.js';
import { DOCUMENT_DOWNLOAD_ROUTE, DOCUMENT_UPLOAD_ROUTE, DOCUMENTS_PREFIX, documentDownload, documentUpload } from './graph/applicationDocumentFiles.js';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { WebSocketServer, type WebSocket } from 'ws';
import { websocketCap } from './capacity.js';
import { useServer } from 'graphql-ws/use/ws';
import { LRUCache } from 'lru-cache';
import { GraphQLError, NoSchemaIntrospectionCustomRule, execute, getOperationAST, getVariableValues, type ExecutionArgs, type ExecutionResult, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getDistDirectory, renderAltair } from 'altair-static';
import type { Runtime } from './runtime.js';
import { AppError, WWW_AUTHENTICATE, type ErrorCode, type ErrorReason } from './errors.js';
import { ServedPaths } from './servedPaths.js';
import { replyWithError, routeErrorBody } from './graph/httpRoutes.js';
import { crossOriginOf, crossOriginRequests, letPageRead } from './crossOrigin.js';
import { buildSchema } from './graph/schema.js';
import { SubscriptionFanout, type FrameSink } from './graph/subscriptionFanout.js';
import { ClientSocket } from './graph/clientSocket.js';
import { HeldStream, SubscriptionSlots, type ConnectionSlots, type SubscriptionSlot } from './graph/subscriptionSlots.js';
import { readinessCheck } from './readiness.js';
import { authenticate, buildContext, contextFor, requestIdFrom, requestLogFields, type GraphContext } from './graph/context.js';
import { correlationIdFor, formatError, isMasked, requestError, rootCause, toGraphQLError, withoutSuggestions } from './graph/errors.js';
import { enforceLimits, limitRules, parseOptions, queryCost, refusalCost, tooLarge, variablesRefused, type QueryCost, type QueryLimits, type QuerySize } from './graph/limits.js';
import { answerCeiling } from './graph/answerCeiling.js';
import { RateLimitExceeded, RequestRateLimits, type CostBudget } from './rateLimits.js';
import { isLoopbackHost, type Config } from './config.js';
import type { Logger } from './log.js';
import { signDevToken } from './authz/devIssuer.js';
import type { Principal } from './authz/principal.js';
import { DEMO_TENANT } from './tenancy/demoTenant.js';
import { graphqlObservers } from './observability/graphqlObservers.js';
import { inRequestSpan, requestObserver } from './observability/httpRequests.js';
import { startMetricsListener } from './observability/metricsListener.js';
import { observeWebSockets } from './observability/webSockets.js';
import { websocketRefusals } from './observability/metrics.js';
import { listenRefused, PortTaken } from './startUpProblem.js';

export const GRAPHQL_PATH = '/graphql';
export const TENANT_HEADER = 'x-lendgraph-tenant';
/** How far a shared subscriber the fan-out cannot write to directly may fall behind before SLOW_CONSUMER: the feed's
 * own bound. One written directly is bounded by what its socket holds unsent (subscriptionFanout.ts). */
const SHARED_SUBSCRIBER_QUEUE = 1_000;
/** How a refused `connection_init` closes the socket (docs/errors.md); every other refusal is 4403. */
/**
 * Queries and mutations one connection may have being answered at once (subscriptions have their own bound). An
 * answer is held in the gateway's memory until it is handed to the socket, and graphql-ws takes every operation a
 * client sends at once: without a bound, one burst of operations from a client that does not read its answers
 * held them all (500 answers of 220 KB: 106 MB).
 */
const MAX_OPERATIONS_ANSWERING = 16;

/**
 * Bytes a connection may hold that its client has not read before it is closed (4429 SLOW_CONSUMER) when it asks for
 * more — an operation, or a `ping`, which graphql-ws answers with a `pong` carrying the ping's own payload, before
 * `connection_init` too: a client that keeps sending and stops reading would otherwise be answered, refusal by
 * refusal or pong by pong, for ever.
 */
const MAX_UNREAD_BYTES = 1024 * 1024;

/** What onSubscribe answers for a subscription its client completed before it was set up: graphql-ws sends nothing for it. */
function completedByItsClient(): GraphQLError[] {
  return [new GraphQLError('completed by its client before it was set up')];
}

/** Closes a connection whose client has stopped reading what it asks for (4429 SLOW_CONSUMER); whether it was. */
function closedAsSlow(socket: WebSocket): boolean {
  if (socket.bufferedAmount <= MAX_UNREAD_BYTES) return false;
  // Counted once per connection: what its client sent before the close goes on arriving while it closes.
  if (socket.readyState === socket.OPEN) websocketRefusals.inc({ reason: 'SLOW_CONSUMER' });
  socket.close(4429, 'SLOW_CONSUMER');
  return true;
}

const WEBSOCKET_CLOSE_CODES: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 4401, RATE_LIMITED: 4429, TENANT_MIGRATING: 4503, INTERNAL: 4500 };

export interface Gateway {
  url: string;
  graphqlUrl: string;
  websocketUrl: string;
  explorerUrl: string;
  /** Prometheus's GET /metrics on METRICS_PORT; null when that is 0. */
  metricsUrl: string | null;
  schema: GraphQLSchema;
  /** The shared subscription groups of this process (how many share each, how often each document ran). */
  subscriptions: SubscriptionFanout;
  /**
   * Whether this process keeps a subscription's document text checked (parsed and validated), to reuse it: a probe
   * into the cache for tests and diagnosis; nothing in the gateway's work reads it.
   */
  keepsCheckedDocument(text: string): boolean;
  /** Stops accepting, drains HTTP and WebSocket connections, within SHUTDOWN_TIMEOUT_MS. */
  close(): Promise<void>;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Whether a caller may introspect the schema and be told "Did you mean …" (INTROSPECTION: public, staff or off). */
export function mayIntrospect(config: Config, principal: Principal | null): boolean {
  if (config.INTROSPECTION === 'public') return true;
  if (config.INTROSPECTION === 'off' || !principal) return false;
  return principal.partner === null && principal.roles.length > 0;
}

/**
 * Whether each parsed document asks for `__schema` or `__type` (the refusal's message, or null), per schema: it
 * depends on the document alone, and Apollo's store hands the same parsed document to every request with the
 * same text. Validating it again on each request was a quarter of a loan read's CPU in production, where no
 * caller may introspect and every request was checked (docs/performance.md).
 */
const introspectionIn = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, string | null>>();

function introspectionRefusal(schema: GraphQLSchema, document: DocumentNode): string | null {
  let bySchema = introspectionIn.get(schema);
  if (!bySchema) introspectionIn.set(schema, (bySchema = new WeakMap()));
  let refusal = bySchema.get(document);
  if (refusal === undefined) {
    refusal = validate(schema, document, [NoSchemaIntrospectionCustomRule])[0]?.message ?? null;
    bySchema.set(document, refusal);
  }
  return refusal;
}

/** Refuses `__schema` / `__type` to a caller who may not introspect. */
function assertIntrospectionAllowed(schema: GraphQLSchema, document: DocumentNode, config: Config, principal: Principal | null): void {
  if (mayIntrospect(config, principal)) return;
  const refusal = introspectionRefusal(schema, document);
  if (refusal !== null) throw new AppError('BAD_USER_INPUT', refusal, { reason: 'INTROSPECTION_DISABLED' });
}

/**
 * Enforces the size limits that need variables or the caller, and returns the operation's size for its response's
 * `extensions.cost`; a refusal of size is logged with its correlation id on `logged`'s logger (a request's is made
 * only when read).
 */
function checkOperation(
  runtime: Runtime, schema: GraphQLSchema, limits: QueryLimits, logged: { readonly log: Logger }, principal: Principal | null,
  document: DocumentNode, variables: Record<string, unknown>, operationName: string | null | undefined, reuseKnownSize = false,
): QuerySize | undefined {
  assertIntrospectionAllowed(schema, document, runtime.config, principal);
  try {
    return enforceLimits(schema, document, variables, operationName, limits, false, reuseKnownSize);
  } catch (error) {
    if (error instanceof AppError && ['QUERY_TOO_LARGE', 'QUERY_TOO_COSTLY'].includes(String(error.details['reason']))) {
      const correlationId = randomUUID();
      error.details['correlationId'] = correlationId;
      logged.log.warn({ correlationId, operationName: operationName ?? null, ...error.details }, 'query refused before it ran');
    }
    throw error;
  }
}

/** An answer's `extensions.cost` with what is left of the caller's budget for the minute (Shopify's throttle status). */
function withBudget(cost: QueryCost, budget: CostBudget | null): QueryCost {
  return budget ? { ...cost, budget } : cost;
}

/**
 * Enforces the limits that need variables or the caller, counts the answer's objects against the node ceiling as
 * it is built, logs every operation (request id, tenant, outcome) and every masked error with its correlation id.
 */
function operationsPlugin(runtime: Runtime, schema: GraphQLSchema, limits: QueryLimits, rateLimits: RequestRateLimits): ApolloServerPlugin<GraphContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      // The answer's objects, counted as it is built (src/graph/answerCeiling.ts): past the ceiling nothing more
      // resolves, and the answer is the refusal (`ceiling.passed`), logged with its correlation id.
      const ceiling = answerCeiling(limits.maxNodes, (nodes) => {
        const refusal = tooLarge(undefined, limits.maxNodes);
        const correlationId = randomUUID();
        refusal.details['correlationId'] = correlationId;
        contextValue.log.warn({ correlationId, reason: 'QUERY_TOO_LARGE', limit: limits.maxNodes, nodes }, 'query stopped: its answer passed the node ceiling');
        return refusal;
      });
      contextValue.answerCeiling = ceiling;
      let cost: QueryCost | undefined;
      /** The estimate the operation was costed at, once it has passed its limits and (with a caller) its budget. */
      let costed: QuerySize | undefined;
      /** Whether that estimate was taken from the caller's budget (with budgets on), until given back. */
      let spent = false;
      return {
        async willSendResponse({ contextValue, operationName, errors, response }) {
          const context = contextValue as GraphContext | undefined;
          // What Apollo's cache-control plugin answered for every response of this schema, which declares no
          // cache hints: nothing may be cached. The plugin itself is off (it costs a hook on every field resolved).
          response.http.headers.set('cache-control', 'no-store');
          const oversized = ceiling.passed;
          // An operation costed from a size known before its variables were coerced (checkOperation), whose variables
          // execution then refused, ran nothing: an answer without data whose errors are all bad input. What it took
          // from the budget is given back and the answer carries no cost, as when its variables were refused before
          // it was costed.
          if (costed && !oversized && response.body.kind === 'single' && response.body.singleResult.data === undefined
            && (response.body.singleResult.errors ?? []).every((error) => error.extensions?.['code'] === 'BAD_USER_INPUT')) {
            if (spent && context?.principal) await rateLimits.refundQueryCost(context.principal, costed.cost);
            spent = false;
            costed = undefined;
            cost = undefined;
          }
          if (oversized && response.body.kind === 'single') {
            // No partial answer: the caller asks again for smaller pages.
            response.body.singleResult = graphqlErrorBody(oversized);
            response.http.status = 400;
          }
          if (cost && response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, cost };
          }
          // A request without a token that asked for a field needing one is refused as any request needing
          // authentication is (RFC 6750): 401 with the challenge, even where another field of it was answered. Only
          // a caller without a principal is ever refused so; a field refused to a known caller stays a 200 beside the
          // rest of its answer (docs/errors.md).
          if (!context?.principal && response.body.kind === 'single' && (response.http.status ?? 200) === 200
            && response.body.singleResult.errors?.some((error) => error.extensions?.['code'] === 'UNAUTHENTICATED')) {
            response.http.status = 401;
            response.http.headers.set('www-authenticate', WWW_AUTHENTICATE);
          }
          if (response.body.kind === 'single' && response.body.singleResult.errors && !mayIntrospect(runtime.config, context?.principal ?? null)) {
            response.body.singleResult.errors = response.body.singleResult.errors.map((error) => ({ ...error, message: withoutSuggestions(error.message) }));
          }
          // With the request's fields, but without making the request's own logger for this one line.
          runtime.log.info({
            ...(context ? requestLogFields(context) : {}),
            operationName: operationName ?? null,
            status: response.http.status ?? 200,
            errors: oversized ? 1 : errors?.length ?? 0,
            durationMs: Math.round((performance.now() - started) * 10) / 10,
          }, 'graphql operation');
        },
        async didResolveOperation({ document, request, operationName, contextValue }) {
          // Depth, aliases and directives are checked by validationRules; the rest needs variables or the caller.
          try {
            const size = checkOperation(runtime, schema, limits, contextValue, contextValue.principal, document, request.variables ?? {}, operationName, true);
            if (size) cost = queryCost(size, limits);
            if (size && contextValue.principal) {
              try {
                const budget = await rateLimits.spendQueryCost(contextValue.principal, size.cost);
                cost = withBudget(cost!, budget);
                spent = budget !== null;
              } catch (error) {
                // Variables that do not fit their types are execution's to refuse (HTTP 400, naming the field),
                // whatever is left of the budget: only an operation that would run is refused for its cost. The size
                // was known without them being coerced; they are coerced here only when it comes to a refusal.
                const operation = getOperationAST(document, operationName ?? undefined);
                if (error instanceof RateLimitExceeded && operation && variablesRefused(schema, operation, request.variables ?? {})) {
                  cost = undefined;
                  return;
                }
                throw error;
              }
            }
            costed = size;
          } catch (error) {
            cost = refusalCost(error, limits) ?? cost;
            if (error instanceof AppError) throw toGraphQLError(error);
            throw error;
          }
        },
        async didEncounterErrors({ errors, contextValue }) {
          const log = (contextValue as GraphContext | undefined)?.log ?? runtime.log;
          for (const error of errors) {
            if (isMasked(error)) log.error({ err: rootCause(error), correlationId: correlationIdFor(error) }, 'internal error');
          }
        },
      };
    },
  };
}

/**
 * Why graphql-js would refuse to run this operation before running it, as the errors HTTP answers with: no single
 * operation by that name (OPERATION_RESOLUTION_FAILURE), or variables that do not fit (BAD_VARIABLES, naming them).
 */
function operationRefusal(schema: GraphQLSchema, document: DocumentNode, operationName: string | null, variables: Record<string, unknown>): GraphQLError[] | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    const message = operationName !== null ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.';
    return [new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
  if (!coerced.errors) return null;
  // A scalar's own refusal (an AppError inside) is formatted as over HTTP; graphql-js's are the caller's input too.
  return coerced.errors.map((error) => (rootCause(error) instanceof AppError ? error
    : new GraphQLError(error.message, { ...(error.nodes ? { nodes: error.nodes } : {}), extensions: { code: 'BAD_USER_INPUT' } })));
}

/** The WebSocket side of the API (graphql-ws on the same path): authorized at connection_init, each operation
 * parsed, validated and limited as over HTTP, with a cap on the sockets one process holds and on the live
 * subscriptions one connection and one principal hold. */
function startWebSocketServer(runtime: Runtime, httpServer: http.Server, schema: GraphQLSchema, limits: QueryLimits, rateLimits: RequestRateLimits) {
  const { config, log } = runtime;
  // A pool and a LISTEN session on every database tenants are placed on.
  const websocketLimit = websocketCap(config.MAX_WEBSOCKET_CONNECTIONS, (config.PG_POOL_MAX + 1) * runtime.databases.list().length);
  // Upgrades are handed over by hand rather than by giving ws the HTTP server: ws would also pass on the server's
  // errors, and graphql-ws prints those with their stack, so a taken PORT was a stack trace before its message.
  const wsServer = new WebSocketServer({
    noServer: true,
    path: GRAPHQL_PATH,
    // Frames go out as written (ws's default, said here because the fan-out relies on it): with compression every
    // subscriber's copy of an event would be deflated on its own.
    perMessageDeflate: false,
    // A frame written after its client has gone is done, not a failure of the operation that sent it.
    WebSocket: ClientSocket,
    // Until its connection_init is accepted a socket's messages are bounded as a request without a token is (ws
    // would take 100 MiB); then as one with a token (onConnect raises it: clientSocket.ts).
    maxPayload: Math.min(config.MAX_ANONYMOUS_REQUEST_BYTES, config.MAX_REQUEST_BYTES),
    verifyClient: (_info, accept) => {
      if (wsServer.clients.size < websocketLimit) return accept(true);
      log.warn({ limit: websocketLimit }, 'WebSocket refused: this process holds its maximum');
      accept(false, 503, 'at capacity; retry on another replica', { 'Retry-After': '5' });
    },
  });
  httpServer.on('upgrade', (request, socket, head) => wsServer.handleUpgrade(request, socket, head, (ws) => {
    wsServer.emit('connection', ws, request);
    // graphql-ws answers a socket's error by printing it to stderr with its stack, as an internal error. ws emits one
    // on a server's socket only for a message its client may not send (past the socket's bound, not UTF-8, a broken
    // frame), having already closed the socket with the code that says why (1009, 1007, 1002): the client's doing,
    // which anyone could repeat to fill stderr.
    ws.removeAllListeners('error');
    ws.on('error', (error: NodeJS.ErrnoException) => log.info({ reason: error.code, message: error.message }, 'WebSocket closed: its client sent a message it may not'));
  }));
  const countSubscriptions = observeWebSockets(wsServer);
  // Documents that parsed and passed validation, by their text (validation depends on neither caller nor
  // variables): a lender's dashboards subscribe with the same few, and each parsed copy (its tokens and locations)
  // otherwise stayed in memory for as long as its socket. Refused texts are not kept, nor long ones: a parsed
  // document holds many times its text, so the cache keeps at most 256 texts of up to 2,048 characters.
  const checkedDocuments = new LRUCache<string, DocumentNode>({ max: 256 });
  const SHARED_DOCUMENT_TEXT = 2_048;
  // An operation's cost, kept with its context from onSubscribe (where it is measured) to onNext.
  const costs = new WeakMap<object, QueryCost>();
  // An operation's socket and subscription id, kept with its context from onSubscribe: a shared group writes its
  // members' frames there itself.
  const sinks = new WeakMap<object, FrameSink>();
  // An operation refused for its size or for its cost (QUERY_BUDGET_SPENT), by the context made for its answer:
  // graphql-ws sends that answer as the operation's one result, so it says what the operation would have cost in
  // `extensions.cost`, as over HTTP.
  const answered = new WeakMap<object, ExecutionResult>();
  const subscriptionSlots = new SubscriptionSlots({ perConnection: config.MAX_SUBSCRIPTIONS_PER_CONNECTION, perPrincipal: config.MAX_SUBSCRIPTIONS_PER_PRINCIPAL });
  // A subscription's slot, kept with its context from onSubscribe (where it is taken) to `subscribe`, which gives it
  // to the subscription's stream to give back when the stream ends.
  const slots = new WeakMap<object, SubscriptionSlot>();
  /** The fan-out's `subscribe`, its stream holding the operation's slot; a refusal before any event holds none. */
  const subscribeHolding = async (args: ExecutionArgs) => {
    const slot = slots.get(args.contextValue as object);
    if (!slot) return fanout.subscribe(args);
    try {
      const stream = await fanout.subscribe(args);
      if (Symbol.asyncIterator in stream) return new HeldStream(stream, slot);
      slot.release();
      return stream;
    } catch (error) {
      slot.release();
      throw error;
    }
  };
  /** What a `next` message carries for a result: its cost, as over HTTP, and its errors formatted (masked ones logged). */
  const nextPayload = (args: ExecutionArgs, result: ExecutionResult) => {
    // Every result of an operation (each event of a subscription) says what the operation cost, as over HTTP.
    const cost = costs.get(args.contextValue as object);
    const withCost = cost ? { ...result, extensions: { ...result.extensions, cost } } : result;
    if (!result.errors) return withCost;
    const contextLog = (args.contextValue as GraphContext | undefined)?.log ?? log;
    return {
      ...withCost,
      errors: result.errors.map((error) => {
        if (isMasked(error)) contextLog.error({ err: rootCause(error), correlationId: correlationIdFor(error) }, 'internal error');
        return formatError(error.toJSON(), error);
      }),
    };
  };
  // Subscribers asking the same thing in the same scope share one execution per event, and one serialization of
  // its `next` payload (docs/events.md).
  const fanout = new SubscriptionFanout({
    maxQueue: SHARED_SUBSCRIBER_QUEUE,
    sinkOf: (args) => sinks.get(args.contextValue as object),
    payloadOf: nextPayload,
  });
  const wsDisposable = useServer<{ authorization?: string; tenant?: string }, { principal: Principal | null; expiry?: NodeJS.Timeout; slots: ConnectionSlots; answering: Set<string> }>(
    {
      schema,
      execute: (args) => answered.get(args.contextValue as object) ?? execute(args),
      subscribe: (args) => answered.get(args.contextValue as object) ?? subscribeHolding(args),
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const address = ctx.extra.request.socket.remoteAddress;
        try {
          const params = ctx.connectionParams ?? {};
          const authorization = typeof params.authorization === 'string' ? params.authorization : undefined;
          // As over HTTP: a connection without a token, or whose token fails, takes from the address's anonymous budget.
          if (!authorization) await rateLimits.forAddress(address);
          let principal: Principal | null;
          try {
            principal = await authenticate(runtime, authorization);
          } catch (error) {
            if (error instanceof AppError && error.code === 'UNAUTHENTICATED') await rateLimits.forAddress(address);
            throw error;
          }
          if (!principal) throw new AppError('UNAUTHENTICATED', 'connection_init must carry an authorization token');
          // Resolving once here refuses a suspended or foreign tenant at connection time.
          // A page from another site is held to its tenant's dashboard origins here: CORS does not cover sockets.
          const { origin, host } = ctx.extra.request.headers;
          await contextFor(runtime, principal, typeof params.tenant === 'string' ? params.tenant : undefined, randomUUID(), null, crossOriginOf(origin, host, config.publicUrl));
          // Accepted: its messages may now be as large as a request with a token.
          (socket as ClientSocket).allowMessagesUpTo(config.MAX_REQUEST_BYTES);
          ctx.extra.principal = principal;
          // The token is verified and its expiry timed: it is not kept for the socket's life.
          delete (params as { authorization?: unknown }).authorization;
          const remaining = principal.expiresAt.getTime() - runtime.now().getTime();
          ctx.extra.expiry = setTimeout(() => socket.close(4401, 'token expired'), Math.max(0, Math.min(remaining, 2 ** 31 - 1)));
          socket.once('close', () => clearTimeout(ctx.extra.expiry));
          const slots = subscriptionSlots.forConnection(principal);
          ctx.extra.slots = slots;
          ctx.extra.answering = new Set();
          socket.once('close', () => slots.close());
          countSubscriptions(ctx, socket);
          return true;
        } catch (error) {
          const code = error instanceof AppError ? error.code : 'INTERNAL';
          if (!(error instanceof AppError)) log.error({ err: error }, 'websocket connection failed');
          socket.close(WEBSOCKET_CLOSE_CODES[code] ?? 4403, code);
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        if (closedAsSlow(ctx.extra.socket)) {
          return [toGraphQLError(new AppError('RATE_LIMITED', 'the connection holds more answers than its client has read', { reason: 'SLOW_CONSUMER', limit: MAX_UNREAD_BYTES }))];
        }
        const principal = ctx.extra.principal ?? null;
        const hide = (error: GraphQLError) => (mayIntrospect(config, principal) ? error : new GraphQLError(withoutSuggestions(error.message), error));
        try {
          if (principal) await rateLimits.forPrincipal(principal);
        } catch (error) {
          if (error instanceof AppError) return [toGraphQLError(error)];
          throw error;
        }
        let document = checkedDocuments.get(payload.query);
        if (!document) {
          try {
            document = parse(payload.query, parseOptions(limits));
          } catch (error) {
            return [requestError(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
          }
          const errors = validate(schema, document, [...specifiedRules, ...limitRules(limits)]);
          if (errors.length > 0) return errors.map((error) => requestError(hide(error), 'GRAPHQL_VALIDATION_FAILED'));
          if (payload.query.length <= SHARED_DOCUMENT_TEXT) checkedDocuments.set(payload.query, document);
        }
        // What graphql-js would refuse when it runs the operation, refused here with the codes HTTP gives it, not
        // as internal errors: an operation that cannot be told, and variables that do not fit their types.
        const refused = operationRefusal(schema, document, payload.operationName ?? null, payload.variables ?? {});
        if (refused) return refused;
        // Only a subscription holds a slot; a query or mutation over the socket is over with its answer. Taken before
        // its size is checked and its cost spent, so that one refused for the slot spends no points; given back on
        // any refusal below.
        let slot: SubscriptionSlot | undefined;
        // A query or mutation is being answered from here until graphql-ws has handed its answer to the socket.
        let answering: Set<string> | undefined;
        // What the operation costs once measured: refused for it (QUERY_BUDGET_SPENT), it answers with it, as over HTTP.
        let measured: QueryCost | undefined;
        try {
          if (getOperationAST(document, payload.operationName)!.operation === 'subscription') {
            // Completed by its client before it got here: not set up at all, taking no place. graphql-ws forgets a
            // completed id at once but ends the subscription only once it is set up, so a client subscribing and
            // completing quickly (a dashboard mounting and unmounting a view) was refused TOO_MANY_SUBSCRIPTIONS for
            // subscriptions it had ended, and each went on being set up.
            if (!(id in ctx.subscriptions)) return completedByItsClient();
            slot = ctx.extra.slots!.take();
          } else if (ctx.extra.answering!.size >= MAX_OPERATIONS_ANSWERING) {
            throw new AppError('RATE_LIMITED', `this connection has ${MAX_OPERATIONS_ANSWERING} queries and mutations being answered, the most one connection may: take their answers before sending more`, { reason: 'TOO_MANY_OPERATIONS', limit: MAX_OPERATIONS_ANSWERING });
          } else answering = ctx.extra.answering!.add(id);
          const size = checkOperation(runtime, schema, limits, { log }, principal, document, payload.variables ?? {}, payload.operationName);
          const params = ctx.connectionParams ?? {};
          const contextValue = await contextFor(runtime, ctx.extra.principal ?? null, typeof params.tenant === 'string' ? params.tenant : undefined, randomUUID());
          if (contextValue.tenant) await rateLimits.forTenant(contextValue.tenant.id);
          measured = size && queryCost(size, limits);
          const budget = size && principal ? await rateLimits.spendQueryCost(principal, size.cost) : null;
          if (measured) costs.set(contextValue, withBudget(measured, budget));
          sinks.set(contextValue, { socket: ctx.extra.socket, id });
          if (slot) {
            // Completed while its context was being made: its place back, and nothing subscribed.
            if (!(id in ctx.subscriptions)) {
              slot.release();
              return completedByItsClient();
            }
            slots.set(contextValue, slot);
            contextValue.signal = slot.signal;
          }
          return { schema, document, variableValues: payload.variables ?? {}, operationName: payload.operationName ?? null, contextValue };
        } catch (error) {
          slot?.release();
          answering?.delete(id);
          const reason = error instanceof AppError ? error.details['reason'] : undefined;
          if (reason === 'TOO_MANY_SUBSCRIPTIONS' || reason === 'TOO_MANY_OPERATIONS') websocketRefusals.inc({ reason });
          const cost = refusalCost(error, limits) ?? measured;
          if (cost) {
            const refusal = {};
            answered.set(refusal, { errors: [toGraphQLError(error as AppError)] });
            costs.set(refusal, cost);
            return { schema, document, variableValues: payload.variables ?? {}, operationName: payload.operationName ?? null, contextValue: refusal };
          }
          if (error instanceof AppError) return [toGraphQLError(error)];
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
      },
      onComplete: (ctx, id) => {
        ctx.extra.answering?.delete(id);
      },
      // Its pong then finds the socket closing and is not written (clientSocket.ts).
      onPing: (ctx) => {
        closedAsSlow(ctx.extra.socket);
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => {
        if (isMasked(error)) log.error({ err: rootCause(error), correlationId: correlationIdFor(error) }, 'internal error');
        return formatError(error.toJSON(), error);
      }),
      // Results graphql-ws sends itself: operations that run alone, and the answer of a query or mutation.
      onNext: (_ctx, _id, _payload, args, result) => nextPayload(args, result),
    },
    wsServer,
  );
  return { wsServer, wsDisposable, fanout, keepsCheckedDocument: (text: string) => checkedDocuments.has(text) };
}

/** Liveness and readiness: /healthz answers while the process runs; /readyz while the database answers and the
 * platform schema is migrated (a tenant behind answers TENANT_MIGRATING on its own), within a bounded time. */
function healthRoutes(routes: ServedPaths, runtime: Runtime): void {
  routes.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const readiness = readinessCheck(runtime.databases, runtime.migrations, runtime.log);
  routes.get('/readyz', async (_req, res) => {
    const answer = await readiness();
    res.status(answer.status).json(answer.body);
  });

}

/** The development issuer's keys and the offline explorer (opened with a demo token when the issuer is on). */
function developmentRoutes(app: express.Express, routes: ServedPaths, runtime: Runtime, websocketUrl: string): void {
  const { config } = runtime;
  if (runtime.devKey) {
    const devKey = runtime.devKey;
    routes.get('/dev-issuer/jwks', (_req, res) => {
      res.json({ keys: [devKey.publicJwk] });
    });
    routes.get('/dev-issuer/.well-known/openid-configuration', (_req, res) => {
      res.json({ issuer: config.issuer, jwks_uri: config.jwksUrl, id_token_signing_alg_values_supported: ['RS256'] });
    });
  }

  routes.get('/explorer', (_req, res) => res.redirect(302, '/explorer/'));
  routes.get('/explorer/', async (_req, res) => {
    // With the development issuer on, the explorer opens with a tenant-admin token for the demo tenant, so
    // everything can be tried on a laptop; Keycloak deployments paste their own token.
    const token = runtime.devKey
      ? await signDevToken(runtime.devKey, { issuer: config.issuer, audience: config.AUTH_AUDIENCE, role: 'tenant-admin', tenant: DEMO_TENANT.slug, now: runtime.now() })
      : undefined;
    res.type('html').send(
      renderAltair({
        baseURL: '/explorer/',
        endpointURL: GRAPHQL_PATH,
        subscriptionsEndpoint: websocketUrl,
        initialSubscriptionRequestHandlerId: 'graphql-ws',
        initialSubscriptionsPayload: token ? { authorization: `Bearer ${token}` } : {},
        initialHeaders: token ? { Authorization: `Bearer ${token}` } : {},
        initialQuery: '{\n  viewer { subject roles tenants }\n  currentTenant { slug displayName businessDate }\n}\n',
        disableAccount: true,
        initialSettings: { 'plugin.list': [], 'alert.disableUpdateNotification': true, 'alert.disableWarnings': true },
      } as Parameters<typeof renderAltair>[0]),
    );
  });
  app.use('/explorer/', express.static(getDistDirectory(), { index: false }));
}

/** What a gateway process runs besides answering requests: the outbox feed, webhook delivery, pending-check
 * follow-ups, the end-of-day schedule and borrower messages (workers where JOBS_ENABLED), and the commit settler. */
async function startBackgroundWork(runtime: Runtime): Promise<void> {
  const { config } = runtime;
  await runtime.feed.start();
  await runtime.webhooks.start(runtime.settler);
  // Checks are followed up from the queue on the database of the tenant whose transaction queued them.
  await runtime.webhooks.onQueue((queue) => startPendingChecks(queue, { ...runtime, publicUrl: config.publicUrl }, config.checkJobsEnabled));
  await runtime.endOfDay.start(runtime, runtime.webhooks.queue);
  runtime.messages.start();
  runtime.settler.start();
}

/** The API over HTTP, at its path alone and to GET and POST: callers without a token counted by address before their
 * body is read, bodies parsed within their limit, and the request's context built from its verified token. */
function graphqlRoute(routes: ServedPaths, runtime: Runtime, apollo: ApolloServer<GraphContext>, rateLimits: RequestRateLimits): void {
  const { config, log } = runtime;
  const parseBody = express.json({ limit: config.MAX_REQUEST_BYTES });
  // A declared length over the limit is refused before the body is read.
  const parseAnonymousBody = express.json({ limit: Math.min(config.MAX_ANONYMOUS_REQUEST_BYTES, config.MAX_REQUEST_BYTES) });
  const refuseRateLimited = (res: express.Response, refusal: RateLimitExceeded) => {
    res.setHeader('Retry-After', String(refusal.retryAfterSeconds));
    graphqlRefusal(res, 429, refusal);
  };
  routes.each(
    ['GET', 'POST'],
    GRAPHQL_PATH,
    // A caller without a token is counted by address before its body is read, so a flood costs little.
    (req, res, next) => {
      if (req.headers.authorization) return next();
      rateLimits.forAddress(req.ip ?? req.socket.remoteAddress).then(() => next(), (error: unknown) => {
        if (error instanceof RateLimitExceeded) refuseRateLimited(res, error);
        else next(error);
      });
    },
    (req, res, next) => (req.headers.authorization ? parseBody : parseAnonymousBody)(req, res, next),
    inRequestSpan(expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = requestIdFrom(header(req.headers['x-request-id']));
        const address = req.ip ?? req.socket.remoteAddress ?? null;
        try {
          const authorization = header(req.headers.authorization);
          const principal = await authenticate(runtime, authorization).catch(async (error: unknown) => {
            // A bad token counts against its address, so guessing tokens is limited like calling without one.
            if (error instanceof AppError && error.code === 'UNAUTHENTICATED') await rateLimits.forAddress(address);
            throw error;
          });
          if (principal) await rateLimits.forPrincipal(principal);
          const context = await buildContext(runtime, {
            principal,
            tenantSelector: header(req.headers[TENANT_HEADER]),
            requestId,
            client: { ip: address, userAgent: header(req.headers['user-agent']) ?? null },
            crossOrigin: (res.locals['crossOrigin'] as string | undefined) ?? null,
          });
          if (context.tenant) await rateLimits.forTenant(context.tenant.id);
          letPageRead(res, res.locals['crossOrigin'] as string | undefined);
          res.setHeader('x-request-id', context.requestId);
          return context;
        } catch (error) {
          if (error instanceof AppError) throw toGraphQLError(error);
          // Answered as INTERNAL with this correlation id (formatError finds the same one), so log it here with the request id.
          log.error({ err: error, requestId, correlationId: correlationIdFor(error) }, 'internal error');
          throw error;
        }
      },
    })),
  );
}

/**
 * A request Node's parser refuses before any route sees it — a request line and headers past what it reads (431),
 * one that took too long to arrive (408), or bytes that are not HTTP (400) — answered in the routes' shape rather
 * than with Node's empty body, and the connection closed.
 */
function answerUnreadRequest(error: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, text, reason, message]: [number, string, ErrorReason, string] = error.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', 'REQUEST_TOO_LARGE', 'the request line and headers are larger than this server reads: shorten the path or the headers']
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'BAD_REQUEST', 'the request took too long to arrive']
      : [400, 'Bad Request', 'BAD_REQUEST', 'the request is not HTTP/1.1 this server reads'];
  const body = JSON.stringify(routeErrorBody(new AppError('BAD_USER_INPUT', message, { reason })));
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** An answer that is one error and no data, in GraphQL's shape. */
function graphqlErrorBody(error: AppError): { errors: [{ message: string; extensions: Record<string, unknown> }] } {
  return { errors: [{ message: error.message, extensions: { code: error.code, ...error.details } }] };
}

/** A refusal in GraphQL's shape, for a request at GraphQL's path that never reaches Apollo. */
function graphqlRefusal(res: express.Response, status: number, error: AppError): void {
  res.status(status).json(graphqlErrorBody(error));
}

/**
 * Whatever no route answered, in the API's shapes (docs/errors.md, "Paths and methods"): GraphQL's `errors` at its
 * path, the routes' `{ error }` anywhere else, never Express's HTML page or a stack trace. A path served, asked with a
 * method it does not take, is 405 with `Allow`; any other path is 404; Express's own errors (a body too large or
 * unreadable, a path that cannot be decoded) are the caller's with a reason, and anything else is INTERNAL.
 */
function answerTheRest(app: express.Express, routes: ServedPaths, runtime: Runtime): void {
  const { config, log } = runtime;
  const refuse = (req: express.Request, res: express.Response, status: number, error: AppError) => {
    if (req.path === GRAPHQL_PATH) graphqlRefusal(res, status, error);
    else replyWithError(runtime, res, error, 'request', status);
  };
  routes.refuseOtherMethods((req, res, allow) => {
    res.setHeader('allow', allow);
    refuse(req, res, 405, new AppError('BAD_USER_INPUT', `this path takes ${allow}, not ${req.method}`, { reason: 'BAD_REQUEST' }));
  });
  app.use((req, res) => refuse(req, res, 404, new AppError('NOT_FOUND', 'nothing is served at this path')));
  app.use((error: { status?: number; type?: string; limit?: number }, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    const graphql = req.path === GRAPHQL_PATH;
    if (status === 500 && !graphql) return replyWithError(runtime, res, error, 'request before its route');
    if (status === 500) {
      const correlationId = randomUUID();
      log.error({ err: error, requestId: requestIdFrom(header(req.headers['x-request-id'])), correlationId }, 'request failed before reaching the API');
      graphqlRefusal(res, 500, new AppError('INTERNAL', `Internal error. Quote correlation id ${correlationId} to support.`, { correlationId }));
      return;
    }
    // Too large: the limit that applied. A path Express could not decode (a stray or malformed `%`) asks for nothing
    // that could be looked up: refused naming the path, before any token is read. Otherwise the body is not JSON
    // (GraphQL's), or in a charset or content-encoding the server does not read (415).
    const limit = error.limit ?? config.MAX_REQUEST_BYTES;
    refuse(req, res, status, error.type === 'entity.too.large'
      ? new AppError('BAD_USER_INPUT', `the request body is larger than ${limit} bytes`, { reason: 'REQUEST_TOO_LARGE', limit })
      : error instanceof URIError
        ? new AppError('BAD_USER_INPUT', 'the path cannot be decoded: percent-encode it as UTF-8', { reason: 'BAD_REQUEST', field: 'path' })
        : new AppError('BAD_USER_INPUT', `the request could not be read: send ${graphql ? 'a JSON body in UTF-8' : 'the body'}, uncompressed or gzip, deflate, br or zstd`, { reason: 'BAD_REQUEST' }));
  });
}

export async function startGateway(runtime: Runtime): Promise<Gateway> {
  const { config, log } = runtime;
  const schema = buildSchema();
  const limits: QueryLimits = {
    maxDepth: config.MAX_QUERY_DEPTH, maxNodes: config.MAX_QUERY_NODES, maxCost: config.MAX_QUERY_COST,
    maxAliases: config.MAX_QUERY_ALIASES, maxDirectives: config.MAX_QUERY_DIRECTIVES, maxTokens: config.MAX_QUERY_TOKENS,
  };
  const rateLimits = new RequestRateLimits({
    perPrincipal: config.RATE_LIMIT_PER_MINUTE, perAddress: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
    perTenant: config.RATE_LIMIT_TENANT_PER_MINUTE, costPerPrincipal: config.QUERY_COST_PER_MINUTE,
  });
  if (runtime.devKey && !isLoopbackHost(config.HOST)) {
    log.warn({ host: config.HOST }, 'the development issuer serves on an address that is not loopback (DEV_ISSUER_ALLOW_REMOTE=true): anyone who reaches it gets a tenant-admin token from the explorer');
  }
  const app = express();
  app.disable('x-powered-by');
  // Paths are case-sensitive (RFC 3986): /GraphQL is not the API's path, as graphql-ws's /graphql alone is its socket's.
  app.enable('case sensitive routing');
  // No ETag on answers sent with res.send: every GraphQL answer is `cache-control: no-store`, so a digest of each
  // body (2 % of a loan read's CPU) served nobody. Static files (the explorer) keep theirs.
  app.set('etag', false);
  // Strict routing keeps /explorer and /explorer/ apart (the first redirects to the second).
  app.set('strict routing', true);
  if (config.TRUST_PROXY !== undefined) app.set('trust proxy', config.TRUST_PROXY);
  const observeRequest = requestObserver({ metrics: config.METRICS_PORT !== 0, graphqlPath: GRAPHQL_PATH });
  if (observeRequest) app.use(observeRequest);
  const httpServer = http.createServer(app);
  httpServer.on('clientError', answerUnreadRequest);
  const sockets = new Set<import('node:net').Socket>();
  httpServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const { wsServer, wsDisposable, fanout, keepsCheckedDocument } = startWebSocketServer(runtime, httpServer, schema, limits, rateLimits);

  const apollo = new ApolloServer<GraphContext>({
    schema,
    // Who may introspect is decided per caller (INTROSPECTION), in operationsPlugin.
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // Automatic persisted queries, as docs/partners.md promises: each replica keeps registered queries in Apollo's
    // bounded in-memory cache (about 30 MB of query text, least recently used dropped first) and no time limit,
    // since a replica lacking a hash costs the client only one resend of the text.
    cache: 'bounded',
    persistedQueries: { ttl: null },
    parseOptions: parseOptions(limits),
    // main.ts owns SIGTERM/SIGINT: drain, close the pool, stop the embedded database, exit 0.
    stopOnTerminationSignals: false,
    validationRules: limitRules(limits),
    formatError,
    // Answers without indentation: Apollo's default pretty-prints every answer, which cost a page of loans a
    // few per cent of the gateway's CPU and a third more bytes on the wire (docs/performance.md).
    stringifyResult: (result) => JSON.stringify(result),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      { async serverWillStart() { return { async drainServer() { await wsDisposable.dispose(); } }; } },
      operationsPlugin(runtime, schema, limits, rateLimits),
      ...graphqlObservers({ metrics: config.METRICS_PORT !== 0 }),
    ],
  });
  await apollo.start();
  // What close() drains, also undone when the start fails after this point (background work that cannot start, a
  // port already taken): the feed's LISTEN sessions, the settler's sweep and job workers would otherwise outlive a
  // gateway that never served.
  const stopServing = async () => {
    for (const client of wsServer.clients) client.close(1001, 'server shutting down');
    await runtime.feed.stop();
    await runtime.settler.stop();
    await runtime.endOfDay.stop(config.SHUTDOWN_TIMEOUT_MS);
    await runtime.messages.stop();
    await runtime.webhooks.stop();
    await apollo.stop();
    await new Promise<void>((resolve) => wsServer.close(() => resolve()));
  };
  await startBackgroundWork(runtime).catch(async (error: unknown) => {
    await stopServing().catch((cleanup: unknown) => log.warn({ err: cleanup }, 'stopping background work after a failed start failed'));
    throw error;
  });

  const routes = new ServedPaths(app);
  healthRoutes(routes, runtime);
  const websocketUrl = `${config.publicUrl.replace(/^http/, 'ws')}${GRAPHQL_PATH}`;
  developmentRoutes(app, routes, runtime, websocketUrl);

  // Browsers from a lender's dashboard sites (CORS) on the API's paths; health and the explorer are not for them.
  const crossOrigin = crossOriginRequests(runtime.registry, config.publicUrl, (req) => rateLimits.forAddress(req.ip ?? req.socket.remoteAddress), config.NODE_ENV !== 'production');
  for (const path of [GRAPHQL_PATH, STATEMENT_PATH, SETTLEMENT_PATH, PORTFOLIO_REPORT_PATH, DOCUMENTS_PREFIX]) app.use(path, crossOrigin);
  app.use((req, res, next) => {
    res.setHeader('x-request-id', header(req.headers['x-request-id']) ?? '');
    next();
  });
  routes.get(`${STATEMENT_PATH}/:file`, statementDownload(runtime, TENANT_HEADER, rateLimits));
  routes.get(`${SETTLEMENT_PATH}/:file`, settlementDownload(runtime, TENANT_HEADER, rateLimits));
  routes.get(`${PORTFOLIO_REPORT_PATH}/:file`, portfolioReportDownload(runtime, TENANT_HEADER, rateLimits));
  routes.post(PROVIDER_CALLBACK_PATH, ...providerCallbacks(runtime));
  routes.post(DOCUMENT_UPLOAD_ROUTE, documentUpload(runtime, TENANT_HEADER, rateLimits));
  routes.get(DOCUMENT_DOWNLOAD_ROUTE, documentDownload(runtime, TENANT_HEADER, rateLimits));
  graphqlRoute(routes, runtime, apollo, rateLimits);
  answerTheRest(app, routes, runtime);

  let metrics: Awaited<ReturnType<typeof startMetricsListener>>;
  try {
    await new Promise<void>((resolve, reject) => {
      const refused = (error: Error) => reject(listenRefused(error, () => new PortTaken('PORT', config.PORT, config.HOST, 'the API',
        'Set PORT to a free port (and make tokens with `npm run token` under the same PORT: their issuer names it), or stop the program using it.')));
      httpServer.once('error', refused);
      httpServer.listen(config.PORT, config.HOST, () => {
        httpServer.off('error', refused);
        // Errors once listening (accept failing, say) are logged, never left to end the process.
        httpServer.on('error', (error) => log.error({ err: { message: error.message } }, 'HTTP server error'));
        resolve();
      });
    });
    metrics = await startMetricsListener(config.HOST, config.METRICS_PORT, log).catch(async (error: unknown) => {
      await new Promise((resolve) => httpServer.close(resolve));
      throw error;
    });
  } catch (error) {
    await stopServing().catch((cleanup: unknown) => log.warn({ err: cleanup }, 'stopping background work after a failed start failed'));
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    url: config.publicUrl,
    graphqlUrl: `${config.publicUrl}${GRAPHQL_PATH}`,
    websocketUrl,
    explorerUrl: `${config.publicUrl}/explorer/`,
    metricsUrl: metrics?.url ?? null,
    schema,
    subscriptions: fanout,
    keepsCheckedDocument,
    close() {
      closing ??= (async () => {
        const drain = stopServing();
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.SHUTDOWN_TIMEOUT_MS).unref());
        if ((await Promise.race([drain, timeout])) === 'timeout') {
          log.warn('shutdown drain timed out; closing remaining connections');
          for (const socket of sockets) socket.destroy();
          httpServer.closeAllConnections();
        }
        await metrics?.close();
      })();
      return closing;
    },
  };
}
