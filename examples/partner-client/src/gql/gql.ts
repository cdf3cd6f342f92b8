/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query LatestEventCursor {\n  events(last: 1) {\n    edges {\n      cursor\n    }\n  }\n}\n\nmutation SubmitApplication($input: CreateApplicationInput!) {\n  createApplication(input: $input) {\n    application {\n      ...ApplicationSummary\n    }\n    userErrors {\n      ...Refusal\n    }\n  }\n}\n\nmutation RegisterWebhook($input: RegisterWebhookEndpointInput!) {\n  registerWebhookEndpoint(input: $input) {\n    signingSecret\n    webhookEndpoint {\n      id\n      url\n      eventTypes\n      active\n    }\n    userErrors {\n      ...Refusal\n    }\n  }\n}\n\nmutation DeactivateWebhook($input: DeactivateWebhookEndpointInput!) {\n  deactivateWebhookEndpoint(input: $input) {\n    webhookEndpoint {\n      id\n      active\n    }\n    userErrors {\n      ...Refusal\n    }\n  }\n}\n\nquery ReadApplication($id: ID!) {\n  node(id: $id) {\n    ... on Application {\n      __typename\n      ...ApplicationSummary\n    }\n  }\n}\n\nsubscription FollowApplications($after: String) {\n  events(aggregateType: \"Application\", after: $after) {\n    cursor\n    id\n    type\n    aggregateId\n    occurredAt\n    payload\n  }\n}\n\nfragment ApplicationSummary on Application {\n  id\n  number\n  externalReference\n  status\n  missingInformation\n  amount\n  product {\n    code\n  }\n}\n\nfragment Refusal on UserError {\n  code\n  reason\n  field\n  message\n}": typeof types.LatestEventCursorDocument,
};
const documents: Documents = {
    "query LatestEventCursor {\n  events(last: 1) {\n    edges {\n      cursor\n    }\n  }\n}\n\nmutation SubmitApplication($input: CreateApplicationInput!) {\n  createApplication(input: $input) {\n    application {\n      ...ApplicationSummary\n    }\n    userErrors {\n      ...Refusal\n    }\n  }\n}\n\nmutation RegisterWebhook($input: RegisterWebhookEndpointInput!) {\n  registerWebhookEndpoint(input: $input) {\n    signingSecret\n    webhookEndpoint {\n      id\n      url\n      eventTypes\n      active\n    }\n    userErrors {\n      ...Refusal\n    }\n  }\n}\n\nmutation DeactivateWebhook($input: DeactivateWebhookEndpointInput!) {\n  deactivateWebhookEndpoint(input: $input) {\n    webhookEndpoint {\n      id\n      active\n    }\n    userErrors {\n      ...Refusal\n    }\n  }\n}\n\nquery ReadApplication($id: ID!) {\n  node(id: $id) {\n    ... on Application {\n      __typename\n      ...ApplicationSummary\n    }\n  }\n}\n\nsubscription FollowApplications($after: String) {\n  events(aggregateType: \"Application\", after: $after) {\n    cursor\n    id\n    type\n    aggregateId\n    occurredAt\n    payload\n  }\n}\n\nfragment ApplicationSummary on Application {\n  id\n  number\n  externalReference\n  status\n  missingInformation\n  amount\n  product {\n    code\n  }\n}\n\nfragment Refusal on UserError {\n  code\n  reason\n  field\n  message\n}": types.LatestEventCursorDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query LatestEventCursor {\n  events(last: 1) {\n    edges {\n      cursor\n    }\n  }\n}\n\nmutation SubmitApplication($input: CreateApplicationInput!) {\n  createApplication(input: $input) {\n    application {\n      ...ApplicationSummary\n    }\n    userErrors {\n      ...Refusal\n    }\n  }\n}\n\nmutation RegisterWebhook($input: RegisterWebhookEndpointInput!) {\n  registerWebhookEndpoint(input: $input) {\n    signingSecret\n    webhookEndpoint {\n      id\n      url\n      eventTypes\n      active\n    }\n    userErrors {\n      ...Refusal\n    }\n  }\n}\n\nmutation DeactivateWebhook($input: DeactivateWebhookEndpointInput!) {\n  deactivateWebhookEndpoint(input: $input) {\n    webhookEndpoint {\n      id\n      active\n    }\n    userErrors {\n      ...Refusal\n    }\n  }\n}\n\nquery ReadApplication($id: ID!) {\n  node(id: $id) {\n    ... on Application {\n      __typename\n      ...ApplicationSummary\n    }\n  }\n}\n\nsubscription FollowApplications($after: String) {\n  events(aggregateType: \"Application\", after: $after) {\n    cursor\n    id\n    type\n    aggregateId\n    occurredAt\n    payload\n  }\n}\n\nfragment ApplicationSummary on Application {\n  id\n  number\n  externalReference\n  status\n  missingInformation\n  amount\n  product {\n    code\n  }\n}\n\nfragment Refusal on UserError {\n  code\n  reason\n  field\n  message\n}"): typeof import('./graphql.js').LatestEventCursorDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
