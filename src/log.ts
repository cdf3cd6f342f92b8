// Structured JSON logs. Request-scoped loggers are children carrying requestId and tenant.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Logs to stdout unless given another destination (tests read what was logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'lendgraph' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'token', '*.token'], censor: '[redacted]' },
  }, destination);
}
