// The partner's webhook endpoint: a plain node:http server that verifies every delivery with the stock Standard
// Webhooks library before trusting a byte of it (docs/webhooks.md, "Verifying the signature"), answers 2xx only
// for a delivery it accepted, and handles each event once however often it arrives (de-duplicated on webhook-id).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** A delivery's body (docs/webhooks.md, "What arrives"). */
export interface WebhookEvent {
  id: string;
  type: string;
  aggregateType: string;
  /** The global id of what it happened to, as `node(id:)` takes it. */
  aggregateId: string;
  tenant: string;
  occurredAt: string;
  cursor: string;
  schemaVersion: number;
  data: Record<string, unknown>;
}

export interface ReceiverOptions {
  /** Where to listen: 127.0.0.1 unless told otherwise (put a TLS-terminating proxy in front in production). */
  host?: string;
  /** 0 lets the system choose. */
  port?: number;
  path?: string;
  /** Called once per event, after its signature is verified. */
  onEvent?: (event: WebhookEvent, webhookId: string) => void;
}

export interface WebhookReceiver {
  /** Where it listens, e.g. http://127.0.0.1:43121/lendgraph/webhooks. */
  url: string;
  /** Start accepting deliveries signed with this secret (`whsec_…`, from registerWebhookEndpoint). */
  trust(signingSecret: string): void;
  /** Events accepted, in arrival order, each once. */
  events: WebhookEvent[];
  /** Requests refused: a bad or missing signature, or a delivery before a secret was trusted. */
  refused: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;

export async function startWebhookReceiver(options: ReceiverOptions = {}): Promise<WebhookReceiver> {
  const path = options.path ?? '/lendgraph/webhooks';
  let verifier: Webhook | undefined;
  const seen = new Set<string>();
  const receiver: WebhookReceiver = {
    url: '',
    trust: (secret) => void (verifier = new Webhook(secret)),
    events: [],
    refused: 0,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  async function handle(request: IncomingMessage): Promise<number> {
    if (request.method !== 'POST' || new URL(request.url ?? '/', 'http://receiver').pathname !== path) return 404;
    const rawBody = await readBody(request);
    if (rawBody === undefined) return 413;
    // Not ready yet: the platform retries, and by then the secret is trusted.
    if (!verifier) return refuse(503);
    let event: WebhookEvent;
    try {
      // Checks the HMAC over id, timestamp and the raw body, and the timestamp's tolerance; throws otherwise.
      event = verifier.verify(rawBody, request.headers as Record<string, string>) as WebhookEvent;
    } catch (error) {
      if (error instanceof WebhookVerificationError) return refuse(401);
      throw error;
    }
    const webhookId = request.headers['webhook-id'] as string;
    if (!seen.has(webhookId)) {
      seen.add(webhookId);
      receiver.events.push(event);
      options.onEvent?.(event, webhookId);
    }
    return 204;
  }

  function refuse(status: number): number {
    receiver.refused += 1;
    return status;
  }

  const server: Server = createServer((request, response) => {
    handle(request).then(
      (status) => response.writeHead(status).end(),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  receiver.url = `http://${host}:${address.port}${path}`;
  return receiver;
}

/** The body exactly as received (the signature covers these bytes), or undefined past the size cap. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
