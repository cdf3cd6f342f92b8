// How a webhook proves it came from Lendgraph: Standard Webhooks signatures, so a partner verifies with any stock
// library for the spec instead of code of ours (docs/webhooks.md shows it in a few lines).
//
//   webhook-id:        the message id; the same on every retry and replay, so receivers de-duplicate on it
//   webhook-timestamp: unix seconds, signed too, so a captured request cannot be replayed past the tolerance
//   webhook-signature: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, space-separated when more than one
//
// The HMAC key is the secret's bytes: `whsec_` + base64 is the spec's way of writing them down.
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

export function newSigningSecret(): string {
  // Standard base64, not base64url: the reference libraries decode the part after the prefix as plain base64.
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

export function signature(secret: string, id: string, body: string, at: Date): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The three headers of one request, signed with every secret in force (the newest first). */
export function signatureHeaders(secrets: readonly string[], id: string, body: string, at: Date): Record<string, string> {
  if (secrets.length === 0) throw new Error('a webhook needs at least one signing secret');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => signature(secret, id, body, at)).join(' '),
  };
}

export interface EndpointSecrets<S> {
  current: S;
  previous: S | null;
  previousExpiresAt: Date | null;
}

/**
 * The secrets that sign a request made at `at`: the current one, and the one a rotation replaced until its
 * overlap ends, so a receiver still holding the old secret keeps verifying while it switches.
 */
export function secretsInForce<S>(endpoint: EndpointSecrets<S>, at: Date): S[] {
  const overlapping = endpoint.previous !== null && endpoint.previousExpiresAt !== null && at.getTime() < endpoint.previousExpiresAt.getTime();
  return overlapping ? [endpoint.current, endpoint.previous!] : [endpoint.current];
}
