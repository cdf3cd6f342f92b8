// Structured JSON logs. Request-scoped loggers are children carrying requestId and tenant; with tracing on, a line
// written inside a span carries its trace_id and span_id (src/observability/logFields.ts).
import { pino, type DestinationStream, type Logger } from 'pino';
import { mergeTraceFields, traceFields } from './observability/logFields.js';

export type { Logger };

/** Logs to stdout unless given another destination (tests read what was logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'lendgraph' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'token', '*.token'], censor: '[redacted]' },
    mixin: traceFields,
    mixinMergeStrategy: mergeTraceFields,
  }, destination);
}
