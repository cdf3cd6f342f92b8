// An application's status and the only moves it may make, from first draft to the money leaving the lender.
// Every change of status goes through `nextApplicationStatus`, so an illegal move is a typed error rather than a
// row in a state nobody planned for. Declined, withdrawn, expired and disbursed are final: nothing leaves them,
// which is what guarantees that such an application can never be disbursed.
import { statusInWords } from '../../errors.js';

export const APPLICATION_STATUSES = [
  'draft',
  'submitted',
  'under_checks',
  'checks_failed',
  'information_requested',
  'under_review',
  'referred',
  'approved',
  'declined',
  'withdrawn',
  'expired',
  'offer_accepted',
  'agreement_signed',
  'disbursement_requested',
  'disbursed',
] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const APPLICATION_EVENTS = [
  /** The applicant (or the partner or officer for them) hands the application in; it can no longer be edited. */
  'submit',
  /** Identity, bureau and income checks are requested from the providers. */
  'start_checks',
  /** Every check has answered: the credit policy can be evaluated. */
  'checks_complete',
  /** A check failed or timed out; the application waits for a retry rather than being decided on half the facts. */
  'check_failed',
  /**
   * The checks cannot run (or a provider says so) because the applicant's data is incomplete: the application goes
   * back to whoever submitted it, listing what is missing, to be amended and submitted again.
   */
  'request_information',
  'retry_checks',
  /** The policy (or an underwriter) sends the application to the underwriting queue. */
  'refer',
  'approve',
  'decline',
  /** The applicant changes their mind; allowed until the money is asked for. */
  'withdraw',
  /** Left too long in a waiting state (a draft never submitted, an offer never accepted, an agreement never signed). */
  'expire',
  'accept_offer',
  'sign_agreement',
  /** A disbursement officer asks for the money to be paid out (the maker). */
  'request_disbursement',
  /** A different person approves the request and the loan is booked (the checker). */
  'disburse',
  /** The checker refuses the request; the signed agreement stands and a corrected request can follow. */
  'reject_disbursement',
] as const;
export type ApplicationEvent = (typeof APPLICATION_EVENTS)[number];

/** Statuses nothing leaves. */
export const FINAL_APPLICATION_STATUSES: readonly ApplicationStatus[] = ['declined', 'withdrawn', 'expired', 'disbursed'];

/** From each status, what each event leads to; anything absent is refused. */
export const APPLICATION_TRANSITIONS: Readonly<Record<ApplicationStatus, Partial<Record<ApplicationEvent, ApplicationStatus>>>> = {
  draft: { submit: 'submitted', withdraw: 'withdrawn', expire: 'expired' },
  submitted: { start_checks: 'under_checks', withdraw: 'withdrawn' },
  under_checks: { checks_complete: 'under_review', check_failed: 'checks_failed', request_information: 'information_requested', withdraw: 'withdrawn' },
  // A failed check is the provider's problem, not the applicant's: it is retried, not declined. It may still lapse.
  checks_failed: { retry_checks: 'under_checks', withdraw: 'withdrawn', expire: 'expired' },
  // Missing data is the applicant's to supply: the submitter amends the application and submits it again (or it
  // lapses like a draft never submitted).
  information_requested: { submit: 'submitted', withdraw: 'withdrawn', expire: 'expired' },
  under_review: { approve: 'approved', decline: 'declined', refer: 'referred', withdraw: 'withdrawn' },
  // An underwriter may ask the providers again (new documents, a corrected bureau file) before deciding.
  referred: { approve: 'approved', decline: 'declined', retry_checks: 'under_checks', withdraw: 'withdrawn', expire: 'expired' },
  // Approved means an offer is out: it is accepted, or it lapses at its validity date.
  approved: { accept_offer: 'offer_accepted', withdraw: 'withdrawn', expire: 'expired' },
  offer_accepted: { sign_agreement: 'agreement_signed', withdraw: 'withdrawn', expire: 'expired' },
  // A signed agreement does not expire by itself: the borrower may still withdraw (a cooling-off right).
  agreement_signed: { request_disbursement: 'disbursement_requested', withdraw: 'withdrawn' },
  // While the money is being approved the borrower cannot withdraw; the request is rejected first.
  disbursement_requested: { disburse: 'disbursed', reject_disbursement: 'agreement_signed' },
  declined: {},
  withdrawn: {},
  expired: {},
  disbursed: {},
};

export class IllegalApplicationTransition extends Error {
  constructor(
    readonly from: ApplicationStatus,
    readonly event: ApplicationEvent,
  ) {
    super(`an application that is ${statusInWords(from)} cannot ${statusInWords(event)}`);
    this.name = 'IllegalApplicationTransition';
  }
}

export function nextApplicationStatus(from: ApplicationStatus, event: ApplicationEvent): ApplicationStatus {
  const to = APPLICATION_TRANSITIONS[from][event];
  if (!to) throw new IllegalApplicationTransition(from, event);
  return to;
}

/** The events an application in `status` may take, in the order of APPLICATION_EVENTS (for a UI's buttons). */
export function applicationEventsFrom(status: ApplicationStatus): ApplicationEvent[] {
  return APPLICATION_EVENTS.filter((event) => APPLICATION_TRANSITIONS[status][event] !== undefined);
}

export function isFinalApplicationStatus(status: ApplicationStatus): boolean {
  return FINAL_APPLICATION_STATUSES.includes(status);
}
