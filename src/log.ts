// Structured JSON logs. Request-scoped loggers are children carrying requestId and tenant; with tracing on, a line
// written inside a span carries its trace_id and span_id (src/observability/logFields.ts).
import { pino, type DestinationStream, type Logger } from 'pino';
import { mergeTraceFields, traceFields } from './observability/logFields.js';

export type { Logger };

/**
 * A frame of Prisma's runtime or of the client `prisma generate` wrote: the same in every failed query (half a
 * logged stack), and nothing anyone can act on. The platform's own frames, which say where the query was made, stay.
 */
const GENERATED_FRAME = /^\s+at .*[/\\](?:node_modules[/\\]@prisma|generated[/\\]prisma)[/\\]/;

/** An error as a log line carries it (pino's own serializer), without frames of generated code. */
function loggedError(error: Error): ReturnType<typeof pino.stdSerializers.err> {
  const serialized = pino.stdSerializers.err(error);
  if (typeof serialized?.stack === 'string') serialized.stack = serialized.stack.split('\n').filter((line) => !GENERATED_FRAME.test(line)).join('\n');
  return serialized;
}

/** Logs to stdout unless given another destination (tests read what was logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'lendgraph' },
    serializers: { err: loggedError },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'token', '*.token'], censor: '[redacted]' },
    mixin: traceFields,
    mixinMergeStrategy: mergeTraceFields,
  }, destination);
}
