// Where a mutation's refusal goes (docs/partners.md, "Mutations: one shape"; docs/errors.md): business refusals
// in the payload's userErrors with nothing written, everything else a GraphQL error — decided in one place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { randomUUID } from 'node:crypto';
import { AppError, InvalidField } from '../../src/errors.js';
import { userErrorsOf } from '../../src/graph/payloads.js';
import { buildSchema } from '../../src/graph/schema.js';
import { getNamedType } from 'graphql';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';

describe('which errors are user errors', () => {
  it('bad input, unknown ids, conflicts and four-eyes refusals are; access, budgets and faults are not', () => {
    expect(userErrorsOf(new InvalidField('repayments.3.amount', 'amount must be positive'))).toEqual([
      { message: 'amount must be positive', code: 'BAD_USER_INPUT', reason: null, field: 'input.repayments[3].amount' },
    ]);
    expect(userErrorsOf(new AppError('CONFLICT', 'already decided', { field: 'input.requestId', reason: 'ILLEGAL_TRANSITION' }))).toEqual([
      { message: 'already decided', code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION', field: 'input.requestId' },
    ]);
    expect(userErrorsOf(new AppError('NOT_FOUND', 'no webhook endpoint with that id', { field: 'input.id' }))).toEqual([
      { message: 'no webhook endpoint with that id', code: 'NOT_FOUND', reason: null, field: 'input.id' },
    ]);
    expect(userErrorsOf(new AppError('FORBIDDEN', 'the maker may not decide', { reason: 'MAKER_IS_CHECKER' }))).toEqual([
      { message: 'the maker may not decide', code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER', field: null },
    ]);
    // An incomplete submission names every missing field: one user error each.
    const missing = new AppError('BAD_USER_INPUT', 'information missing', {
      field: 'input.applicant.dateOfBirth', fields: ['input.applicant.dateOfBirth', 'input.declaredMonthlyIncome'], reason: 'MISSING_INFORMATION',
    });
    expect(userErrorsOf(missing)?.map((e) => [e.field, e.reason])).toEqual([
      ['input.applicant.dateOfBirth', 'MISSING_INFORMATION'],
      ['input.declaredMonthlyIncome', 'MISSING_INFORMATION'],
    ]);
    for (const error of [
      new AppError('FORBIDDEN', 'not allowed for this principal'),
      new AppError('UNAUTHENTICATED', 'a valid token is required'),
      new AppError('RATE_LIMITED', 'slow down', { reason: 'TOO_MANY_REQUESTS' }),
      new AppError('TENANT_SUSPENDED', 'suspended'),
      new Error('connection reset'),
    ]) {
      expect(userErrorsOf(error), error.message).toBeNull();
    }
  });
});

describe('what a payload says of its nulls', () => {
  it('every payload\'s description says both: a refusal nulls its fields, and so does a field withheld below them from a command that ran', () => {
    const schema = buildSchema();
    const payloads = Object.values(schema.getMutationType()!.getFields()).map((field) => getNamedType(field.type));
    expect(payloads.length).toBeGreaterThan(30);
    for (const payload of payloads) {
      expect(payload.description, payload.name).toContain('null when the mutation was refused: userErrors then says why, and nothing was written');
      expect(payload.description, payload.name).toContain('with userErrors empty, when something selected in it is withheld from the caller: the command ran');
    }
  });
});

describe('a refused mutation over HTTP', () => {
  let server: TestServer;
  let tenant: TenantRecord;
  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server.runtime, uniqueSlug('payload'), { sandbox: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  const CREATE = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id } ${USER_ERRORS} } }`;
  const input = (amount: string) => ({ productCode: 'PL-STD', amount, numberOfRepayments: 12, purpose: 'a car', applicant: { kind: 'PERSON', legalName: 'Payload Person' } });

  it('answers 200 with the result null and userErrors naming the field, and writes nothing', async () => {
    const officer = await devToken(server.runtime, 'loan-officer', tenant.slug);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = [await db.application.count(), await db.outboxEvent.count(), await db.auditRecord.count()];
    const refused = await gql(server.gateway, CREATE, { token: officer, variables: { input: input('-5') } });
    expect(refused.status).toBe(200);
    expect(userErrors(refused, 'createApplication')).toEqual([{ message: expect.stringContaining('amount'), code: 'BAD_USER_INPUT', reason: null, field: 'input.amount' }]);
    expect(refused.data!['createApplication'].application).toBeNull();
    expect([await db.application.count(), await db.outboxEvent.count(), await db.auditRecord.count()]).toEqual(before);

    const made = await gql(server.gateway, CREATE, { token: officer, variables: { input: input('5000') } });
    expect(userErrors(made, 'createApplication')).toEqual([]);
    expect(made.data!['createApplication'].application.id).toEqual(expect.any(String));
  });

  it('names an id the caller cannot see in userErrors, like any bad input', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const unknown = await gql(server.gateway, `mutation($input: DeactivateWebhookEndpointInput!) { deactivateWebhookEndpoint(input: $input) { webhookEndpoint { id } ${USER_ERRORS} } }`, {
      token: admin, variables: { input: { id: encodeGlobalID('WebhookEndpoint', randomUUID()) } },
    });
    expect(userErrors(unknown, 'deactivateWebhookEndpoint')).toMatchObject([{ code: 'NOT_FOUND', field: 'input.id' }]);
    const officer = await devToken(server.runtime, 'loan-officer', tenant.slug);
    const noApplication = await gql(server.gateway, `mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { application { id } ${USER_ERRORS} } }`, {
      token: officer, variables: { input: { applicationId: encodeGlobalID('Application', randomUUID()) } },
    });
    expect(userErrors(noApplication, 'submitApplication')).toMatchObject([{ code: 'BAD_USER_INPUT', field: 'input.applicationId' }]);
  });

  it('keeps who may call as GraphQL errors, with no payload', async () => {
    const finance = await devToken(server.runtime, 'finance', tenant.slug);
    const forbidden = await gql(server.gateway, CREATE, { token: finance, variables: { input: input('5000') } });
    expect(codes(forbidden)).toEqual(['FORBIDDEN']);
    expect(forbidden.data).toBeNull();

    const anonymous = await gql(server.gateway, CREATE, { variables: { input: input('5000') } });
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(anonymous.data ?? null).toBeNull();
  });
});
