// How many WebSockets one process may hold. Every socket is a file descriptor; a process at its descriptor
// limit can no longer accept HTTP, open a database connection or reach a webhook endpoint, and new sockets are
// reset without a word (bench:subscribers found this at 19,963). So the gateway refuses upgrades past a cap
// that leaves a reserve: a clean 503 sends the client to another replica.
import { readFileSync } from 'node:fs';

/** The soft open-files limit of this process, or null where /proc is not available. */
export function openFilesLimit(limitsFile = '/proc/self/limits'): number | null {
  try {
    const line = readFileSync(limitsFile, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

/** The configured cap, else the descriptor limit less a reserve for the pool, LISTEN, HTTP and outbound calls. */
export function websocketCap(configured: number | undefined, poolMax: number, limit = openFilesLimit()): number {
  if (configured !== undefined) return configured;
  if (limit === null) return 10_000;
  return Math.max(0, limit - poolMax - 256);
}
