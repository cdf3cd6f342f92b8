// A graphql-ws client over a real WebSocket, collecting what a subscription delivers and how the socket closed.
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';

/** One operation on a socket: what it delivered, and whether the server ended it without an error. */
export interface Operation {
  results: Record<string, any>[];
  errors: unknown[];
  /** Whether the server ended the subscription without an error. */
  readonly completed: boolean;
  /** Completes it from the client's side (graphql-ws's `complete` message); the socket stays open. */
  complete(): void;
}

export interface Subscriber extends Operation {
  client: Client;
  closed: Promise<{ code: number; reason: string }>;
  stop(): Promise<void>;
}

/** Another operation on an open client's socket: graphql-ws carries many, each under its own id. */
export function operate(client: Client, query: string, variables: Record<string, unknown> = {}): Operation {
  const results: Record<string, any>[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const complete = client.subscribe({ query, variables }, {
    next: (value) => void results.push(value as Record<string, any>),
    error: (error) => void errors.push(error),
    complete: () => {
      completed = errors.length === 0;
    },
  });
  return { results, errors, get completed() { return completed; }, complete };
}

export function subscribe(url: string, connectionParams: Record<string, unknown>, query: string, variables: Record<string, unknown> = {}): Subscriber {
  let resolveClosed!: (value: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    // Close codes are observed through on.closed; don't print them.
    onNonLazyError: () => {},
    on: { closed: (event) => resolveClosed({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }) },
  });
  const operation = operate(client, query, variables);
  return {
    client, closed, results: operation.results, errors: operation.errors, get completed() { return operation.completed; },
    complete: operation.complete, stop: () => client.dispose() as Promise<void>,
  };
}

/** The GraphQL errors a subscription ended with, whether sent as an error message or inside a result. */
export function firstErrors(subscriber: Pick<Operation, 'errors' | 'results'>): { message: string; extensions: Record<string, any> }[] | undefined {
  return (subscriber.errors[0] as { message: string; extensions: Record<string, any> }[] | undefined)
    ?? (subscriber.results[0]?.['errors'] as { message: string; extensions: Record<string, any> }[] | undefined);
}

export async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
