/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Where an application stands (docs/origination-rules.md has the transition table). */
export type ApplicationStatus =
  /** The application is agreement signed. */
  | 'AGREEMENT_SIGNED'
  /** The application is approved. */
  | 'APPROVED'
  /** The application is checks failed. */
  | 'CHECKS_FAILED'
  /** The application is declined. */
  | 'DECLINED'
  /** The application is disbursed. */
  | 'DISBURSED'
  /** The application is disbursement requested. */
  | 'DISBURSEMENT_REQUESTED'
  /** The application is draft. */
  | 'DRAFT'
  /** The application is expired. */
  | 'EXPIRED'
  /** The application is information requested. */
  | 'INFORMATION_REQUESTED'
  /** The application is offer accepted. */
  | 'OFFER_ACCEPTED'
  /** The application is referred. */
  | 'REFERRED'
  /** The application is submitted. */
  | 'SUBMITTED'
  /** The application is under checks. */
  | 'UNDER_CHECKS'
  /** The application is under review. */
  | 'UNDER_REVIEW'
  /** The application is withdrawn. */
  | 'WITHDRAWN';

/** A new application, checked against the product before anything is written. */
export type CreateApplicationInput = {
  /** Within the product's limits. */
  amount: string;
  /** The main applicant. */
  applicant: PartyIntakeInput;
  /** Co-applicants. */
  coApplicants?: Array<PartyIntakeInput> | null | undefined;
  /** The applicant's declared monthly income. */
  declaredMonthlyIncome?: string | null | undefined;
  /** The applicant's employer (income verification). */
  employer?: string | null | undefined;
  /** The partner's or lender's own reference. */
  externalReference?: string | null | undefined;
  /** Guarantors. */
  guarantors?: Array<PartyIntakeInput> | null | undefined;
  /** Repeat with the same key to get the same application, never a second one. */
  idempotencyKey?: string | null | undefined;
  /** What the applicant already pays on debts each month. */
  monthlyDebtPayments?: string | null | undefined;
  /** Within the product's tenor. */
  numberOfRepayments: number;
  /** The product. */
  productCode: string;
  /** What the money is for. */
  purpose: string;
  /** Submit at once (a draft otherwise). */
  submit?: boolean | null | undefined;
};

/** Which endpoint. */
export type DeactivateWebhookEndpointInput = {
  /** The endpoint (required unless the deprecated `id` is given). */
  endpointId?: string | number | null | undefined;
  /**
   * The endpoint, by the name first given to it.
   * @deprecated Use `endpointId`, as every other mutation on an endpoint does; give one of the two, never both.
   */
  id?: string | number | null | undefined;
};

/** The documented error codes (docs/errors.md), the same in user errors and in GraphQL errors' `extensions.code`. */
export type ErrorCode =
  /** An input field's value is refused; `field` names it. */
  | 'BAD_USER_INPUT'
  /** The object's state does not allow this now (already decided, closed, changed meanwhile). */
  | 'CONFLICT'
  /** The caller may not do this (as a user error: a four-eyes or authority rule refused it). */
  | 'FORBIDDEN'
  /** Our fault; quote the correlation id. */
  | 'INTERNAL'
  /** Nothing the caller may see has that id or code (as a user error: the input field names it). */
  | 'NOT_FOUND'
  /** A budget is spent; retry later. */
  | 'RATE_LIMITED'
  /** The lender's data is being brought up to this version; retry after `retryAfter` seconds. */
  | 'TENANT_MIGRATING'
  /** The lender is suspended. */
  | 'TENANT_SUSPENDED'
  /** No valid token was given. */
  | 'UNAUTHENTICATED';

