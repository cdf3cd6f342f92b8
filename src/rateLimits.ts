// Request budgets, per minute: each principal's requests (a partner's tokens told apart by partner and client),
// each client address while a caller has no valid token, all of one tenant's callers together (so one lender's
// traffic cannot starve the others on a replica), and each principal's query cost in points (the estimate every
// answer reports in `extensions.cost`, as GitHub's and Shopify's APIs budget points rather than calls). Counted in
// this process's memory (rate-limiter-flexible), so the limits hold per replica: behind N replicas a caller may
// reach N times a budget. A shared store (Redis, PostgreSQL) is the library's drop-in when one budget across
// replicas is needed.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, type ErrorReason } from './errors.js';
import type { Principal } from './authz/principal.js';

export class RateLimitExceeded extends AppError {
  constructor(readonly retryAfterSeconds: number, reason: ErrorReason, what: string) {
    super('RATE_LIMITED', `${what}; retry after ${retryAfterSeconds} s`, { reason, retryAfter: retryAfterSeconds });
  }
}

/** Where a principal's query-cost budget stands after an operation, as its answer reports it. */
export interface CostBudget {
  /** QUERY_COST_PER_MINUTE. */
  perMinute: number;
  /** Points left in this minute. */
  remaining: number;
  /** When the minute's budget is whole again. */
  resetsInSeconds: number;
}

export interface RateLimitSettings {
  /** Requests per principal per minute; 0 turns it off (likewise below). */
  perPrincipal: number;
  /** Requests per client address per minute, for callers without a valid token. */
  perAddress: number;
  /** Requests per tenant per minute, all its principals together. */
  perTenant: number;
  /** Query-cost points per principal per minute. */
  costPerPrincipal: number;
}

export class RequestRateLimits {
  private readonly principals: RateLimiterMemory | null;
  private readonly anonymous: RateLimiterMemory | null;
  private readonly tenants: RateLimiterMemory | null;
  private readonly costs: RateLimiterMemory | null;

  constructor(settings: RateLimitSettings) {
    this.principals = perMinute('principal', settings.perPrincipal);
    this.anonymous = perMinute('address', settings.perAddress);
    this.tenants = perMinute('tenant', settings.perTenant);
    this.costs = perMinute('cost', settings.costPerPrincipal);
  }

  /** Takes one request from the principal's budget; throws RateLimitExceeded when it is spent. */
  async forPrincipal(principal: Principal): Promise<void> {
    await take(this.principals, principalKey(principal), 1, 'TOO_MANY_REQUESTS', 'too many requests');
  }

  /** Takes one request from a client address's budget (callers without a valid token). */
  async forAddress(address: string | null | undefined): Promise<void> {
    await take(this.anonymous, address ?? 'unknown', 1, 'TOO_MANY_REQUESTS', 'too many requests');
  }

  /** Takes one request from the tenant's budget, shared by all its callers. */
  async forTenant(tenantId: string): Promise<void> {
    await take(this.tenants, tenantId, 1, 'TENANT_REQUESTS_SPENT', 'too many requests for this lender');
  }

  /**
   * Takes an operation's estimated cost (at least one point) from the principal's budget and says what is left;
   * throws RateLimitExceeded (QUERY_BUDGET_SPENT) when the operation does not fit, spending nothing. Null when off.
   */
  async spendQueryCost(principal: Principal, points: number): Promise<CostBudget | null> {
    if (!this.costs) return null;
    const spent = await take(this.costs, principalKey(principal), Math.max(1, Math.ceil(points)), 'QUERY_BUDGET_SPENT', `this query costs ${points} points, more than is left of this minute's budget`);
    return { perMinute: this.costs.points, remaining: Math.max(0, spent!.remainingPoints), resetsInSeconds: Math.max(1, Math.ceil(spent!.msBeforeNext / 1000)) };
  }

  /**
   * Gives back what `spendQueryCost` took for an operation that then ran nothing (its variables did not fit their
   * types, which execution refuses after the cost was taken). Until then the points are held: another operation of
   * the same caller in those milliseconds sees them spent.
   */
  async refundQueryCost(principal: Principal, points: number): Promise<void> {
    if (!this.costs) return;
    const key = principalKey(principal);
    const taken = Math.max(1, Math.ceil(points));
    // Only within the minute it was taken from: given back after its window closed, it would add to the next one.
    const now = await this.costs.get(key);
    if (now && now.consumedPoints >= taken) await this.costs.reward(key, taken);
  }
}

function perMinute(keyPrefix: string, points: number): RateLimiterMemory | null {
  return points > 0 ? new RateLimiterMemory({ keyPrefix, points, duration: 60 }) : null;
}

/** A partner's tokens are told apart by partner and client, not only by subject (development tokens share one). */
export function principalKey(principal: Principal): string {
  return `${principal.partner?.id ?? '-'}|${principal.clientId ?? '-'}|${principal.subject}`;
}

async function take(limiter: RateLimiterMemory | null, key: string, points: number, reason: ErrorReason, what: string): Promise<RateLimiterRes | null> {
  if (!limiter) return null;
  // An operation costlier than the whole budget could never run: refuse it at once rather than spend the minute.
  if (points > limiter.points) throw new RateLimitExceeded(60, reason, what);
  try {
    return await limiter.consume(key, points);
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) {
      // A refused operation spends nothing: what it took is given back, so smaller queries still fit.
      if (points > 1) await limiter.reward(key, points);
      throw new RateLimitExceeded(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)), reason, what);
    }
    throw refusal;
  }
}
