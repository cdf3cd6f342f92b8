// A move the application's transition table refuses (ILLEGAL_TRANSITION) names what named the application, as
// whoever sent it reads it: a provider's callback its own `providerReference` (or `reference`, when that is what
// found the check), and nothing where nothing sent named it — a check's deadline, the lapse end of day runs, an
// application submitted as it is created. The table refuses none of these moves as the platform makes them today
// (each path reads the status first), so the test has the table refuse them, to see what the refusal would say.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import type { ApplicationEvent } from '../../../src/domain/origination/applicationStatus.js';
import { sandboxCallback } from '../../../src/domain/origination/checks/sandbox.js';
import { callbackBody, CALLBACK_SIGNATURE_HEADER, signCallback } from '../../../src/domain/origination/checks/callbacks.js';
import { expireUnansweredCheck, providerCallbackSecret } from '../../../src/services/origination/pendingChecks.js';
import { expireStaleApplications } from '../../../src/services/origination/applications.js';
import { AppError } from '../../../src/errors.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

/** The moves the table is made to refuse, for the test at hand. */
const refused = vi.hoisted(() => new Set<string>());

vi.mock('../../../src/domain/origination/applicationStatus.js', async (original) => {
  const table = await original<typeof import('../../../src/domain/origination/applicationStatus.js')>();
  return {
    ...table,
    nextApplicationStatus: (from: Parameters<typeof table.nextApplicationStatus>[0], event: ApplicationEvent) => {
      if (refused.has(event)) throw new table.IllegalApplicationTransition(from, event);
      return table.nextApplicationStatus(from, event);
    },
  };
});

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let people = 0;

const CREATE = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id status } ${USER_ERRORS} } }`;

function application(tags: string, submit: boolean) {
  people += 1;
  return {
    productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'car', declaredMonthlyIncome: '6500', monthlyDebtPayments: '300', employer: 'Acme Corp', submit,
    applicant: {
      kind: 'PERSON', legalName: `Refused Person ${people}`, email: `refused${people}${tags}@example.test`, phone: `+1415555${String(6000 + people)}`,
      dateOfBirth: '1985-04-12', address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
      identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `REF${String(100000 + people)}` }],
    },
  };
}

async function apply(tags: string, submit: boolean): Promise<{ id: string; status: string }> {
  const response = await gql(server.gateway, CREATE, { token: officer, variables: { input: application(tags, submit) } });
  expect(userErrors(response, 'createApplication')).toEqual([]);
  return response.data!['createApplication'].application;
}

/** An application waiting on the sandbox's asynchronous income check, and that check. */
async function waitingOnIncome() {
  const waiting = await apply('+income-async', true);
  expect(waiting.status).toBe('UNDER_CHECKS');
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  const check = await db.applicationCheck.findFirstOrThrow({ where: { applicationId: decodeGlobalID(waiting.id).id, kind: 'income' } });
  expect(check.status).toBe('pending');
  return { db, check };
}

async function postCallback(provider: string, body: string) {
  const signature = signCallback(providerCallbackSecret(server.runtime.dataKey, tenant.slug, provider), body, new Date());
  return fetch(`${server.gateway.url}/providers/${tenant.slug}/${provider}/callbacks`, {
    method: 'POST', headers: { 'content-type': 'application/json', [CALLBACK_SIGNATURE_HEADER]: signature }, body,
  });
}

/** What a service refused with, when it refused with an AppError. */
async function refusalOf(work: Promise<unknown>): Promise<AppError> {
  const error = await work.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('refused-moves'), { sandbox: true, businessDate: '2026-12-01' });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(() => {
  refused.clear();
});

describe('a move the transition table refuses', () => {
  it('refused on a provider callback names the callback\'s own field that found the check, and records nothing', async () => {
    const { db, check } = await waitingOnIncome();
    refused.add('checks_complete').add('check_failed');
    const answer = sandboxCallback(check.providerReference!, new Date());
    const byProviderReference = await postCallback(check.provider, callbackBody(answer));
    expect(byProviderReference.status).toBe(409);
    expect(await byProviderReference.json()).toEqual({
      error: { code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION', field: 'providerReference', message: 'an application that is under checks cannot checks complete' },
    });
    // A provider that lost its own reference finds the check by ours: that is the field then.
    const byReference = await postCallback(check.provider, callbackBody({ ...answer, providerReference: 'not-one-of-ours', reference: check.id }));
    expect(byReference.status).toBe(409);
    expect(await byReference.json()).toMatchObject({ error: { code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION', field: 'reference' } });
    expect(await db.applicationCheck.findUniqueOrThrow({ where: { id: check.id } })).toMatchObject({ status: 'pending' });
  });

  it('refused at a check\'s deadline or by the lapse end of day runs names no field: nothing was sent', async () => {
    const { check } = await waitingOnIncome();
    refused.add('check_failed');
    const deps = { ...server.runtime, publicUrl: server.runtime.config.publicUrl };
    const deadline = await refusalOf(expireUnansweredCheck(deps, { tenant: tenant.slug, checkId: check.id, timeoutSeconds: 1 }));
    expect(deadline.details).toEqual({ reason: 'ILLEGAL_TRANSITION', from: 'under_checks', event: 'check_failed' });

    await apply('', false);
    refused.add('expire');
    const command = { tenant: tenant.slug, now: new Date(), actor: { subject: 'system:end-of-day', roles: [], partner: null, clientId: null, requestId: 'end-of-day:2027-03-01' } };
    const lapse = await refusalOf(expireStaleApplications(server.runtime.tenantClients.forSchema(tenant.schemaName), command, '2027-03-01'));
    expect(lapse.details).toEqual({ reason: 'ILLEGAL_TRANSITION', from: 'draft', event: 'expire' });
  });

  it('refused as an application is created and submitted names no field: no input named the application', async () => {
    refused.add('submit');
    const response = await gql(server.gateway, CREATE, { token: officer, variables: { input: application('', true) } });
    expect(userErrors(response, 'createApplication')).toEqual([
      { code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION', field: null, message: 'an application that is draft cannot submit' },
    ]);
  });

  it('refused on a mutation that named the application still names its input', async () => {
    const { id } = await apply('', false);
    refused.add('withdraw');
    const response = await gql(server.gateway, `mutation($input: WithdrawApplicationInput!) { withdrawApplication(input: $input) { ${USER_ERRORS} } }`, {
      token: officer, variables: { input: { applicationId: id, reason: 'changed their mind' } },
    });
    expect(userErrors(response, 'withdrawApplication')).toMatchObject([{ code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION', field: 'input.applicationId' }]);
  });
});
