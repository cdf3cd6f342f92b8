// One HTTP port: GraphQL over HTTP (Apollo Server 5) and over WebSocket (graphql-ws) at the same path,
// /healthz, /readyz, the offline explorer, and the development issuer's JWKS when it is on.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { STATEMENT_PATH, statementDownload } from './graph/loanStatement.js';
import { PROVIDER_CALLBACK_PATH, providerCallbacks } from './graph/providerCallbacks.js';
import { startPendingChecks } from './tenancy/origination/pendingChecks.js';
import { DOCUMENT_DOWNLOAD_ROUTE, DOCUMENT_UPLOAD_ROUTE, documentDownload, documentUpload } from './graph/documentUpload.js';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { WebSocketServer } from 'ws';
import { websocketCap } from './capacity.js';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getDistDirectory, renderAltair } from 'altair-static';
import type { Runtime } from './runtime.js';
import { AppError } from './errors.js';
import { buildSchema } from './graph/schema.js';
import { authenticate, buildContext, contextFor, type GraphContext } from './graph/context.js';
import { correlationIdFor, formatError, isInternal, requestError, rootCause, toGraphQLError } from './graph/errors.js';
import { depthRule, enforceLimits, type QueryLimits } from './graph/limits.js';
import { readinessCheck } from './readiness.js';
import { signDevToken } from './authz/devIssuer.js';
import type { Principal } from './authz/principal.js';
import { DEMO_TENANT } from './tenancy/demoTenant.js';

export const GRAPHQL_PATH = '/graphql';
export const TENANT_HEADER = 'x-lendgraph-tenant';

export interface Gateway {
  url: string;
  graphqlUrl: string;
  websocketUrl: string;
  explorerUrl: string;
  schema: GraphQLSchema;
  /** Stops accepting, drains HTTP and WebSocket connections, within SHUTDOWN_TIMEOUT_MS. */
  close(): Promise<void>;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Enforces the cost limit, logs every operation (request id, tenant, outcome) and every masked error. */
function operationsPlugin(runtime: Runtime, schema: GraphQLSchema, limits: QueryLimits): ApolloServerPlugin<GraphContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ contextValue, operationName, errors, response }) {
          const log = (contextValue as GraphContext | undefined)?.log ?? runtime.log;
          log.info({
            operationName: operationName ?? null,
            status: response.http.status ?? 200,
            errors: errors?.length ?? 0,
            durationMs: Math.round((performance.now() - started) * 10) / 10,
          }, 'graphql operation');
        },
        async didResolveOperation({ document, request, operationName }) {
          // Depth is checked by validationRules; cost needs the variables, so it is checked here.
          try {
            enforceLimits(schema, document, request.variables ?? {}, operationName, limits, false);
          } catch (error) {
            if (error instanceof AppError) throw toGraphQLError(error);
            throw error;
          }
        },
        async didEncounterErrors({ errors, contextValue }) {
          const log = (contextValue as GraphContext | undefined)?.log ?? runtime.log;
          for (const error of errors) {
            if (isInternal(error)) log.error({ err: rootCause(error), correlationId: correlationIdFor(error) }, 'internal error');
          }
        },
      };
    },
  };
}

