// How long an application may wait on its submitter before it lapses: a draft never submitted, and one returned for
// missing information never amended and submitted again. Counted on the lender's calendar, as everything else its
// books hold: business dates from the one it began waiting on, never the clock's instants, which a sandbox's clock
// moved ahead (or an end of day not yet run) leaves apart from the business date.
import { addDays } from '../calendar.js';

/** Business days a draft, or an application returned for missing information, may wait. */
export const WAITING_LIFETIME_DAYS = 30;

/**
 * The business date before which whatever began waiting has lapsed by `businessDate`: made on 2027-01-10, a draft
 * waits through 2027-02-09 (30 days) and lapses at the end of day that brings the lender to 2027-02-10.
 */
export function lapsedIfWaitingBefore(businessDate: string): string {
  return addDays(businessDate, -WAITING_LIFETIME_DAYS);
}
