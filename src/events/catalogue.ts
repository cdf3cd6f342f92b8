// The event contract, in one table: every event type Lendgraph emits, the fields of its payload (name, type,
// meaning), the version of that shape, and who receives it. Three things read it, so they cannot disagree:
// runCommand writes each event through `writtenEvent` (which refuses a type or a field the table does not
// name, and turns database ids into global ids and amounts into Money text), `npm run schema` renders it as
// docs/events.md, and test/events/catalogue.test.ts fails when the source emits a type missing here.
//
// Names are `aggregate.pastTenseVerb` in camelCase (`application.offerAccepted`, `loan.repaymentPosted`): what
// happened, to what. A field added to a type keeps its version; a field removed, renamed or changed in meaning
// is a new type or the next schemaVersion, never a silent change.
import { Decimal, formatMoney } from '../domain/money.js';
import { decodeGlobalId, globalIdOf } from '../domain/globalId.js';
import { actorShownTo, type ActorReader } from '../domain/actors.js';

/** Who, besides the lender's staff (who receive every event of their tenant), receives events of a type. */
export type Audience =
  /** The origination partner that brought the application or loan (the event's partnerScope is its code). */
  | 'originationPartner'
  /** The partner the event is about: its own registration (origination or co-lending). */
  | 'thePartner'
  /**
   * A loan's partners, each in a batch of its own: the origination partner that brought it and every co-lending
   * partner with a share of it.
   */
  | 'loanPartners'
  /** The partner owning the webhook endpoint; nobody else's endpoints or stream. */
  | 'endpointOwner'
  /** No partner: the lender's own configuration and books. */
  | 'staffOnly'
  /**
   * Every partner of the lender, of either kind: facts about the lender as a whole that every partner works
   * by and that say nothing about anyone's loans (the business date). Written with partnerScope EVERY_PARTNER.
   */
  | 'everyPartner';

/**
 * The partnerScope of an event every partner receives (audience `everyPartner`). No partner code can be this
 * (codes are lower-case letters, digits and hyphens), so it never names one partner by accident.
 */
export const EVERY_PARTNER = '*';

export const AUDIENCE_TEXT: Readonly<Record<Audience, string>> = {
  originationPartner: 'staff; the origination partner that brought the application or loan (none when the lender brought it). Co-lending partners: not sent.',
  thePartner: 'staff; the partner it is about, of either kind (origination or co-lending), and no other partner.',
  loanPartners: 'staff; each of the loan\'s partners in a batch of its own: the origination partner that brought it and every co-lending partner with a share of it (a shared loan is in each of their batches).',
  endpointOwner: 'staff; the partner that owns the endpoint (origination or co-lending), none when the lender owns it.',
  staffOnly: 'staff only; no partner of either kind.',
  everyPartner: 'staff; every partner of the lender, of either kind (origination or co-lending). It names no loan, borrower or partner.',
};

export interface FieldSpec {
  /** The field's type in the API's words (ID of a node, Money, Date, DateTime, String, Int, Boolean, …). */
  readonly type: string;
  readonly meaning: string;
  /** May be absent from the payload. */
  readonly optional?: boolean;
  /** May be null. */
  readonly nullable?: boolean;
  /** For a list of objects: the fields of each. */
  readonly items?: Readonly<Record<string, FieldSpec>>;
  /** Who did it, as recorded (src/domain/actors.ts): a partner receives anyone of the lender's staff as `lender`. */
  readonly actor?: true;
  /** The value as the API shows it, from the value the use case has. */
  readonly write: (value: unknown, path: string) => unknown;
}

export interface EventSpec {
  /** The aggregate it happens to (the envelope's aggregateType; its aggregateId is that node's global id). */
  readonly aggregate: string;
  readonly meaning: string;
  readonly schemaVersion: number;
  readonly audience: Audience;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /**
   * A batch: one event about many aggregates of its type (end of day's per-loan changes, coalesced), listed in
   * its payload. Its aggregateId is the batch's own id (the event's id), not a node's global id.
   */
  readonly batch?: true;
}

class EventContractError extends Error {}

const fail = (path: string, what: string): never => {
  throw new EventContractError(`event payload ${path}: ${what}`);
};

function spec(type: string, write: (value: unknown, path: string) => unknown) {
  return (meaning: string, options: { optional?: boolean; nullable?: boolean } = {}): FieldSpec => ({ type, meaning, ...options, write });
}

const text = spec('String', (v, p) => (typeof v === 'string' ? v : fail(p, 'a string')));
const int = spec('Int', (v, p) => (Number.isInteger(v) ? v : fail(p, 'an integer')));
const bool = spec('Boolean', (v, p) => (typeof v === 'boolean' ? v : fail(p, 'a boolean')));
/** Who did it: a subject or the platform's name, as recorded; shown to partners through payloadShownTo. */
const actor = (meaning: string, options: { optional?: boolean; nullable?: boolean } = {}): FieldSpec => ({ ...text(meaning, options), actor: true });
const texts = spec('[String]', (v, p) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : fail(p, 'a list of strings')));
const date = spec('Date', (v, p) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : fail(p, 'a date YYYY-MM-DD')));
const dateTime = spec('DateTime', (v, p) => (v instanceof Date ? v.toISOString() : typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : fail(p, 'an instant')));
/** decimal.js values (of any clone) and decimal text alike. */
const isDecimal = (v: unknown) => typeof v === 'string' || (typeof v === 'object' && v !== null && typeof (v as { toFixed?: unknown }).toFixed === 'function');
const decimal = spec('Decimal', (v, p) => (isDecimal(v) ? new Decimal(String(v)).toFixed() : fail(p, 'a decimal')));

/** A node's global id, the one `node(id:)` takes, from its database id. */
const id = (typename: string) => spec(`ID (${typename})`, (v, p) => (typeof v === 'string' && v.length > 0 ? globalIdOf(typename, v) : fail(p, `a ${typename} id`)));

/** Money as the API writes it ("1000.00 USD"), from `{ amount, currency }`. */
const money = spec('Money', (v, p) => {
  const m = v as { amount?: unknown; currency?: unknown } | null;
  if (!m || typeof m.currency !== 'string' || !isDecimal(m.amount)) return fail(p, 'an amount with its currency');
  return formatMoney({ amount: new Decimal(String(m.amount)), currency: m.currency });
});

/** An object of the given fields. */
const object = (fields: Record<string, FieldSpec>, type: string) => (meaning: string, options: { optional?: boolean; nullable?: boolean } = {}): FieldSpec => ({
  ...spec(type, (v, p) => writeFields(fields, v, p))(meaning, options),
  items: fields,
});

/** A list of objects, each of the given fields. */
const list = (fields: Record<string, FieldSpec>, type: string) => (meaning: string): FieldSpec => ({
  ...spec(`[${type}]`, (v, p) => (Array.isArray(v) ? v.map((item, k) => writeFields(fields, item, `${p}[${k}]`)) : fail(p, 'a list')))(meaning),
  items: fields,
});

function writeFields(fields: Readonly<Record<string, FieldSpec>>, value: unknown, path: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(path, 'an object');
  const given = value as Record<string, unknown>;
  const unknownField = Object.keys(given).find((key) => !(key in fields) && given[key] !== undefined);
  if (unknownField !== undefined) fail(`${path}.${unknownField}`, 'not in the event catalogue (src/events/catalogue.ts)');
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    const v = given[name];
    if (v === undefined) {
      if (!field.optional) fail(`${path}.${name}`, 'missing');
      continue;
    }
    if (v === null) {
      if (!field.nullable) fail(`${path}.${name}`, 'null');
      out[name] = null;
      continue;
    }
    out[name] = field.write(v, `${path}.${name}`);
  }
  return out;
}

