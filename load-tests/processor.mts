// Artillery's hooks for the Lendgraph scenarios (common.yml names this file; Node loads it as TypeScript itself, so
// Artillery bundles nothing and writes nothing beside it). What they add to the engine: every GraphQL answer is
// checked (HTTP 200, no `errors`, no `userErrors` in a mutation's payload, no top-level field null — a 200 carrying
// errors fails the virtual user, never passes as served), each request gets its own idempotency key and applicant,
// a payment file is built from the booked loans, and a dashboard follows loan events over graphql-ws counting what
// arrives and how late.
import { randomInt, randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type WebSocket from 'ws';

interface Context {
  vars: Record<string, unknown>;
  /** The WebSocket engine's open socket. */
  ws?: WebSocket;
}
interface RequestParams {
  json?: unknown;
}
interface Response {
  statusCode: number;
  body: unknown;
}
type Next = (error?: Error | null) => void;

interface GraphQLError {
  message: string;
  extensions?: { code?: string; reason?: string };
}
interface UserError {
  code: string;
  reason?: string | null;
  field?: string | null;
  message: string;
}

/** Counters the reports and the smoke test read. */
export const METRICS = {
  graphqlErrors: 'lendgraph.graphql_errors',
  userErrors: 'lendgraph.user_errors',
  eventsReceived: 'lendgraph.events_received',
  eventDelivery: 'lendgraph.event_delivery_ms',
  paymentsInFiles: 'lendgraph.payments_in_files',
} as const;

function parsed(body: unknown): { data?: Record<string, unknown> | null; errors?: GraphQLError[] } | undefined {
  if (typeof body === 'object' && body !== null) return body as { data?: Record<string, unknown> | null; errors?: GraphQLError[] };
  if (typeof body !== 'string') return undefined;
  try {
    return JSON.parse(body) as { data?: Record<string, unknown> | null; errors?: GraphQLError[] };
  } catch {
    return undefined;
  }
}

/**
 * Why a GraphQL answer is not a success, or null when it is. The error's message becomes Artillery's error name
 * (`errors.<message>` in the report), so it carries the code and reason, never anything the answer holds about borrowers.
 */
function failureOf(statusCode: number, body: unknown, events: EventEmitter): Error | null {
  if (statusCode !== 200) return new Error(`HTTP ${statusCode}`);
  const answer = parsed(body);
  if (!answer) return new Error('answer is not JSON');
  if (answer.errors?.length) {
    events.emit('counter', METRICS.graphqlErrors, answer.errors.length);
    const first = answer.errors[0]!;
    return new Error(`GraphQL error ${first.extensions?.code ?? 'without code'}${first.extensions?.reason ? ` ${first.extensions.reason}` : ''}`);
  }
  if (!answer.data) return new Error('answer without data');
  for (const [field, value] of Object.entries(answer.data)) {
    // Every field a scenario asks for at the top names something that exists (a loan by id, a page): null means
    // it read nothing, which a dashboard would show as a failure too.
    if (value === null) return new Error(`${field} is null`);
    const refusals = (value as { userErrors?: UserError[] } | null)?.userErrors;
    if (refusals?.length) {
      events.emit('counter', METRICS.userErrors, refusals.length);
      const first = refusals[0]!;
      return new Error(`${field} refused: ${first.code}${first.reason ? ` ${first.reason}` : ''} ${first.field ?? ''}`.trim());
    }
  }
  return null;
}

/**
 * afterResponse: the answer must be HTTP 200 with data, no GraphQL errors and no refusals. Each request names it
 * itself (not its scenario): request hooks run after metrics-by-endpoint's, so a failed answer is still counted
 * under its request's name before it fails the virtual user.
 */
export function checkGraphQL(_request: RequestParams, response: Response, _context: Context, events: EventEmitter, next: Next): void {
  next(failureOf(response.statusCode, response.body, events));
}

/** A fresh idempotency key: each request is a new business request (a retry would reuse it). */
export function newIdempotencyKey(context: Context, _events: EventEmitter, next: Next): void {
  context.vars['idempotencyKey'] = `load-${randomUUID()}`;
  next();
}

/**
 * A new applicant for a partner's submission: a person the sandbox's bureau grades prime (`+bureau-prime`,
 * docs/sandbox-providers.md), so the submission is decided and offered at once, as most of a partner's traffic is.
 */
export function newApplicant(context: Context, _events: EventEmitter, next: Next): void {
  const id = randomUUID();
  const serial = id.replace(/-/g, '').slice(0, 10).toUpperCase();
  Object.assign(context.vars, {
    idempotencyKey: `load-app-${id}`,
    externalReference: `LOAD-${serial}`,
    applicantName: `Load Applicant ${serial}`,
    applicantEmail: `load.${serial.toLowerCase()}+bureau-prime@example.test`,
    // A valid North American number: area code 415, an exchange that starts 2–9.
    applicantPhone: `+1415${randomInt(2_000_000, 10_000_000)}`,
    nationalId: `LOAD${serial}`,
  });
  next();
}

const POST_FILE = `mutation PostPaymentFile($input: PostRepaymentsInput!) {
  postRepayments(input: $input) { batchId posted loans total userErrors { code reason field message } }
}`;

/** beforeRequest: a payment file of `paymentFileRows` repayments to loans of the book, taken at random. */
export function paymentFile(request: RequestParams, context: Context, events: EventEmitter, next: Next): void {
  const book = String(context.vars['loanBook'] ?? '').split(' ').filter(Boolean);
  const rows = Number(context.vars['paymentFileRows']);
  if (book.length === 0 || !Number.isInteger(rows) || rows < 1) {
    next(new Error('payment file: loanBook and paymentFileRows must be set (npm run load:setup)'));
    return;
  }
  const file = randomUUID();
  const repayments = Array.from({ length: rows }, (_, k) => ({
    loanId: book[randomInt(book.length)]!, amount: '5.00', valueDate: String(context.vars['businessDate']), channel: 'bank-transfer',
    externalReference: `FILE-${file.slice(0, 8)}-${k + 1}`,
  }));
  context.vars['fileRows'] = rows;
  request.json = { query: POST_FILE, variables: { input: { idempotencyKey: `load-file-${file}`, repayments } } };
  events.emit('counter', METRICS.paymentsInFiles, rows);
  next();
}

/** afterResponse, after checkGraphQL: every row of the file was posted. */
export function checkPaymentFile(_request: RequestParams, response: Response, context: Context, _events: EventEmitter, next: Next): void {
  const posted = (parsed(response.body)?.data?.['postRepayments'] as { posted?: number } | undefined)?.posted;
  next(posted === context.vars['fileRows'] ? null : new Error(`payment file: ${posted ?? 'none'} of ${String(context.vars['fileRows'])} rows posted`));
}

const FOLLOW = `subscription FollowLoanEvents {
  events(types: ["loan.repaymentPosted"]) { cursor id type aggregateId occurredAt payload }
}`;

/**
 * After connection_ack: subscribes to the tenant's repayment events (graphql-ws `subscribe`) and takes `next`
 * messages until `eventsPerDashboard` have arrived or `followSeconds` have passed, then completes the
 * subscription. Each event counts once, with how long after its commit (`occurredAt`) it arrived. Fails on an
 * `error` message, a `next` carrying GraphQL errors, the socket closing, or no event at all in the time given.
 */
// Declared async: the WebSocket engine awaits an AsyncFunction, and would wait for a callback from any other.
export async function followLoanEvents(context: Context, events: EventEmitter): Promise<void> {
  const ws = context.ws;
  if (!ws) throw new Error('followLoanEvents runs in a WebSocket scenario, after connect');
  const wanted = Number(context.vars['eventsPerDashboard'] ?? 5);
  const seconds = Number(context.vars['followSeconds'] ?? 30);
  // The engine's handler for the connection_ack match stays on the socket until a next engine step replaces it:
  // take it off, as the engine does between its own steps, so the events come to this step alone.
  ws.onmessage = null;
  const id = randomUUID();
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    const finish = (error: Error | null) => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      if (error) {
        reject(error);
        return;
      }
      ws.send(JSON.stringify({ id, type: 'complete' }));
      resolve();
    };
    const timer = setTimeout(() => finish(received > 0 ? null : new Error(`no loan event arrived in ${seconds} s`)), seconds * 1000);
    const onClose = (code: number) => finish(new Error(`socket closed (${code}) while following`));
    const onMessage = (data: WebSocket.RawData) => {
      let message: { id?: string; type?: string; payload?: unknown };
      try {
        message = JSON.parse(data.toString()) as typeof message;
      } catch {
        finish(new Error('a message that is not JSON'));
        return;
      }
      if (message.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
        return;
      }
      if (message.id !== id) return;
      if (message.type === 'error') {
        const errors = message.payload as GraphQLError[];
        events.emit('counter', METRICS.graphqlErrors, errors.length);
        finish(new Error(`subscription refused: ${errors[0]?.extensions?.code ?? errors[0]?.message ?? 'error'}`));
        return;
      }
      if (message.type === 'complete') {
        finish(received > 0 ? null : new Error('subscription completed before any event'));
        return;
      }
      if (message.type !== 'next') return;
      const result = message.payload as { data?: { events?: { occurredAt: string } } | null; errors?: GraphQLError[] };
      const failure = failureOf(200, result, events);
      const event = result.data?.events;
      if (failure || !event) {
        finish(failure ?? new Error('an event without data'));
        return;
      }
      received += 1;
      events.emit('counter', METRICS.eventsReceived, 1);
      events.emit('histogram', METRICS.eventDelivery, Date.now() - Date.parse(event.occurredAt));
      if (received >= wanted) finish(null);
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query: FOLLOW, variables: {} } }));
  });
}
