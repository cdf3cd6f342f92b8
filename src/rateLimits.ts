// Request rate limits: a fixed budget per minute for each principal, and for each client address while a caller
// has no valid token. Counted in this process's memory (rate-limiter-flexible), so the limit holds per replica:
// behind N replicas a principal may reach N times the budget. A shared store (Redis, PostgreSQL) is the
// library's drop-in when one budget across replicas is needed.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from './errors.js';
import type { Principal } from './authz/principal.js';

export class RateLimitExceeded extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `too many requests; retry after ${retryAfterSeconds} s`, { reason: 'TOO_MANY_REQUESTS', retryAfter: retryAfterSeconds });
  }
}

export class RequestRateLimits {
  private readonly principals: RateLimiterMemory | null;
  private readonly anonymous: RateLimiterMemory | null;

  /** A limit of 0 turns that budget off. */
  constructor(perMinute: number, anonymousPerMinute: number) {
    this.principals = perMinute > 0 ? new RateLimiterMemory({ keyPrefix: 'principal', points: perMinute, duration: 60 }) : null;
    this.anonymous = anonymousPerMinute > 0 ? new RateLimiterMemory({ keyPrefix: 'address', points: anonymousPerMinute, duration: 60 }) : null;
  }

  /** Takes one request from the principal's budget; throws RateLimitExceeded when it is spent. */
  async forPrincipal(principal: Principal): Promise<void> {
    // A partner's tokens are told apart by partner and client, not only by subject (development tokens share one).
    await take(this.principals, `${principal.partner?.id ?? '-'}|${principal.clientId ?? '-'}|${principal.subject}`);
  }

  /** Takes one request from a client address's budget (callers without a valid token). */
  async forAddress(address: string | null | undefined): Promise<void> {
    await take(this.anonymous, address ?? 'unknown');
  }
}

async function take(limiter: RateLimiterMemory | null, key: string): Promise<void> {
  if (!limiter) return;
  try {
    await limiter.consume(key);
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) throw new RateLimitExceeded(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)));
    throw refusal;
  }
}