/** Which of several failures behind one code this is (docs/errors.md explains each), so a client can act on it. */
export type ErrorReason =
  /** Comes with CONFLICT (docs/errors.md). */
  | 'APPLICATION_CLOSED'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'APPROVAL_PENDING'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'BAD_REQUEST'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'BAD_VARIABLES'
  /** Comes with FORBIDDEN (docs/errors.md). */
  | 'BEYOND_AUTHORITY'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'DOCUMENTS_MISSING'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'EMAIL_AT_ANOTHER_LENDER'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'END_OF_DAY_FAILED'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'GRAPHQL_PARSE_FAILED'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'GRAPHQL_VALIDATION_FAILED'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'ILLEGAL_TRANSITION'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'INTROSPECTION_DISABLED'
  /** Comes with FORBIDDEN (docs/errors.md). */
  | 'MAKER_IS_CHECKER'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'MISSING_INFORMATION'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'NOT_AMENDABLE'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'NOT_BOOKABLE'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'NOT_REFERRED'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'NOT_REVIEWABLE'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'NO_ACTIVE_PRICING'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'NO_AUTHORITY_MATRIX'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'NO_OFFER_POSSIBLE'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'OPERATION_RESOLUTION_FAILURE'
  /** Comes with FORBIDDEN (docs/errors.md). */
  | 'ORIGIN_NOT_ALLOWED'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'PERSISTED_QUERY_HASH_MISMATCH'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'PERSISTED_QUERY_VERSION_UNSUPPORTED'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'PRODUCTION_TENANT'
  /** Comes with CONFLICT (docs/errors.md). */
  | 'PROVIDER_NOT_IMPLEMENTED'
  /** Comes with RATE_LIMITED (docs/errors.md). */
  | 'QUERY_BUDGET_SPENT'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'QUERY_TOO_COSTLY'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'QUERY_TOO_DEEP'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'QUERY_TOO_LARGE'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'QUERY_TOO_MANY_ALIASES'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'QUERY_TOO_MANY_DIRECTIVES'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'QUERY_TOO_MANY_TOKENS'
  /** Comes with BAD_USER_INPUT (docs/errors.md). */
  | 'REQUEST_TOO_LARGE'
  /** Comes with RATE_LIMITED (docs/errors.md). */
  | 'SLOW_CONSUMER'
  /** Comes with RATE_LIMITED (docs/errors.md). */
  | 'TENANT_REQUESTS_SPENT'
  /** Comes with RATE_LIMITED (docs/errors.md). */
  | 'TOO_MANY_OPERATIONS'
  /** Comes with RATE_LIMITED (docs/errors.md). */
  | 'TOO_MANY_REQUESTS'
  /** Comes with RATE_LIMITED (docs/errors.md). */
  | 'TOO_MANY_SUBSCRIPTIONS';

/** A national, tax or passport identifier. */
export type PartyIdentifierInput = {
  /** The issuing country: an ISO 3166-1 alpha-2 code ISO has assigned (`US`, `IN`; not `UK`, `EU` or `ZZ`). */
  country: string;
  /** National id, tax id or passport. */
  kind: PartyIdentifierKind;
  /** The identifier (stored sealed; shown masked). */
  value: string;
};

/** What kind of identifier a party holds. */
export type PartyIdentifierKind =
  /** A national identity number. */
  | 'NATIONAL_ID'
  /** A passport number. */
  | 'PASSPORT'
  /** A tax identification number. */
  | 'TAX_ID';

/** A person or business on an application; resolved to the lender's existing party when the identifier, or the phone and e-mail, match. */
export type PartyIntakeInput = {
  /** Postal address (identity checks match it). */
  address?: PostalAddressInput | null | undefined;
  /** For people. */
  dateOfBirth?: string | null | undefined;
  /** E-mail. */
  email?: string | null | undefined;
  /** National, tax or passport identifiers. */
  identifiers?: Array<PartyIdentifierInput> | null | undefined;
  /** A person or a business. */
  kind: PartyKind;
  /** Full legal name. */
  legalName: string;
  /** Phone, preferably E.164. */
  phone?: string | null | undefined;
};

/** Whether a party is a natural person or a business. */
export type PartyKind =
  /** A company, partnership or other business. */
  | 'BUSINESS'
  /** A natural person. */
  | 'PERSON';

/** A postal address. */
export type PostalAddressInput = {
  /** City or town. */
  city: string;
  /** The country: an ISO 3166-1 alpha-2 code ISO has assigned, in capitals (`US`, `IN`; not `UK`, `EU` or `ZZ`). */
  country: string;
  /** Street lines (1–4). */
  lines: Array<string>;
  /** Postal code. */
  postalCode: string;
  /** State, province or county. */
  region?: string | null | undefined;
};

/** A new webhook endpoint. */
export type RegisterWebhookEndpointInput = {
  /** Event types to receive: exact types, prefixes such as `application.*`, or `*` (1–50). */
  eventTypes: Array<string>;
  /** Repeat the request with the same key (8–200 characters) to get the same endpoint back; a replay carries no secret. */
  idempotencyKey?: string | null | undefined;
  /** Staff only: register it for this partner, which then receives only events that concern it. */
  partnerCode?: string | null | undefined;
  /** Where deliveries are POSTed: https on port 443, to a public address (internal, loopback, link-local and metadata destinations are refused; docs/webhooks.md). Plain http and port 80 are accepted outside production. */
  url: string;
};

export type LatestEventCursorQueryVariables = Exact<{ [key: string]: never; }>;


export type LatestEventCursorQuery = { events: { edges: Array<{ cursor: string }> } };

export type SubmitApplicationMutationVariables = Exact<{
  input: CreateApplicationInput;
}>;


export type SubmitApplicationMutation = { createApplication: { application: { id: string, number: string, externalReference: string | null, status: ApplicationStatus, missingInformation: Array<string>, amount: string, product: { code: string } | null } | null, userErrors: Array<{ code: ErrorCode, reason: ErrorReason | null, field: string | null, message: string }> } };

export type RegisterWebhookMutationVariables = Exact<{
  input: RegisterWebhookEndpointInput;
}>;


