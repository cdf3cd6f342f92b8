// Who did something, as the records keep it (`proposedBy`, `decidedBy`, an application's history, a posting's
// `enteredBy`): the subject of the token that asked — a person of the lender's staff or a partner's client — or
// the name of the part of the platform that acted by itself. The platform's names are declared here and only
// here, and the services that act by themselves record these, so a reader can tell the platform from a person.

/** The parts of the platform that act by themselves, by the name records keep for them. */
export const SYSTEM_ACTORS = {
  /** The product's credit policy deciding an application. */
  policy: 'policy',
  /** End of day: its postings, settlements, clawbacks and collection cases. */
  endOfDay: 'end-of-day',
  /** The schedule that starts each tenant's end of day after its midnight. */
  endOfDaySchedule: 'system:end-of-day-schedule',
  /** Auto-debit: returned debits taken back. */
  autoDebit: 'auto-debit',
  /** The default loss guarantee buying a co-lending partner's share back. */
  defaultLossGuarantee: 'default-loss-guarantee',
  /** The charge-off rule writing loans off. */
  chargeOffRule: 'charge-off-rule',
  /** The dispatcher sending borrowers' reminders. */
  messageDispatcher: 'message-dispatcher',
  /** A pending check's deadline passing without the provider's answer. */
  checkDeadline: 'system:check-deadline',
} as const;

const PROVIDER = 'provider:';

/** A check provider calling back with its answer to a pending check. */
export function providerActor(provider: string): string {
  return `${PROVIDER}${provider}`;
}
