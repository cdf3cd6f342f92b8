// The outbound client's settings, from configuration (docs/operations.md, "Outbound requests").
import type { Config } from '../config.js';
import type { OutboundOptions } from './client.js';
import type { DestinationPolicy } from './destination.js';

export function destinationPolicy(config: Config): DestinationPolicy {
  return {
    allowPrivate: config.OUTBOUND_ALLOW_PRIVATE_DESTINATIONS,
    // Plain http only outside production, for local receivers.
    allowPlainHttp: config.NODE_ENV !== 'production',
    extraPorts: config.OUTBOUND_ALLOWED_PORTS,
  };
}

/** The webhook sender's options: the outbound settings with the webhook total timeout. */
export function webhookOutbound(config: Config): OutboundOptions {
  return {
    policy: destinationPolicy(config),
    connectTimeoutMs: Math.min(config.OUTBOUND_CONNECT_TIMEOUT_MS, config.WEBHOOK_TIMEOUT_MS),
    totalTimeoutMs: config.WEBHOOK_TIMEOUT_MS,
    maxResponseBytes: config.OUTBOUND_MAX_RESPONSE_BYTES,
  };
}