export type RegisterWebhookMutation = { registerWebhookEndpoint: { signingSecret: string | null, webhookEndpoint: { id: string, url: string, eventTypes: Array<string>, active: boolean } | null, userErrors: Array<{ code: ErrorCode, reason: ErrorReason | null, field: string | null, message: string }> } };

export type DeactivateWebhookMutationVariables = Exact<{
  input: DeactivateWebhookEndpointInput;
}>;


export type DeactivateWebhookMutation = { deactivateWebhookEndpoint: { webhookEndpoint: { id: string, active: boolean } | null, userErrors: Array<{ code: ErrorCode, reason: ErrorReason | null, field: string | null, message: string }> } };

export type ReadApplicationQueryVariables = Exact<{
  id: string | number;
}>;


export type ReadApplicationQuery = { node:
    | { __typename: 'Application', id: string, number: string, externalReference: string | null, status: ApplicationStatus, missingInformation: Array<string>, amount: string, product: { code: string } | null }
    | Record<PropertyKey, never>
   | null };

export type FollowApplicationsSubscriptionVariables = Exact<{
  after?: string | null | undefined;
}>;


export type FollowApplicationsSubscription = { events: { cursor: string, id: string, type: string, aggregateId: string, occurredAt: string, payload: unknown } };

export type ApplicationSummaryFragment = { id: string, number: string, externalReference: string | null, status: ApplicationStatus, missingInformation: Array<string>, amount: string, product: { code: string } | null };

export type RefusalFragment = { code: ErrorCode, reason: ErrorReason | null, field: string | null, message: string };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const ApplicationSummaryFragmentDoc = new TypedDocumentString(`
    fragment ApplicationSummary on Application {
  id
  number
  externalReference
  status
  missingInformation
  amount
  product {
    code
  }
}
    `, {"fragmentName":"ApplicationSummary"}) as unknown as TypedDocumentString<ApplicationSummaryFragment, unknown>;
export const RefusalFragmentDoc = new TypedDocumentString(`
    fragment Refusal on UserError {
  code
  reason
  field
  message
}
    `, {"fragmentName":"Refusal"}) as unknown as TypedDocumentString<RefusalFragment, unknown>;
export const LatestEventCursorDocument = new TypedDocumentString(`
    query LatestEventCursor {
  events(last: 1) {
    edges {
      cursor
    }
  }
}
    `) as unknown as TypedDocumentString<LatestEventCursorQuery, LatestEventCursorQueryVariables>;
export const SubmitApplicationDocument = new TypedDocumentString(`
    mutation SubmitApplication($input: CreateApplicationInput!) {
  createApplication(input: $input) {
    application {
      ...ApplicationSummary
    }
    userErrors {
      ...Refusal
    }
  }
}
    fragment ApplicationSummary on Application {
  id
  number
  externalReference
  status
  missingInformation
  amount
  product {
    code
  }
}
fragment Refusal on UserError {
  code
  reason
  field
  message
}`) as unknown as TypedDocumentString<SubmitApplicationMutation, SubmitApplicationMutationVariables>;
export const RegisterWebhookDocument = new TypedDocumentString(`
    mutation RegisterWebhook($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) {
    signingSecret
    webhookEndpoint {
      id
      url
      eventTypes
      active
    }
    userErrors {
      ...Refusal
    }
  }
}
    fragment Refusal on UserError {
  code
  reason
  field
  message
}`) as unknown as TypedDocumentString<RegisterWebhookMutation, RegisterWebhookMutationVariables>;
export const DeactivateWebhookDocument = new TypedDocumentString(`
    mutation DeactivateWebhook($input: DeactivateWebhookEndpointInput!) {
  deactivateWebhookEndpoint(input: $input) {
    webhookEndpoint {
      id
      active
    }
    userErrors {
      ...Refusal
    }
  }
}
    fragment Refusal on UserError {
  code
  reason
  field
  message
}`) as unknown as TypedDocumentString<DeactivateWebhookMutation, DeactivateWebhookMutationVariables>;
export const ReadApplicationDocument = new TypedDocumentString(`
    query ReadApplication($id: ID!) {
  node(id: $id) {
    ... on Application {
      __typename
      ...ApplicationSummary
    }
  }
}
    fragment ApplicationSummary on Application {
  id
  number
  externalReference
  status
  missingInformation
  amount
  product {
    code
  }
}`) as unknown as TypedDocumentString<ReadApplicationQuery, ReadApplicationQueryVariables>;
export const FollowApplicationsDocument = new TypedDocumentString(`
    subscription FollowApplications($after: String) {
  events(aggregateType: "Application", after: $after) {
    cursor
    id
    type
    aggregateId
    occurredAt
    payload
  }
}
    `) as unknown as TypedDocumentString<FollowApplicationsSubscription, FollowApplicationsSubscriptionVariables>;