// Fields many types share, declared once so they mean the same everywhere.
const bucketFields = {
  name: text('The bucket\'s name.'), fromDays: int('The first count of days past due in it.'), toDays: int('The last count in it; null for "and above".', { nullable: true }),
};
const applicationId = id('Application')('The application.');
const reference = text('The application\'s reference, e.g. APP-0000042.');
const loanId = id('Loan')('The loan.');
const endpointId = id('WebhookEndpoint')('The endpoint.');

/** Every application's move from one status to another carries these, and the transition's own fields. */
const transitionFields = {
  applicationId, reference,
  from: text('The status it left.'),
  to: text('The status it is now in.'),
  reason: text('Why, when a reason was given (a policy\'s reason codes, a rejection\'s reason, a lapse).', { optional: true }),
};

const decisionField = object({
  decisionId: text('The decision (its database id).'),
  outcome: text('APPROVE, DECLINE or REFER.'),
  riskGrade: text('The risk grade.', { nullable: true }),
  reasons: texts('From the policy: its reason codes.', { optional: true }),
  policyVersion: int('From the policy: the version that decided.', { optional: true, nullable: true }),
  override: bool('From an underwriter: whether it overrides the policy.', { optional: true }),
  requestId: id('ApprovalRequest')('From an underwriter: the approval request decided.', { optional: true }),
  recommendedBy: actor('From an underwriter: who recommended it (the maker).', { optional: true }),
  confirmsPolicyDecision: text('From an underwriter: the policy decision it confirms or overrides (its database id).', { optional: true }),
  authority: object({
    level: text('The approver level used.'), limit: text('Its limit, when it has one.', { nullable: true }),
    matrixVersion: int('The version of the approval authority matrix it was approved under.', { optional: true }),
  }, 'Authority')(
    'From an underwriter approving: the authority it was approved under.', { optional: true }),
}, 'Decision')('The decision, by the policy or by an underwriter.', { optional: true });

function transition(meaning: string, extra: Record<string, FieldSpec> = {}): EventSpec {
  return { aggregate: 'Application', meaning, schemaVersion: 2, audience: 'originationPartner', fields: { ...transitionFields, ...extra } };
}

const creditPolicyFields = {
  productId: id('LoanProduct')('The product the policy decides for.'),
  version: int('The policy\'s version within its product.'),
  status: text('Its status: draft, pending_activation, active or retired.'),
  createdBy: actor('Who drafted it (subject).'),
  activationRequestedBy: actor('Who asked for its activation.', { nullable: true }),
  activatedBy: actor('Who activated it (not the asker).', { nullable: true }),
  activatedAt: dateTime('When it was activated.', { nullable: true }),
};

function creditPolicy(meaning: string, extra: Record<string, FieldSpec> = {}): EventSpec {
  return { aggregate: 'CreditPolicy', meaning, schemaVersion: 2, audience: 'staffOnly', fields: { ...creditPolicyFields, ...extra } };
}

/** Where a version that needs a second person stands (pricing, the authority matrix). */
const activationFields = {
  status: text('Its status: draft, pending_activation, active or retired.'),
  createdBy: actor('Who drafted it (subject).'),
  activationRequestedBy: actor('Who asked for its activation.', { nullable: true }),
  activatedBy: actor('Who activated it (not the asker).', { nullable: true }),
  activatedAt: dateTime('When it was activated.', { nullable: true }),
};

const productPricingFields = {
  productId: id('LoanProduct')('The product it prices.'),
  version: int('The pricing\'s version within its product.'),
  ...activationFields,
};

const setupVersionFields = {
  version: int('The version number.'),
  ...activationFields,
};

function productPricing(meaning: string, extra: Record<string, FieldSpec> = {}): EventSpec {
  return { aggregate: 'ProductPricing', meaning, schemaVersion: 1, audience: 'staffOnly', fields: { ...productPricingFields, ...extra } };
}

function checkProviderSettings(meaning: string, extra: Record<string, FieldSpec> = {}): EventSpec {
  return { aggregate: 'CheckProviderSettings', meaning, schemaVersion: 1, audience: 'staffOnly', fields: { ...setupVersionFields, ...extra } };
}

function authorityMatrix(meaning: string, extra: Record<string, FieldSpec> = {}): EventSpec {
  return {
    aggregate: 'ApprovalAuthorityMatrix', meaning, schemaVersion: 1, audience: 'staffOnly',
    fields: { ...setupVersionFields, currency: text('The currency its limits are in (the tenant\'s).'), ...extra },
  };
}

const loanTransactionFields = {
  loanId,
  transactionId: id('LoanTransaction')('The transaction posted.'),
  kind: text('Its kind: repayment, prepayment, payoff, refund, reversal, charge, waiver, tranche, writeOff or restructure.'),
  valueDate: date('The business date it took effect on.'),
  amount: money('Its amount; null for a reversal, a write-off in full and a restructure.', { nullable: true }),
  status: text('The loan\'s status after it.'),
  daysPastDue: int('The loan\'s days past due after it.'),
  reverses: id('LoanTransaction')('For a reversal: the transaction it reverses.', { optional: true }),
};

function loanTransaction(meaning: string): EventSpec {
  return { aggregate: 'Loan', meaning, schemaVersion: 2, audience: 'originationPartner', fields: loanTransactionFields };
}

