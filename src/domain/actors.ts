// Who did something, as the records keep it (`proposedBy`, `decidedBy`, an application's history, a posting's
// `enteredBy`): the subject of the token that asked — a person of the lender's staff or a partner's client — or
// the name of the part of the platform that acted by itself. The platform's names are declared here and only
// here, and the services that act by themselves record these, so a reader can tell the platform from a person.
//
// Which of the lender's staff did something is the lender's own business: a person's subject (often their e-mail
// address) is their personal data, and who decides what is the lender's internal organisation. So a partner is
// shown anyone of the lender's staff as `lender`. A person's subject and a partner client's cannot be told apart
// by their text (from Keycloak both are opaque ids), so the rule goes by who reads: a partner reads only its own
// records (src/authz/partnerScope.ts), on which only three kinds of actor ever act — the partner itself, the
// lender's staff and the platform. The partner's own subject and the platform's names are shown as recorded, and
// anyone else is the lender; an actor this module does not know is the lender too, never a name.

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
  /** Webhook delivery disabling an endpoint that has failed too long. */
  webhooks: 'lendgraph-webhooks',
  /** The sandbox tenant's products, policies and pricing, made when it is created. */
  sandboxSeed: 'sandbox-seed',
  /**
   * The loan agreement made from an accepted offer when signing is asked for: its document was generated, not
   * uploaded, so it names the platform; the offer and the application's history keep who accepted and who asked.
   */
  agreementGenerator: 'agreement-generator',
} as const;

const PROVIDER = 'provider:';

/** A check provider calling back with its answer to a pending check. */
export function providerActor(provider: string): string {
  return `${PROVIDER}${provider}`;
}

const SYSTEM_NAMES: ReadonlySet<string> = new Set(Object.values(SYSTEM_ACTORS));

/** Whether the platform acted by itself, rather than a person or a partner's client. */
export function isSystemActor(actor: string): boolean {
  return SYSTEM_NAMES.has(actor) || actor.startsWith(PROVIDER);
}

/** What a partner is shown in place of anyone of the lender's staff. */
export const LENDER_ACTOR = 'lender';

/**
 * Who reads an actor: the lender's staff, or a partner with the subject its own actions are recorded under (null
 * where the reading is the partner's as a whole rather than one request's, as events are).
 */
export type ActorReader = { readonly partner: null } | { readonly partner: string; readonly subject: string | null };

/**
 * Who reads an event: the partner as a whole (its webhook endpoints hold no token and its live subscribers share one
 * answer), or the lender's staff when `partner` is null.
 */
export function eventReaderOf(partner: string | null): ActorReader {
  return partner === null ? { partner: null } : { partner, subject: null };
}

/** The recorded actor as this reader is shown it: as recorded, or `lender` for the lender's staff read by a partner. */
export function actorShownTo(actor: string, reader: ActorReader): string {
  if (reader.partner === null || actor === reader.subject || isSystemActor(actor)) return actor;
  return LENDER_ACTOR;
}
