// Shared start-up for the command-line tools: configuration errors name the variable and exit 2.
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