export const EVENT_CATALOGUE: Readonly<Record<string, EventSpec>> = {
  // Partners registered with the lender.
  'partner.registered': {
    aggregate: 'Partner', meaning: 'A partner was registered with the lender.', schemaVersion: 2, audience: 'thePartner',
    fields: { code: text('The partner\'s code (its id in tokens and scopes).'), kind: text('origination or colending.'), name: text('Its name.') },
  },
  'partner.secretRotated': {
    aggregate: 'Partner', meaning: 'The partner\'s client secret was replaced.', schemaVersion: 2, audience: 'thePartner',
    fields: { code: text('The partner\'s code.') },
  },

  // The lender's business date (end of day, src/services/endOfDay/events.ts).
  'tenant.businessDateAdvanced': {
    aggregate: 'Tenant', schemaVersion: 2, audience: 'everyPartner',
    meaning: 'End of day brought the lender\'s books to a new business date: postings from now on take effect on it, and what fell due or became overdue on it has been posted.',
    fields: { previousDate: date('The business date before.'), businessDate: date('The business date now.') },
  },
  'tenant.endOfDayCompleted': {
    aggregate: 'Tenant', schemaVersion: 2, audience: 'staffOnly',
    meaning: 'End of day for a business date did every step; the counts are of the lender\'s whole book, so only staff receive them (partners receive tenant.businessDateAdvanced and the per-loan batches of their own loans).',
    fields: {
      previousDate: date('The business date before.'), businessDate: date('The business date brought to.'),
      loansFellDue: int('Loans (active or overdue) with an instalment falling due on the date.'),
      loansBecameOverdue: int('Loans overdue since this date: their oldest unpaid instalment fell due the day before (1 day past due).'),
      loansChangedBucket: int('Loans that moved to another delinquency bucket.'),
      loansChangedClass: int('Loans whose asset class changed.'),
    },
  },

  // The lender's staff (people signing in to the lender's side; src/services/staff.ts).
  'staffMember.invited': {
    aggregate: 'StaffMember', meaning: 'A person was invited to the lender\'s staff with these roles.', schemaVersion: 1, audience: 'staffOnly',
    fields: { email: text('Their e-mail address (their sign-in name).'), displayName: text('Their name shown to people.'), roles: texts('Their staff roles.') },
  },
  'staffMember.rolesChanged': {
    aggregate: 'StaffMember', meaning: 'A staff member\'s roles were replaced.', schemaVersion: 1, audience: 'staffOnly',
    fields: { email: text('Their e-mail address.'), roles: texts('Their roles now.'), previousRoles: texts('Their roles before.') },
  },
  'staffMember.deactivated': {
    aggregate: 'StaffMember', meaning: 'A staff member can no longer act for the lender (no new tokens; sessions ended).', schemaVersion: 1, audience: 'staffOnly',
    fields: { email: text('Their e-mail address.') },
  },
  'staffMember.reactivated': {
    aggregate: 'StaffMember', meaning: 'A deactivated staff member may act for the lender again, with these roles.', schemaVersion: 1, audience: 'staffOnly',
    fields: { email: text('Their e-mail address.'), roles: texts('Their roles.') },
  },

  // Webhook endpoints and deliveries.
  'webhookEndpoint.registered': {
    aggregate: 'WebhookEndpoint', meaning: 'A webhook endpoint was registered.', schemaVersion: 2, audience: 'endpointOwner',
    fields: {
      id: endpointId, partnerCode: text('The owning partner; null for the lender\'s own endpoint.', { nullable: true }),
      url: text('Where deliveries go.'), eventTypes: texts('The event types it receives (exact, prefix.*, or *).'),
    },
  },
  'webhookEndpoint.deactivated': {
    aggregate: 'WebhookEndpoint', meaning: 'An endpoint was deactivated by its owner; its waiting deliveries ended.', schemaVersion: 2, audience: 'endpointOwner', fields: { id: endpointId },
  },
  'webhookEndpoint.enabled': {
    aggregate: 'WebhookEndpoint', meaning: 'A deactivated or disabled endpoint receives deliveries again.', schemaVersion: 2, audience: 'endpointOwner', fields: { id: endpointId },
  },
  'webhookEndpoint.disabled': {
    aggregate: 'WebhookEndpoint', meaning: 'The platform disabled an endpoint that failed without a success for too long.', schemaVersion: 2, audience: 'endpointOwner',
    fields: { id: endpointId, failingSince: dateTime('Its first failure since its last success.'), reason: text('Why, in words.') },
  },
  'webhookEndpoint.secretRotated': {
    aggregate: 'WebhookEndpoint', meaning: 'The endpoint\'s signing secret was replaced.', schemaVersion: 2, audience: 'endpointOwner',
    fields: {
      id: endpointId, secretRotatedAt: dateTime('When.'),
      previousSecretExpiresAt: dateTime('Until when the replaced secret still signs; null when it stopped at once.', { nullable: true }),
    },
  },
  'webhookEndpoint.tested': {
    aggregate: 'WebhookEndpoint', meaning: 'A test delivery was asked for; it goes to that endpoint only.', schemaVersion: 2, audience: 'endpointOwner',
    fields: { id: endpointId, message: text('Says that nothing happened in the books.') },
  },
  'webhookDelivery.replayed': {
    aggregate: 'WebhookDelivery', meaning: 'A delivery was sent again as a new delivery.', schemaVersion: 2, audience: 'endpointOwner',
    fields: { replayOf: id('WebhookDelivery')('The delivery replayed.'), eventId: text('The id of the event delivered again (its webhook-id).') },
  },

  // Applications.
  'application.created': {
    aggregate: 'Application', meaning: 'An application was created (as a draft).', schemaVersion: 2, audience: 'originationPartner',
    fields: {
      applicationId, reference, productCode: text('The product applied for.'), amount: money('The amount asked for.'),
      numberOfRepayments: int('The number of repayments asked for.'), channel: text('How it came: staff, partner or bulk.'), status: text('draft.'),
    },
  },
  'application.updated': {
    aggregate: 'Application', meaning: 'An application was amended.', schemaVersion: 2, audience: 'originationPartner',
    fields: { applicationId, reference, status: text('Its status.'), changed: texts('The fields amended.') },
  },
  'application.submitted': transition('The application was submitted for checks.'),
  'application.checksStarted': transition('Its checks (KYC, bureau, income) were sent to the providers.'),
  'application.checksCompleted': transition('Every check answered; it is decided next.'),
  'application.checkFailed': transition('A check failed or timed out; the checks are retried, not decided on half the facts.'),
  'application.informationRequested': transition('It went back to its submitter to supply what is missing.', {
    missingInformation: texts('What is missing, by field.', { optional: true }),
  }),
  'application.checksRetried': transition('Its checks were asked again.'),
  'application.referred': transition('It was sent to an underwriter.', { decision: decisionField }),
  'application.approved': transition('It was approved; an offer follows (application.offerMade).', { decision: decisionField }),
  'application.declined': transition('It was declined.', { decision: decisionField }),
  'application.withdrawn': transition('The applicant withdrew it.'),
  'application.expired': transition('It lapsed (a draft never submitted, an offer never accepted, missing information never supplied).'),
  'application.offerAccepted': transition('The applicant accepted the offer.', {
    offerId: text('The offer accepted (its database id).'), consentSha256: text('SHA-256 of the consent the applicant gave.'),
  }),
  'application.agreementSigned': transition('The loan agreement was signed.', {
    documents: list({ id: id('ApplicationDocument')('The document.'), kind: text('Its kind.'), sha256: text('SHA-256 of its content.') }, 'SignedDocument')('The signed documents.'),
  }),
  'application.disbursementRequested': transition('Someone asked for the money to be paid out (the maker).'),
  'application.disbursed': transition('The money was paid out and the loan booked (see loan.disbursed).', { loanId: id('Loan')('The loan booked.') }),
  'application.disbursementRejected': transition('The disbursement request was refused (the checker); a corrected one may follow.'),
  'application.checkAnswered': {
    aggregate: 'Application', meaning: 'A provider answered one check (or it timed out).', schemaVersion: 2, audience: 'originationPartner',
    fields: { applicationId, kind: text('kyc, bureau or income.'), status: text('passed, failed, refer, pending, error or timeout.') },
  },
  'application.offerMade': {
    aggregate: 'Application', meaning: 'An offer was made on an approved application.', schemaVersion: 2, audience: 'originationPartner',
    fields: {
      applicationId, offerId: text('The offer (its database id).'), amount: money('The amount offered.'),
      annualRatePercent: decimal('The nominal annual rate, in percent.'), aprPercent: decimal('The annual percentage rate, in percent.'),
      validUntil: date('The last business date it may be accepted.'),
    },
  },
  'application.approvalRecommended': {
    aggregate: 'Application', meaning: 'An underwriter recommended a decision on a referred application; a checker decides it.', schemaVersion: 2, audience: 'originationPartner',
    fields: {
      requestId: id('ApprovalRequest')('The approval request.'), applicationId, recommendation: text('approve or decline.'),
      amount: money('The amount recommended.'), riskGrade: text('The risk grade.', { nullable: true }),
      override: bool('Whether it overrides what the policy would have decided.'),
      overrideGrounds: texts('What the recommendation overrides, when it does.', { optional: true }),
      policyDecisionId: text('The policy decision it confirms or overrides (its database id).'),
    },
  },
  'application.approvalRequestRejected': {
    aggregate: 'Application', meaning: 'The checker rejected a recommendation; the application stays referred.', schemaVersion: 2, audience: 'originationPartner',
    fields: { applicationId, requestId: id('ApprovalRequest')('The approval request.'), recommendation: text('approve or decline.') },
  },
  'application.documentUploaded': {
    aggregate: 'Application', meaning: 'A document was uploaded to an application.', schemaVersion: 2, audience: 'originationPartner',
    fields: {
      documentId: id('ApplicationDocument')('The document.'), applicationId, reference, partyId: id('Party')('Whose document it is (staff may read the party); null when the upload named no party: the main applicant\'s then.', { nullable: true }),
      kind: text('Its kind.'), fileName: text('Its file name.'), contentType: text('Its media type.'), sizeBytes: int('Its size.'), sha256: text('SHA-256 of its content.'),
      duplicateOfAnotherParty: bool('Whether another party (among the applications this receiver may see) holds the same content.'),
    },
  },
  'application.documentReviewed': {
    aggregate: 'Application', meaning: 'A document was verified or rejected.', schemaVersion: 2, audience: 'originationPartner',
    fields: { documentId: id('ApplicationDocument')('The document.'), applicationId, reference, kind: text('Its kind.'), status: text('verified or rejected.'), reason: text('Why it was rejected.', { optional: true }) },
  },

  // Credit policies.
  'creditPolicy.drafted': creditPolicy('A credit policy version was drafted.', { productCode: text('The product\'s code.') }),
  'creditPolicy.activationRequested': creditPolicy('Its activation was asked for (the maker).'),
  'creditPolicy.activationRejected': creditPolicy('Its activation was refused (the checker).', { rejectedBy: actor('Who refused.'), reason: text('Why.') }),
  'creditPolicy.activated': creditPolicy('It became the product\'s active policy.', { replaced: int('The version it replaced.', { nullable: true }) }),
  'creditPolicy.retired': creditPolicy('It was replaced by a newer active version.', { replacedBy: int('The version that replaced it.') }),
  'productPricing.drafted': productPricing('A version of a product\'s pricing was drafted.', { productCode: text('The product\'s code.') }),
  'productPricing.activationRequested': productPricing('Its activation was asked for (the maker).'),
  'productPricing.activationRejected': productPricing('Its activation was refused (the checker).', { rejectedBy: actor('Who refused.'), reason: text('Why.') }),
  'productPricing.activated': productPricing('It became the product\'s active pricing: offers made from now on use it.', { replaced: int('The version it replaced.', { nullable: true }) }),
  'productPricing.retired': productPricing('It was replaced by a newer active version; offers already made keep it.', { replacedBy: int('The version that replaced it.') }),

  // The lender's approval authority matrix.
  'approvalAuthorityMatrix.drafted': authorityMatrix('A version of the approval authority matrix was drafted.'),
  'approvalAuthorityMatrix.activationRequested': authorityMatrix('Its activation was asked for (the maker).'),
  'approvalAuthorityMatrix.activationRejected': authorityMatrix('Its activation was refused (the checker).', { rejectedBy: actor('Who refused.'), reason: text('Why.') }),
  'approvalAuthorityMatrix.activated': authorityMatrix('It became the matrix approvals are checked against.', { replaced: int('The version it replaced.', { nullable: true }) }),
  'approvalAuthorityMatrix.retired': authorityMatrix('It was replaced by a newer active version.', { replacedBy: int('The version that replaced it.') }),
  'checkProviderSettings.drafted': checkProviderSettings('A version of the lender\'s check provider settings was drafted (its secrets are never in the event).'),
  'checkProviderSettings.activationRequested': checkProviderSettings('Its activation was asked for (the maker).'),
  'checkProviderSettings.activationRejected': checkProviderSettings('Its activation was refused (the checker).', { rejectedBy: actor('Who refused.'), reason: text('Why.') }),
  'checkProviderSettings.activated': checkProviderSettings('It became the providers the lender\'s checks go to.', { replaced: int('The version it replaced.', { nullable: true }) }),
  'checkProviderSettings.retired': checkProviderSettings('It was replaced by a newer active version.', { replacedBy: int('The version that replaced it.') }),

  // Product document checklists.
  'productDocumentChecklist.changed': {
    aggregate: 'ProductDocumentChecklist', meaning: 'A product\'s document checklist was set: a new version, for applications created from now on.', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      productCode: text('The product\'s code.'), version: int('The new version.'), previousVersion: int('The version it follows, if one was set before.', { nullable: true }),
      items: list({ kind: text('The kind of document.'), required: bool('Whether disbursement waits for it.'), description: text('What it is.') }, 'ChecklistItem')('The kinds of document it asks for.'),
      createdBy: actor('Who set it (subject).'),
    },
  },

  // Loans.
  'loan.disbursed': {
    aggregate: 'Loan', meaning: 'A loan was booked and its money paid out.', schemaVersion: 2, audience: 'originationPartner',
    fields: {
      loanId, productCode: text('The product.'), productVersion: int('The product version whose terms it keeps.'), principal: money('The principal lent.'),
      disbursementDate: date('When it was paid out.'), numberOfRepayments: int('Its number of repayments.'), status: text('Its status.'),
      approvedPrincipal: money('Paid out in tranches: what the loan is approved for (`principal` is the first tranche, paid now).', { optional: true }),
      tranches: int('Paid out in tranches: how many the plan has.', { optional: true }),
      originationPartner: text('The partner that brought it.', { nullable: true }),
      applicationId: id('Application')('The application it came from.', { optional: true }),
      decisionId: text('The decision it rests on (its database id).', { optional: true, nullable: true }),
      offerId: text('The offer it was booked on (its database id).', { optional: true, nullable: true }),
      netDisbursement: money('What was paid out, after fees deducted.'),
    },
  },
  'loan.repaymentPosted': loanTransaction('A repayment was posted.'),
  'loan.prepaymentPosted': loanTransaction('A prepayment was posted.'),
  'loan.paidOff': loanTransaction('A payoff was posted.'),
  'loan.excessRefunded': loanTransaction('Money held in excess was refunded to the borrower.'),
  'loan.transactionReversed': loanTransaction('A transaction was reversed; what followed was replayed.'),
  'loan.chargeApplied': loanTransaction('A charge (fee or penalty) was applied.'),
  'loan.chargeWaived': loanTransaction('A charge was waived.'),
  'loan.trancheDisbursed': loanTransaction('A later tranche of a loan approved in tranches was paid out; the instalments still to come were regenerated.'),
  'loan.writtenOff': loanTransaction('A loan was written off: in full (no amount; the loan is written off and money received after it is a recovery) or in part (an amount of one component).'),
  'loan.statusChanged': {
    aggregate: 'Loan', meaning: 'The loan\'s status moved (e.g. active to overdue, to closed).', schemaVersion: 2, audience: 'originationPartner',
    fields: { loanId, from: text('The status it left.'), to: text('Its status now.'), daysPastDue: int('Its days past due.') },
  },
  'loan.waiverRequested': {
    aggregate: 'Loan', meaning: 'A waiver was asked for (the maker).', schemaVersion: 2, audience: 'originationPartner',
    fields: {
      requestId: id('LoanWaiverRequest')('The waiver request.'), loanId, component: text('What is waived: interest, fee or penalty.'), amount: money('How much.'),
      instalment: int('The instalment, when one.', { nullable: true }), valueDate: date('When it takes effect.'), reason: text('Why.'),
    },
  },
  'loan.waiverApproved': {
    aggregate: 'Loan', meaning: 'A waiver was approved (the checker) and posted.', schemaVersion: 2, audience: 'originationPartner',
    fields: { requestId: id('LoanWaiverRequest')('The waiver request.'), transactionId: id('LoanTransaction')('The waiver posted.', { nullable: true }) },
  },
  'loan.restructured': loanTransaction('A loan was restructured: new terms from its value date (arrears capitalised or left due, a rate, a number of instalments, a payment holiday); the instalments still to come were regenerated.'),
  'loan.restructureRequested': {
    aggregate: 'Loan', meaning: 'A restructure was asked for (the maker); nothing changes until another person approves it.', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      requestId: id('LoanRestructureRequest')('The restructure request.'), loanId, valueDate: date('When the new terms start.'),
      capitaliseArrears: bool('Whether the arrears become principal of the new schedule.'),
      annualRatePercent: text('The new annual rate; absent when unchanged.', { optional: true }),
      instalments: int('The number of instalments after it; absent when unchanged.', { optional: true }),
      holidayPeriods: int('Whole repayment periods with nothing due before the first new instalment; absent for none.', { optional: true }),
      holidayInterest: text('accrue or waive: the holiday\'s interest; absent without a holiday.', { optional: true }),
      reason: text('Why.'), requestedBy: actor('Who asked (subject).'),
    },
  },
  'loan.restructureApproved': {
    aggregate: 'Loan', meaning: 'A restructure was approved (the checker) and posted.', schemaVersion: 1, audience: 'staffOnly',
    fields: { requestId: id('LoanRestructureRequest')('The restructure request.'), loanId, transactionId: id('LoanTransaction')('The restructure posted.') },
  },
  'loan.restructureRejected': {
    aggregate: 'Loan', meaning: 'A restructure was rejected (the checker).', schemaVersion: 1, audience: 'staffOnly',
    fields: { requestId: id('LoanRestructureRequest')('The restructure request.'), loanId, reason: text('Why, as the checker said.', { nullable: true }) },
  },
  'loan.coLendingShareChanged': {
    aggregate: 'Loan', meaning: 'A posting moved a co-lending partner\'s money in a loan it has a share of: what it is owed from collections, or its share of the principal still lent (a correction of a backdated payment or a reversal moves them back).', schemaVersion: 1, audience: 'thePartner',
    fields: {
      loanId, partnerCode: text('The co-lending partner.'),
      collected: money('The change in what the lender owes it from this loan\'s collections (negative for a correction).'),
      principal: money('The change in its share of the principal still lent (up when it funds, down as principal is collected or written off).'),
      status: text('The loan\'s status after the posting.'), daysPastDue: int('The loan\'s days past due after the posting.'),
    },
  },
  'coLendingSettlement.posted': {
    aggregate: 'CoLendingSettlement', meaning: 'The lender settled with a co-lending partner: what it owed it from collections valued through a date, and corrections of earlier periods, paid by one journal (end of day T+N, or finance by hand).', schemaVersion: 1, audience: 'thePartner',
    fields: {
      settlementId: id('CoLendingSettlement')('The settlement.'), partnerCode: text('The co-lending partner.'), number: int('The partner\'s settlements numbered from 1.'),
      through: date('Collections valued up to this date are in it.'), amount: money('What was paid.'),
      collections: money('The partner\'s parts of collections in the period.'), adjustments: money('Corrections of periods already settled (negative when money was taken back).'),
    },
  },
  'loanParticipation.repurchased': {
    aggregate: 'LoanParticipation', meaning: 'The lender bought a co-lending partner\'s share of a defaulted loan back under the default loss guarantee: its principal then is owed to it (paid in its next settlement) and nothing more of the loan is shared with it.', schemaVersion: 1, audience: 'thePartner',
    fields: {
      participationId: id('LoanParticipation')('The share.'), loanId, partnerCode: text('The co-lending partner.'),
      paid: money('What the guarantee paid: the share\'s principal on the day.'), daysPastDue: int('The loan\'s days past due that day.'),
    },
  },
  'originationCommission.accrued': {
    aggregate: 'OriginationCommission', meaning: 'A loan the origination partner brought was booked: its commission by the partner\'s rule was accrued to its payable.', schemaVersion: 1, audience: 'thePartner',
    fields: {
      commissionId: id('OriginationCommission')('The commission.'), loanId, partnerCode: text('The origination partner.'),
      amount: money('The commission.'), clawbackDays: int('It is clawed back if the loan is closed within this many days of its disbursement.'),
    },
  },
  'originationCommission.reclaimed': {
    aggregate: 'OriginationCommission', meaning: 'The loan was closed within the clawback days of its disbursement: its commission was taken back from the partner\'s payable.', schemaVersion: 1, audience: 'thePartner',
    fields: { commissionId: id('OriginationCommission')('The commission.'), loanId, partnerCode: text('The origination partner.'), amount: money('What was taken back.') },
  },
  'loanParticipation.assigned': {
    aggregate: 'LoanParticipation', meaning: 'A co-lending partner took its share of a loan under an arrangement; it funds its share of the principal owed from `from` and is paid its parts of what is collected from then on.', schemaVersion: 1, audience: 'thePartner',
    fields: {
      participationId: id('LoanParticipation')('The participation.'), loanId, partnerCode: text('The co-lending partner.'),
      arrangementId: id('CoLendingArrangement')('The arrangement it was taken under.'), version: int('The arrangement\'s version it keeps.'),
      sharePercent: decimal('Its share of the loan\'s principal.'), from: date('The business date its share counts from.'),
      funded: money('Its share of the principal owed on that date: what it funds.'),
    },
  },
  'coLendingArrangement.proposed': {
    aggregate: 'CoLendingArrangement', meaning: 'Terms for a co-lending arrangement were proposed (the maker); nothing is in force until another person approves them.', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      arrangementId: id('CoLendingArrangement')('The arrangement.'), partnerCode: text('The co-lending partner.'), version: int('The version proposed.'),
      proposedBy: actor('Who proposed it (subject).'),
    },
  },
  'coLendingArrangement.approved': {
    aggregate: 'CoLendingArrangement', meaning: 'A version of a co-lending arrangement was approved and is in force; the version before it is superseded (loans keep the version they were assigned under).', schemaVersion: 1, audience: 'thePartner',
    fields: {
      arrangementId: id('CoLendingArrangement')('The arrangement.'), partnerCode: text('The co-lending partner.'), version: int('The version now in force.'),
      reason: text('The checker\'s note.', { nullable: true }),
    },
  },
  'coLendingArrangement.rejected': {
    aggregate: 'CoLendingArrangement', meaning: 'A proposed version of a co-lending arrangement was rejected; the version in force (if any) stays.', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      arrangementId: id('CoLendingArrangement')('The arrangement.'), partnerCode: text('The co-lending partner.'), version: int('The version rejected.'),
      reason: text('Why.', { nullable: true }),
    },
  },
  'loan.writeOffRequested': {
    aggregate: 'Loan', meaning: 'A write-off was asked for (the maker); nothing moves until another person approves it.', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      requestId: id('LoanWriteOffRequest')('The write-off request.'), loanId,
      component: text('What is written off in part: principal, interest, fee or penalty; null for a write-off in full.', { nullable: true }),
      amount: money('How much, in part; null for a write-off in full.', { nullable: true }), valueDate: date('When it takes effect.'), reason: text('Why.'),
      requestedBy: actor('Who asked (subject), or the rule that did.'),
    },
  },
  'loan.writeOffApproved': {
    aggregate: 'Loan', meaning: 'A write-off was approved (the checker) and posted.', schemaVersion: 1, audience: 'staffOnly',
    fields: { requestId: id('LoanWriteOffRequest')('The write-off request.'), loanId, transactionId: id('LoanTransaction')('The write-off posted.') },
  },
  'loan.writeOffRejected': {
    aggregate: 'Loan', meaning: 'A write-off was rejected (the checker).', schemaVersion: 1, audience: 'staffOnly',
    fields: { requestId: id('LoanWriteOffRequest')('The write-off request.'), loanId, reason: text('Why, as the checker said.', { nullable: true }) },
  },
  'loan.waiverRejected': {
    aggregate: 'Loan', meaning: 'A waiver was rejected (the checker).', schemaVersion: 2, audience: 'originationPartner',
    fields: { requestId: id('LoanWaiverRequest')('The waiver request.'), transactionId: id('LoanTransaction')('Always null.', { nullable: true }) },
  },

  // End of day (src/services/endOfDay/events.ts): what a run changed, coalesced, so a million loans moving send a
  // few thousand events, not a million.
  'loan.instalmentsFellDue': {
    aggregate: 'Loan', batch: true, schemaVersion: 2, audience: 'loanPartners',
    meaning: 'End of day: the listed loans (up to 500, all of one partner\'s — brought by the same origination partner or shared with the same co-lending partner — or all the lender\'s own) each had an instalment fall due on the business date.',
    fields: {
      businessDate: date('The business date the instalments fell due on.'),
      loans: list({
        loan: id('Loan')('The loan.'),
        daysPastDue: int('Its days past due once end of day brought it to the date.'),
      }, 'LoanInstalmentFellDue')('The loans, in no meaningful order.'),
    },
  },
  'loan.delinquencyChanged': {
    aggregate: 'Loan', batch: true, schemaVersion: 2, audience: 'loanPartners',
    meaning: 'End of day: the listed loans (up to 500, all of one partner\'s — brought by the same origination partner or shared with the same co-lending partner — or all the lender\'s own) moved to another delinquency bucket or asset class on the business date.',
    fields: {
      businessDate: date('The business date of the change.'),
      loans: list({
        loan: id('Loan')('The loan.'),
        daysPastDue: int('Its days past due on the business date.'),
        bucketBefore: text('The delinquency bucket it was in; null before it had one.', { nullable: true }),
        bucketAfter: text('The delinquency bucket it is in now.', { nullable: true }),
        classBefore: text('The asset class it carried (e.g. STANDARD, SUBSTANDARD).'),
        classAfter: text('The asset class it carries now.'),
      }, 'LoanDelinquencyChange')('The loans that changed, in no meaningful order.'),
    },
  },

  // Products and the ledger.
  'loanProduct.revised': {
    aggregate: 'LoanProduct', meaning: 'A product got a new version of its terms (new loans only).', schemaVersion: 2, audience: 'staffOnly',
    fields: { code: text('The product\'s code.'), version: int('The new version.') },
  },
  'loanProduct.created': {
    aggregate: 'LoanProduct', meaning: 'A lender created a product with its first version of terms.', schemaVersion: 2, audience: 'staffOnly',
    fields: { code: text('The product\'s code.'), version: int('Its first version, 1.') },
  },
  'loanProduct.cloned': {
    aggregate: 'LoanProduct', meaning: 'A lender created a product from another product\'s current version.', schemaVersion: 2, audience: 'staffOnly',
    fields: { code: text('The new product\'s code.'), fromCode: text('The product it was cloned from.'), fromVersion: int('The version of that product it copied.') },
  },
  'loanProduct.retired': {
    aggregate: 'LoanProduct', meaning: 'A product stopped taking new applications and bookings; loans booked on it carry on.', schemaVersion: 2, audience: 'staffOnly',
    fields: { code: text('The product\'s code.') },
  },
  'loanProduct.accountMapped': {
    aggregate: 'LoanProduct', meaning: 'A product\'s posting role was mapped to a ledger account.', schemaVersion: 2, audience: 'staffOnly',
    fields: { code: text('The product\'s code.'), role: text('The posting role.'), account: text('The ledger account\'s code.') },
  },
  'loanProduct.delinquencyBucketsChanged': {
    aggregate: 'LoanProduct', meaning: 'A product was given delinquency buckets of its own, or set back to the policy\'s (applied from the next end of day).', schemaVersion: 1, audience: 'staffOnly',
    fields: { code: text('The product\'s code.'), buckets: { ...list(bucketFields, 'DelinquencyBucket')('Its own buckets; null when it follows the delinquency policy\'s.'), nullable: true } },
  },
  'delinquencyPolicy.changed': {
    aggregate: 'DelinquencyPolicy', meaning: 'The lender changed its delinquency policy: buckets, regulatory regime, parameters, provisions (a new version, applied from the next end of day; docs/classification.md).', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      version: int('The new version.'), previousVersion: int('The version it replaces; 0 for the default.'),
      regime: text('RBI_IRAC or US_CHARGE_OFF.'),
      buckets: list(bucketFields, 'DelinquencyBucket')('The buckets by days past due, from 0 upwards.'),
      parameters: object({
        sma1AfterDays: int('RBI_IRAC: SMA_1 when days past due are more than this.', { optional: true }),
        sma2AfterDays: int('RBI_IRAC: SMA_2 when days past due are more than this.', { optional: true }),
        npaAfterDays: int('RBI_IRAC: non-performing when days past due are more than this.', { optional: true }),
        doubtfulAfterMonths: int('RBI_IRAC: DOUBTFUL_1 after this many whole months as NPA.', { optional: true }),
        doubtful2AfterMonths: int('RBI_IRAC: DOUBTFUL_2 after this many whole months as NPA.', { optional: true }),
        doubtful3AfterMonths: int('RBI_IRAC: DOUBTFUL_3 after this many whole months as NPA.', { optional: true }),
        lossAfterMonths: int('RBI_IRAC: LOSS after this many whole months as NPA; null for never by age.', { optional: true, nullable: true }),
        substandardAfterDays: int('US_CHARGE_OFF: SUBSTANDARD from this many days past due.', { optional: true }),
        chargeOffAfterDays: int('US_CHARGE_OFF: LOSS (charge-off due) from this many days past due.', { optional: true }),
        nonAccrualAfterDays: int('US_CHARGE_OFF: non-accrual from this many days past due.', { optional: true }),
        borrowerLevel: bool('Whether a borrower\'s loans carry its worst class.'),
      }, 'ClassificationParameters')('The regime\'s parameters.'),
      provisions: list({ assetClass: text('The class.'), percent: decimal('Percent of the exposure provided.') }, 'ClassProvision')('The provision rate of each class of the regime.'),
      changedBy: actor('Who changed it (subject).'),
    },
  },
  'chargeOffRule.changed': {
    aggregate: 'ChargeOffRule', meaning: 'The lender set when end of day writes a product\'s loans (or by default) off in full; applied from the next end of day (docs/write-off.md).', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      productCode: text('The product; null for the lender\'s default rule.', { nullable: true }),
      atDaysPastDue: int('A loan is charged off when its days past due reach this; null for never.', { nullable: true }),
      setBy: actor('Who set it (subject).'),
    },
  },
  'collectionRule.changed': {
    aggregate: 'CollectionRule', meaning: 'The lender set when end of day opens a collection case on a product\'s loans (or by default) and which collectors work it; applied from the next end of day (docs/collections.md).', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      productCode: text('The product; null for the lender\'s default rule.', { nullable: true }),
      openAtDays: int('A case opens when a loan\'s days past due reach this.'),
      collectors: list({ bucket: text('The delinquency bucket; null for a case in any other bucket.', { nullable: true }), staffMembers: texts('The collectors (StaffMember ids), in turn order.') }, 'CollectorGroup')('Who works the cases, by bucket.'),
      setBy: actor('Who set it (subject).'),
    },
  },
  'collectionCase.opened': {
    aggregate: 'CollectionCase', batch: true, schemaVersion: 1, audience: 'staffOnly',
    meaning: 'End of day opened collection cases (up to 500 per event) on loans whose days past due reached their rule\'s threshold.',
    fields: {
      businessDate: date('The business date.'),
      cases: list({
        case: id('CollectionCase')('The case.'), loan: id('Loan')('The loan.'), daysPastDue: int('Its days past due.'),
        bucket: text('Its delinquency bucket.', { nullable: true }), assignedTo: id('StaffMember')('The collector it was given to; null when its rule names none.', { nullable: true }),
      }, 'CollectionCaseOpened')('The cases opened.'),
    },
  },
  'collectionCase.reassigned': {
    aggregate: 'CollectionCase', batch: true, schemaVersion: 1, audience: 'staffOnly',
    meaning: 'End of day gave open cases (up to 500 per event) to a collector by their rule — cases whose loan rolled into a bucket other collectors work, or whose collector may no longer work cases — or, when the rule names nobody, took them from a collector who may no longer work them.',
    fields: {
      businessDate: date('The business date.'),
      cases: list({
        case: id('CollectionCase')('The case.'), loan: id('Loan')('The loan.'), bucket: text('Its loan\'s delinquency bucket.', { nullable: true }),
        assignedTo: id('StaffMember')('The collector it went to; null for nobody.', { nullable: true }), previouslyAssignedTo: id('StaffMember')('Who had it; null for nobody.', { nullable: true }),
      }, 'CollectionCaseReassigned')('The cases given to another collector.'),
    },
  },
  'collectionCase.closed': {
    aggregate: 'CollectionCase', batch: true, schemaVersion: 1, audience: 'staffOnly',
    meaning: 'End of day closed collection cases (up to 500 per event): the loan was cured (nothing past due) or is no longer active.',
    fields: {
      businessDate: date('The business date.'),
      cases: list({ case: id('CollectionCase')('The case.'), loan: id('Loan')('The loan.'), reason: text('CURED, LOAN_CLOSED or WRITTEN_OFF.') }, 'CollectionCaseClosed')('The cases closed.'),
    },
  },
  'collectionCase.assigned': {
    aggregate: 'CollectionCase', meaning: 'A supervisor gave a case to a collector (or took it from one).', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      loan: id('Loan')('The loan.'), assignedTo: id('StaffMember')('The collector; null when taken from everyone.', { nullable: true }),
      previouslyAssignedTo: id('StaffMember')('Who had it; null for nobody.', { nullable: true }), assignedBy: actor('Who assigned it (subject).'),
    },
  },
  'collectionCase.activityLogged': {
    aggregate: 'CollectionCase', meaning: 'A collector logged a call, visit, message or note on a case (the note itself is read on the case\'s timeline).', schemaVersion: 1, audience: 'staffOnly',
    fields: { loan: id('Loan')('The loan.'), channel: text('CALL, VISIT, MESSAGE or NOTE.'), outcome: text('What came of it.'), loggedBy: actor('Who logged it (subject).') },
  },
  'promiseToPay.recorded': {
    aggregate: 'PromiseToPay', meaning: 'A borrower promised to pay an amount by a date, recorded on a collection case (judged by end of day).', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      case: id('CollectionCase')('The case.'), loan: id('Loan')('The loan.'), amount: money('What was promised.'), promisedDate: date('By when.'),
      replaced: id('PromiseToPay')('The pending promise this one replaced; null when none.', { nullable: true }), recordedBy: actor('Who recorded it (subject).'),
    },
  },
  'promiseToPay.judged': {
    aggregate: 'PromiseToPay', batch: true, schemaVersion: 1, audience: 'staffOnly',
    meaning: 'End of day judged promises to pay (up to 500 per event) from the payments that arrived: kept once they reach the amount, broken when the promised date ended short of it.',
    fields: {
      businessDate: date('The business date.'),
      promises: list({
        promise: id('PromiseToPay')('The promise.'), case: id('CollectionCase')('Its case.'), loan: id('Loan')('The loan.'), outcome: text('KEPT or BROKEN.'),
        promisedDate: date('By when it was promised.'), amount: money('What was promised.'), paid: money('What had arrived towards it.'),
        escalationLevel: int('The case\'s escalation level after a broken promise raised it; null when kept or the case is closed.', { nullable: true }),
      }, 'PromiseToPayJudged')('The promises judged.'),
    },
  },
  'reminderRules.changed': {
    aggregate: 'ReminderRules', meaning: 'The lender replaced its reminder rules and quiet hours (applied from the next end of day; docs/reminders.md).', schemaVersion: 1, audience: 'staffOnly',
    fields: { quietHoursStart: text('HH:MM, in the borrower\'s time zone.'), quietHoursEnd: text('HH:MM.'), rules: int('How many rules there are now.'), changedBy: actor('Who changed them (subject).') },
  },
  'party.contactPreferencesChanged': {
    aggregate: 'Party', meaning: 'A borrower\'s time zone or the channels they opted out of were recorded.', schemaVersion: 1, audience: 'staffOnly',
    fields: { timeZone: text('Their time zone; null for the lender\'s.', { nullable: true }), optedOutChannels: texts('SMS, EMAIL: channels no message goes on.'), changedBy: actor('Who recorded it (subject).') },
  },
  'loanMessage.dispatched': {
    aggregate: 'LoanMessage', meaning: 'A reminder was handed to the notification provider, outside the borrower\'s quiet hours.', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      loan: id('Loan')('The loan.'), trigger: text('BEFORE_DUE or PAST_DUE.'), days: int('Days before the due date, or days past due.'),
      dueDate: date('The instalment\'s due date (PAST_DUE: the oldest unpaid one).'), channel: text('SMS or EMAIL.'),
      destination: text('Where it went, masked; null when the borrower has no address for the channel.', { nullable: true }),
      providerReference: text('The provider\'s reference for it.'),
    },
  },
  'loanMessage.suppressed': {
    aggregate: 'LoanMessage', meaning: 'A reminder was kept but not sent: the borrower opted out of its channel, has no address on it, or the loan was no longer behind or active when it was due to go.', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      loan: id('Loan')('The loan.'), trigger: text('BEFORE_DUE or PAST_DUE.'), days: int('Days before the due date, or days past due.'),
      dueDate: date('The instalment\'s due date (PAST_DUE: the oldest unpaid one).'), channel: text('SMS or EMAIL.'),
      destination: text('Where it went, masked; null when the borrower has no address for the channel.', { nullable: true }),
      reason: text('optedOut, noContact or loanNotDue.'),
    },
  },
  'loanMessage.failed': {
    aggregate: 'LoanMessage', meaning: 'The notification provider refused a reminder five times; it is not tried again.', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      loan: id('Loan')('The loan.'), trigger: text('BEFORE_DUE or PAST_DUE.'), days: int('Days before the due date, or days past due.'),
      dueDate: date('The instalment\'s due date (PAST_DUE: the oldest unpaid one).'), channel: text('SMS or EMAIL.'),
      destination: text('Where it went, masked; null when the borrower has no address for the channel.', { nullable: true }),
      reason: text('providerFailed.'),
    },
  },
  'debitSettings.changed': {
    aggregate: 'DebitSettings', meaning: 'The lender set who it is in the ACH network and its return fee (docs/auto-debit.md).', schemaVersion: 1, audience: 'staffOnly',
    fields: { companyName: text('The company name borrowers\' statements show.'), odfiRouting: text('The routing number of the lender\'s bank.'), returnFee: money('The default fee for a debit returned R01 or R09.'), changedBy: actor('Who set it (subject).') },
  },
  'debitMandate.registered': {
    aggregate: 'DebitMandate', meaning: 'A borrower authorised debits of a bank account for a loan\'s instalments.', schemaVersion: 1, audience: 'staffOnly',
    fields: { loan: id('Loan')('The loan.'), routingNumber: text('The bank\'s routing number.'), accountLast4: text('The account number\'s last four digits.'), accountType: text('CHECKING or SAVINGS.') },
  },
  'debitMandate.revoked': {
    aggregate: 'DebitMandate', meaning: 'A mandate ended: revoked by staff, or by a return R02, R03 or R04.', schemaVersion: 1, audience: 'staffOnly',
    fields: { loan: id('Loan')('The loan.'), reason: text('Why.'), returnCode: text('The return that ended it; null when staff revoked it.', { nullable: true }) },
  },
  'debitPresentment.returned': {
    aggregate: 'DebitPresentment', meaning: 'The bank returned a debit: its repayment was reversed from the day it was presented, a fee charged for R01/R09.', schemaVersion: 1, audience: 'staffOnly',
    fields: {
      loan: id('Loan')('The loan.'), returnCode: text('The R-code (R01 insufficient funds, R09 uncollected funds, R02 account closed, R03 no account, R04 invalid account number, …).'),
      amount: money('The debit returned.'), attempt: int('Which presentment of the instalment it was (1, 2 or 3).'), presentedOn: date('When it was presented.'),
      presentedAgain: bool('Whether end of day will present it again: R01/R09, tries and days left, the mandate active (and the loan still behind then).'), feeCharged: money('The return fee charged; null when none.', { nullable: true }),
    },
  },
  'ledgerAccount.opened': {
    aggregate: 'LedgerAccount', meaning: 'A ledger account was opened.', schemaVersion: 2, audience: 'staffOnly',
    fields: { code: text('Its code.'), name: text('Its name.'), kind: text('asset, liability, equity, income or expense.') },
  },
};

