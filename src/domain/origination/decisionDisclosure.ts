// What of a decision an origination partner may see. The credit policy reads, besides what the partner sent and
// what the checks answered about it, the lender's own history of the person (other applications, from any
// channel, of the same party): a partner is not told that history, as a number or otherwise. It still sees every
// rule's pass or fail and the reason codes, which an adverse-action notice owes the applicant.
import type { PolicyInput } from './creditPolicy.js';

/** Rules that read the lender's history of the person rather than the submission. */
export const PARTY_HISTORY_RULES: readonly string[] = ['maxOpenApplications', 'maxRecentApplications'];

/** The decision's input without the party's history. */
export function inputShownToPartner(snapshot: Partial<PolicyInput> & Record<string, unknown>): Record<string, unknown> {
  const { duplicates: _history, ...shown } = snapshot;
  return shown;
}

/** Rule outcomes with what history-reading rules observed left out. */
export function rulesShownToPartner<R extends { kind: string; observed?: unknown }>(rules: readonly R[]): R[] {
  return rules.map((rule) => (PARTY_HISTORY_RULES.includes(rule.kind) ? { ...rule, observed: null } : rule));
}
