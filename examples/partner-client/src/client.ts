// The client: typed documents from src/gql/ sent as JSON over HTTP (fetch) and, for subscriptions, over
// graphql-ws. A document's result and variables types come with it, so `request(SubmitApplicationDocument, …)`
// answers a SubmitApplicationMutation and refuses variables the schema would refuse.
import WebSocket from 'ws';
import { createClient, type Client as SocketClient } from 'graphql-ws';
import type { TypedDocumentString } from './gql/graphql.js';

/** A GraphQL error as the API sends it: `code`, often `reason`, and `field` for bad input (docs/errors.md). */
export interface GraphQLErrorEntry {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; reason?: string; field?: string; retryAfter?: number; [key: string]: unknown };
}

/**
 * The answer carried GraphQL errors instead of data: not a business refusal (those come as the payload's
 * userErrors) but who may call, limits, a lost token or a fault. `codes` says which.
 */
export class GraphQLRequestError extends Error {
  constructor(readonly status: number, readonly errors: GraphQLErrorEntry[]) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; ') || `HTTP ${status}`);
    this.name = 'GraphQLRequestError';
  }

  get codes(): string[] {
    return this.errors.map((e) => e.extensions?.code ?? 'UNKNOWN');
  }
}

export interface ClientOptions {
  /** The API over HTTP: `https://<lendgraph-host>/graphql` (`http://127.0.0.1:4000/graphql` with `npm start`). */
  url: string;
  /** The same path over WebSocket; derived from `url` when absent (`http` → `ws`, `https` → `wss`). */
  wsUrl?: string;
  /** A bearer token: the partner's client-credentials token (docs/partners.md, step 1). */
  token: string;
}

export interface Subscription {
  /** Resolves when the subscription ends: completed by the server, or with the error that ended it. */
  done: Promise<void>;
  stop(): void;
}

export class LendgraphClient {
  private socket: SocketClient | undefined;
  readonly wsUrl: string;

  constructor(private readonly options: ClientOptions) {
    this.wsUrl = options.wsUrl ?? options.url.replace(/^http/, 'ws');
  }

  /** One query or mutation over HTTP; resolves with its typed `data`, or throws GraphQLRequestError. */
  async request<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult> {
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
    let body: { data?: TResult | null; errors?: GraphQLErrorEntry[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new GraphQLRequestError(response.status, [{ message: `HTTP ${response.status} without a GraphQL answer` }]);
    }
    if (body.errors?.length || body.data == null) throw new GraphQLRequestError(response.status, body.errors ?? []);
    return body.data;
  }

  /**
   * A subscription over graphql-ws: `onData` gets each typed result. The socket opens on first use and carries
   * the token in its connection parameters, as the API expects.
   */
  subscribe<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables: TVariables,
    onData: (data: TResult) => void,
  ): Subscription {
    this.socket ??= createClient({
      url: this.wsUrl,
      // Node 20 has no global WebSocket; the `ws` package is the one the graphql-ws documentation names.
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.options.token}` },
      // A real client reconnects and resubscribes with `after` (the last cursor it handled); this one reports.
      retryAttempts: 0,
    });
    let stop = () => {};
    const done = new Promise<void>((resolve, reject) => {
      stop = this.socket!.subscribe<TResult>(
        { query: document.toString(), variables: variables as Record<string, unknown> },
        {
          next: (result) => {
            if (result.errors?.length) reject(new GraphQLRequestError(200, result.errors as GraphQLErrorEntry[]));
            else if (result.data) onData(result.data);
          },
          error: (error) => reject(Array.isArray(error) ? new GraphQLRequestError(200, error as GraphQLErrorEntry[]) : error),
          complete: () => resolve(),
        },
      );
    });
    // A subscription's end is reported through `done`; an unobserved rejection must not end the process.
    done.catch(() => {});
    return { done, stop: () => stop() };
  }

  async close(): Promise<void> {
    await this.socket?.dispose();
    this.socket = undefined;
  }
}