/** The application event a transition emits: `submit` → `application.submitted`, `accept_offer` → `application.offerAccepted`. */
export const APPLICATION_TRANSITION_EVENT: Readonly<Record<string, string>> = {
  submit: 'application.submitted', start_checks: 'application.checksStarted', checks_complete: 'application.checksCompleted',
  check_failed: 'application.checkFailed', request_information: 'application.informationRequested', retry_checks: 'application.checksRetried',
  refer: 'application.referred', approve: 'application.approved', decline: 'application.declined', withdraw: 'application.withdrawn',
  expire: 'application.expired', accept_offer: 'application.offerAccepted', sign_agreement: 'application.agreementSigned',
  request_disbursement: 'application.disbursementRequested', disburse: 'application.disbursed', reject_disbursement: 'application.disbursementRejected',
};

/**
 * An event as it is stored and sent: its type checked against the catalogue, its aggregate id and payload in
 * the API's form, and its type's schema version. Throws for a type or field the catalogue does not name, so
 * the contract cannot drift from what is emitted.
 */
export function writtenEvent(type: string, aggregateType: string, aggregateId: string, payload: Record<string, unknown>): { aggregateId: string; payload: Record<string, unknown>; schemaVersion: number } {
  const entry = EVENT_CATALOGUE[type];
  if (!entry) throw new EventContractError(`event type ${type} is not in the event catalogue (src/events/catalogue.ts)`);
  if (entry.aggregate !== aggregateType) throw new EventContractError(`event type ${type} happens to ${entry.aggregate}, not ${aggregateType}`);
  return { aggregateId: entry.batch ? aggregateId : globalIdOf(aggregateType, aggregateId), payload: writeFields(entry.fields, payload, type), schemaVersion: entry.schemaVersion };
}

