// Shared start-up for the command-line tools: configuration errors name the variable and exit 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';

export function cliSetup(): { config: Config; log: Logger } {
  try {
    const config = loadConfig();
    return { config, log: createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL) };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/**
 * The command line, parsed strictly against `options` (plus --help): --help prints `usage` and exits 0; an
 * unknown option or a missing value prints node:util's own message (it names the option) and `usage`, exit 2.
 * `usageError` is the same exit for what the tool checks itself. Words besides the options (a command and its
 * subject: `create <slug>`) only for a tool that takes them (`positionals`).
 */
export function commandLine<const O extends NonNullable<ParseArgsConfig['options']>>(usage: string, options: O, { positionals = false } = {}) {
  const usageError = (message: string): never => {
    process.stderr.write(`${message}\n\n${usage}`);
    process.exit(2);
  };
  const parse = () => parseArgs({ strict: true, allowPositionals: positionals, options: { ...options, help: { type: 'boolean', short: 'h' } } as const });
  let parsed: ReturnType<typeof parse> | undefined;
  try {
    parsed = parse();
  } catch (error) {
    usageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed!;
  if ((values as { help?: boolean }).help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  return { values, positionals: parsed!.positionals, usageError };
}