export async function startGateway(runtime: Runtime): Promise<Gateway> {
  const { config, log } = runtime;
  const schema = buildSchema();
  const limits: QueryLimits = { maxDepth: config.MAX_QUERY_DEPTH, maxNodes: config.MAX_QUERY_NODES };
  const app = express();
  app.disable('x-powered-by');
  // Strict routing keeps /explorer and /explorer/ apart (the first redirects to the second).
  app.set('strict routing', true);
  const httpServer = http.createServer(app);
  const websocketLimit = websocketCap(config.MAX_WEBSOCKET_CONNECTIONS, config.PG_POOL_MAX);
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: GRAPHQL_PATH,
    verifyClient: (_info, accept) => {
      if (wsServer.clients.size < websocketLimit) return accept(true);
      log.warn({ limit: websocketLimit }, 'WebSocket refused: this process holds its maximum');
      accept(false, 503, 'at capacity; retry on another replica', { 'Retry-After': '5' });
    },
  });
  // Errors after start-up (e.g. accept failing) are logged, never left to crash the process.
  httpServer.on('error', (error) => log.error({ err: { message: error.message } }, 'HTTP server error'));
  const sockets = new Set<import('node:net').Socket>();
  httpServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wsDisposable = useServer<{ authorization?: string; tenant?: string }, { principal: Principal | null; expiry?: NodeJS.Timeout }>(
    {
      schema,
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        try {
          const params = ctx.connectionParams ?? {};
          const principal = await authenticate(runtime, typeof params.authorization === 'string' ? params.authorization : undefined);
          if (!principal) throw new AppError('UNAUTHENTICATED', 'connection_init must carry an authorization token');
          // Resolving once here refuses a suspended or foreign tenant at connection time.
          await contextFor(runtime, principal, typeof params.tenant === 'string' ? params.tenant : undefined, randomUUID());
          ctx.extra.principal = principal;
          const remaining = principal.expiresAt.getTime() - runtime.now().getTime();
          ctx.extra.expiry = setTimeout(() => socket.close(4401, 'token expired'), Math.max(0, Math.min(remaining, 2 ** 31 - 1)));
          socket.once('close', () => clearTimeout(ctx.extra.expiry));
          return true;
        } catch (error) {
          const code = error instanceof AppError ? error.code : 'INTERNAL';
          if (!(error instanceof AppError)) log.error({ err: error }, 'websocket connection failed');
          socket.close(code === 'UNAUTHENTICATED' ? 4401 : code === 'INTERNAL' ? 4500 : 4403, code);
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [requestError(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
        }
        const errors = validate(schema, document, [...specifiedRules, depthRule(limits)]);
        if (errors.length > 0) return errors.map((error) => requestError(error, 'GRAPHQL_VALIDATION_FAILED'));
        try {
          enforceLimits(schema, document, payload.variables ?? {}, payload.operationName, limits, false);
          const params = ctx.connectionParams ?? {};
          const contextValue = await contextFor(runtime, ctx.extra.principal ?? null, typeof params.tenant === 'string' ? params.tenant : undefined, randomUUID());
          return { schema, document, variableValues: payload.variables ?? {}, operationName: payload.operationName ?? null, contextValue };
        } catch (error) {
          if (error instanceof AppError) return [toGraphQLError(error)];
          throw error;
        }
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => {
        if (isInternal(error)) log.error({ err: rootCause(error), correlationId: correlationIdFor(error) }, 'internal error');
        return formatError(error.toJSON(), error);
      }),
      onNext: (_ctx, _id, _payload, args, result) => {
        if (!result.errors) return undefined;
        const contextLog = (args.contextValue as GraphContext | undefined)?.log ?? log;
        return {
          ...result,
          errors: result.errors.map((error) => {
            if (isInternal(error)) contextLog.error({ err: rootCause(error), correlationId: correlationIdFor(error) }, 'internal error');
            return formatError(error.toJSON(), error);
          }),
        };
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT: drain, close the pool, stop the embedded database, exit 0.
    stopOnTerminationSignals: false,
    validationRules: [depthRule(limits)],
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      { async serverWillStart() { return { async drainServer() { await wsDisposable.dispose(); } }; } },
      operationsPlugin(runtime, schema, limits),
    ],
  });
  await apollo.start();
  await runtime.feed.start();
  await runtime.webhooks.start(runtime.settler);
  await startPendingChecks(runtime.webhooks.queue, { ...runtime, publicUrl: config.publicUrl }, config.checkJobsEnabled);
  runtime.settler.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const readiness = readinessCheck(runtime.pool, runtime.migrations, log);
  app.get('/readyz', async (_req, res) => {
    const answer = await readiness();
    res.status(answer.status).json(answer.body);
  });

  if (runtime.devKey) {
    const devKey = runtime.devKey;
    app.get('/dev-issuer/jwks', (_req, res) => {
      res.json({ keys: [devKey.publicJwk] });
    });
    app.get('/dev-issuer/.well-known/openid-configuration', (_req, res) => {
      res.json({ issuer: config.issuer, jwks_uri: config.jwksUrl, id_token_signing_alg_values_supported: ['RS256'] });
    });
  }

  const websocketUrl = `${config.publicUrl.replace(/^http/, 'ws')}${GRAPHQL_PATH}`;
  app.get('/explorer', (_req, res) => res.redirect(302, '/explorer/'));
  app.get('/explorer/', async (_req, res) => {
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

  app.use((req, res, next) => {
    res.setHeader('x-request-id', header(req.headers['x-request-id']) ?? '');
    next();
  });
  app.get(`${STATEMENT_PATH}/:file`, statementDownload(runtime, TENANT_HEADER));
  app.post(PROVIDER_CALLBACK_PATH, ...providerCallbacks(runtime));
  app.post(DOCUMENT_UPLOAD_ROUTE, documentUpload(runtime, TENANT_HEADER));
  app.get(DOCUMENT_DOWNLOAD_ROUTE, documentDownload(runtime, TENANT_HEADER));
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: config.MAX_REQUEST_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = header(req.headers['x-request-id']);
        try {
          const context = await buildContext(runtime, {
            authorization: header(req.headers.authorization),
            tenantSelector: header(req.headers[TENANT_HEADER]),
            requestId,
            client: { ip: req.ip ?? req.socket.remoteAddress ?? null, userAgent: header(req.headers['user-agent']) ?? null },
          });
          res.setHeader('x-request-id', context.requestId);
          return context;
        } catch (error) {
          if (error instanceof AppError) throw toGraphQLError(error);
          throw error;
        }
      },
    }),
  );
  // Express's own errors (a body too large or not JSON) answer in the API's shape: a code, never a stack trace.
  app.use((error: { status?: number; type?: string }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) log.error({ err: error }, 'request failed before reaching the API');
    const message = error.type === 'entity.too.large' ? `the request body is larger than ${config.MAX_REQUEST_BYTES} bytes`
      : status === 500 ? 'internal error' : 'the request could not be read';
    res.status(status).json({ errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL' : 'BAD_USER_INPUT' } }] });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.PORT, config.HOST, () => resolve());
  });

  let closing: Promise<void> | undefined;
  return {
    url: config.publicUrl,
    graphqlUrl: `${config.publicUrl}${GRAPHQL_PATH}`,
    websocketUrl,
    explorerUrl: `${config.publicUrl}/explorer/`,
    schema,
    close() {
      closing ??= (async () => {
        const drain = (async () => {
          for (const client of wsServer.clients) client.close(1001, 'server shutting down');
          await runtime.feed.stop();
          runtime.settler.stop();
          await runtime.webhooks.stop();
          await apollo.stop();
          await new Promise<void>((resolve) => wsServer.close(() => resolve()));
        })();
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.SHUTDOWN_TIMEOUT_MS).unref());
        if ((await Promise.race([drain, timeout])) === 'timeout') {
          log.warn('shutdown drain timed out; closing remaining connections');
          for (const socket of sockets) socket.destroy();
          httpServer.closeAllConnections();
        }
      })();
      return closing;
    },
  };
}
