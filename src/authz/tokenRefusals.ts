// A refused token is logged where operators look (info), with the check it failed and the issuer it names, never
// the token itself. A client that keeps sending the same bad token would write a line a request: each check and
// issuer is said at info once a minute, and at debug in between.
import { LRUCache } from 'lru-cache';
import type { Logger } from '../log.js';
import type { InvalidTokenError } from './tokens.js';

/** How long the same check and issuer stay at debug after their info line. */
export const TOKEN_REFUSAL_QUIET_SECONDS = 60;

const said = new LRUCache<string, true>({ max: 1_000, ttl: TOKEN_REFUSAL_QUIET_SECONDS * 1000 });

export function logTokenRefusal(log: Logger, error: InvalidTokenError): void {
  const fields = { check: error.check, reason: error.message, issuer: error.issuer };
  const key = `${error.check} ${error.issuer ?? ''}`;
  if (said.has(key)) {
    log.debug(fields, 'token refused');
    return;
  }
  said.set(key, true);
  log.info({ ...fields, quietForSeconds: TOKEN_REFUSAL_QUIET_SECONDS }, 'token refused');
}
