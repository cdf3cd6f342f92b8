// The active span's ids on every log line written inside it (pino's mixin), named as OpenTelemetry's log data model
// names them: a line found by its correlationId leads to its trace, and a slow trace to its lines.
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { tracer } from './tracing.js';

export interface TraceFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

/** Nothing to add: the line is written as it was given (see mergeTraceFields). */
const NONE: TraceFields = Object.freeze({});

/** pino's mixin: the ids of the active span, when tracing is on and a span is active. */
export function traceFields(): TraceFields {
  if (!tracer()) return NONE;
  const span = trace.getActiveSpan();
  if (!span) return NONE;
  const ids = span.spanContext();
  if (!isSpanContextValid(ids)) return NONE;
  return { trace_id: ids.traceId, span_id: ids.spanId, trace_flags: ids.traceFlags.toString(16).padStart(2, '0') };
}

/** pino's mixin merge: a line outside a span costs no copy; inside one, its own fields win over the ids. */
export function mergeTraceFields(line: object, fields: object): object {
  return fields === NONE ? line : Object.assign(fields, line);
}
