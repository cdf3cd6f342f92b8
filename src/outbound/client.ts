// The one HTTP client for requests made on a customer's say-so. The destination policy is applied three times:
// to the URL as written, to every address a name resolves to (the connect `lookup` hook, before any socket is
// opened — so a name that resolves inside, including one re-pointed after registration, is refused), and to the
// address the socket actually reached (belt and braces; Node skips `lookup` for address literals, which the first
// check covers). Redirects are never followed, every request has a connect timeout and a total timeout, and at
// most a small part of the answer is read: a receiver that streams forever holds a worker no longer than the
// total timeout.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { checkDestination, DestinationRefused, neverResolves, refusedAddress, refusedHostName, type DestinationPolicy } from './destination.js';
import { outboundSpan } from '../observability/outboundSpans.js';

export interface OutboundOptions {
  policy: DestinationPolicy;
  connectTimeoutMs: number;
  /** From the start of the request to the last byte read. */
  totalTimeoutMs: number;
  /** The most of an answer's body read before the connection is dropped. */
  maxResponseBytes: number;
  /** Name resolution; tests inject a fake resolver to play DNS rebinding. */
  resolve?: (hostname: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
}

/** What became of a request, as its owner may be told. */
export type OutboundResult =
  | { outcome: 'answered'; status: number }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'timedOut' }
  | { outcome: 'unreachable' };

/**
 * The words a delivery log shows. Nothing about the network between: a refused connection and one closed
 * without an answer read the same, so the log cannot be used to map what listens where.
 */
export function describeResult(result: OutboundResult): string | null {
  switch (result.outcome) {
    case 'answered': return result.status >= 200 && result.status <= 299 ? null : `answered ${result.status}`;
    case 'refused': return 'destination refused by policy';
    case 'timedOut': return 'timed out';
    case 'unreachable': return 'could not connect';
  }
}

function refusalIn(error: unknown): DestinationRefused | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth += 1) {
    if (cause instanceof DestinationRefused) return cause;
  }
  return undefined;
}

function isTimeout(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth += 1) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (cause.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') return true;
  }
  return false;
}

/** The address a socket actually reached, judged like any other; refused when unknown. */
export function refusedConnection(socket: Socket, policy: Pick<DestinationPolicy, 'allowPrivate'>): string | null {
  const remote = socket.remoteAddress;
  return remote === undefined ? 'the destination address is unknown' : refusedAddress(remote, policy);
}

export class OutboundClient {
  private readonly agent: Agent;
  /** Connections established (every check before connecting passed); tests prove refusals make none. */
  socketsConnected = 0;

  constructor(private readonly options: OutboundOptions) {
    const { policy } = options;
    const resolve = options.resolve ?? ((hostname, lookupOptions, callback) => {
      if (neverResolves(hostname)) return callback(Object.assign(new Error('reserved name'), { code: 'ENOTFOUND' }), []);
      dnsLookup(hostname, lookupOptions, callback);
    });
    // Every address the name resolves to must pass, or none is used: picking the good ones would let a name
    // that also resolves inside be retried until it lands there.
    const lookup = ((hostname: string, lookupOptions: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
      const nameRefusal = refusedHostName(hostname, policy);
      if (nameRefusal) return callback(new DestinationRefused(nameRefusal));
      resolve(hostname, { ...lookupOptions, all: true } as LookupAllOptions, (error, addresses) => {
        if (error) return callback(error);
        if (addresses.length === 0) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }));
        for (const { address } of addresses) {
          const refusal = refusedAddress(address, policy);
          if (refusal) return callback(new DestinationRefused(refusal));
        }
        if (lookupOptions.all) return callback(null, addresses);
        return callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    }) as unknown as LookupFunction;
    const connectSocket = buildConnector({ timeout: options.connectTimeoutMs, lookup });
    this.agent = new Agent({
      connect: (connectOptions, callback) => {
        const host = connectOptions.hostname.replace(/^\[|\]$/g, '');
        // Address literals never reach `lookup`.
        const refusal = isIP(host) ? refusedAddress(host, policy) : null;
        if (refusal) return callback(new DestinationRefused(refusal), null);
        connectSocket(connectOptions, (error, socket) => {
          if (error || !socket) return callback(error ?? new Error('no socket'), null);
          this.socketsConnected += 1;
          const reached = refusedConnection(socket as Socket, policy);
          if (reached) {
            socket.destroy();
            return callback(new DestinationRefused(reached), null);
          }
          return callback(null, socket);
        });
      },
      connections: null,
      keepAliveTimeout: 4_000,
      headersTimeout: options.totalTimeoutMs,
      bodyTimeout: options.totalTimeoutMs,
    });
  }

  /** POSTs `body`; never follows a redirect (a 3xx is an answer like any other). A client span when tracing is on. */
  post(url: string, headers: Record<string, string>, body: string): Promise<OutboundResult> {
    return outboundSpan('POST', url, () => this.send(url, headers, body));
  }

  private async send(url: string, headers: Record<string, string>, body: string): Promise<OutboundResult> {
    let target: URL;
    try {
      target = checkDestination(url, this.options.policy);
    } catch (error) {
      if (error instanceof DestinationRefused) return { outcome: 'refused', reason: error.reason };
      throw error;
    }
    const signal = AbortSignal.timeout(this.options.totalTimeoutMs);
    try {
      const response = await request(target, { method: 'POST', headers, body, signal, dispatcher: this.agent });
      // The answer's body is the receiver's business: read at most a little of it (so a short one keeps the
      // connection reusable), drop the connection past that, and never beyond the total timeout.
      await response.body.dump({ limit: this.options.maxResponseBytes, signal }).catch(() => undefined);
      return { outcome: 'answered', status: response.statusCode };
    } catch (error) {
      const refusal = refusalIn(error);
      if (refusal) return { outcome: 'refused', reason: refusal.reason };
      if (isTimeout(error) || signal.aborted) return { outcome: 'timedOut' };
      return { outcome: 'unreachable' };
    }
  }

  async close(): Promise<void> {
    await this.agent.destroy();
  }
}