/**
 * A stored payload as its reader receives it: the lender's staff as it was written; a partner with its actor fields
 * through actorShownTo (src/domain/actors.ts), the lender's staff in them as `lender`. A partner receives events as a
 * whole — its webhook endpoints hold no token, and its live subscribers share one answer — so its reader carries no
 * subject, and the one actor field events partners receive hold (an underwriter's `recommendedBy`) is always staff's.
 */
export function payloadShownTo(type: string, payload: unknown, reader: ActorReader): unknown {
  if (reader.partner === null) return payload;
  const entry = EVENT_CATALOGUE[type];
  // A type the catalogue no longer names (stored before a rename) is shown by its field names: every field the
  // catalogue marks as an actor is named `…By`, so a partner never receives a name the rule did not look at.
  if (!entry) return namedActorsShownTo(payload, reader);
  return TYPES_WITH_ACTORS.has(type) ? fieldsShownTo(entry.fields, payload, reader) : payload;
}

const holdsActor = (fields: Readonly<Record<string, FieldSpec>>): boolean =>
  Object.values(fields).some((field) => field.actor || (field.items !== undefined && holdsActor(field.items)));

/** The types with an actor field anywhere in their payload: every other payload reaches a partner as stored, uncopied. */
const TYPES_WITH_ACTORS: ReadonlySet<string> = new Set(Object.entries(EVENT_CATALOGUE).filter(([, entry]) => holdsActor(entry.fields)).map(([type]) => type));

