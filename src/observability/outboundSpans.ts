// A client span for each request made on a customer's say-so (webhook deliveries), when tracing is on. It names
// the receiver's host and port and what became of the request; not the URL's path or query, which may hold the
// receiver's own secrets. No `traceparent` is sent: a partner's systems are not part of the lender's traces, and
// its trace ids would tell the partner nothing it could use.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_SCHEME } from '@opentelemetry/semantic-conventions';
import type { OutboundResult } from '../outbound/client.js';
import { tracer } from './tracing.js';

/** Runs `send` in a client span when tracing is on; directly when it is off. */
export function outboundSpan(method: string, url: string, send: () => Promise<OutboundResult>): Promise<OutboundResult> {
  const spans = tracer();
  if (!spans) return send();
  let target: URL | undefined;
  try {
    target = new URL(url);
  } catch {
    // The destination check names a URL that does not parse; the span says only what was attempted.
  }
  const attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    ...(target ? {
      [ATTR_URL_SCHEME]: target.protocol.replace(/:$/, ''),
      [ATTR_SERVER_ADDRESS]: target.hostname,
      [ATTR_SERVER_PORT]: Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
    } : {}),
  };
  return spans.startActiveSpan(method, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      const result = await send();
      if (result.outcome === 'answered') {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.status);
        if (result.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
      } else {
        span.setAttribute(ATTR_ERROR_TYPE, result.outcome);
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.outcome });
      }
      return result;
    } finally {
      span.end();
    }
  });
}