function fieldsShownTo(fields: Readonly<Record<string, FieldSpec>>, value: unknown, reader: ActorReader): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const shown: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, field] of Object.entries(fields)) {
    const v = shown[name];
    if (field.actor && typeof v === 'string') shown[name] = actorShownTo(v, reader);
    else if (field.items && holdsActor(field.items) && Array.isArray(v)) shown[name] = v.map((item) => fieldsShownTo(field.items!, item, reader));
    else if (field.items && holdsActor(field.items)) shown[name] = fieldsShownTo(field.items, v, reader);
  }
  return shown;
}

function namedActorsShownTo(value: unknown, reader: ActorReader): unknown {
  if (Array.isArray(value)) return value.map((item) => namedActorsShownTo(item, reader));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, name.endsWith('By') && typeof v === 'string' ? actorShownTo(v, reader) : namedActorsShownTo(v, reader)]));
}

/** Whether an endpoint's or a filter's pattern names something the catalogue has: a type, `aggregate.*`, or `*`. */
export function namesCataloguedTypes(pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return Object.keys(EVENT_CATALOGUE).some((type) => type.startsWith(pattern.slice(0, -1)));
  return pattern in EVENT_CATALOGUE;
}

/** The kinds of aggregate events happen to (the envelope's `aggregateType`), sorted. */
export const CATALOGUED_AGGREGATES: readonly string[] = [...new Set(Object.values(EVENT_CATALOGUE).map((spec) => spec.aggregate))].sort();

/**
 * The aggregate a global id names, when it is one events can be about (`aggregateId` filters): its type, or null
 * when the text is no global id of such an aggregate (a database id, a mistyped id).
 */
export function cataloguedAggregateOf(globalId: string): string | null {
  const typename = decodeGlobalId(globalId)?.typename;
  return typename !== undefined && CATALOGUED_AGGREGATES.includes(typename) ? typename : null;
}
