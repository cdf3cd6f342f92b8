// Asynchronous checks are never left waiting for ever. The sandbox's asynchronous providers call back by
// themselves, after SANDBOX_CALLBACK_DELAY_MS, through the same signed callback endpoint real providers use; and a
// check with no answer within PROVIDER_CALLBACK_TIMEOUT_SECONDS is recorded as timed out, moving the application
// to checks_failed with the reason, from where it can be retried. Both are jobs on the queue.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { registerPartner } from '../../../src/services/partners.js';
import { expireUnansweredCheck, providerCallbackSecret } from '../../../src/services/origination/pendingChecks.js';
import { sandboxCallback } from '../../../src/domain/origination/checks/sandbox.js';
import { CALLBACK_SIGNATURE_HEADER, callbackBody, signCallback } from '../../../src/domain/origination/checks/callbacks.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, type TestServer } from '../../support/harness.js';

// Calls back quickly; gives providers two minutes.
let prompt: TestServer;
// Calls back only after a day; gives providers two seconds.
let silent: TestServer;
let tenant: TenantRecord;
let people = 0;

const APPLICATION = 'id status history { to event reason actor } checks { kind status attempt reason }';

/** Polls until `settled` says so, at most `timeoutMs` (a generous functional bound, not a timing assertion). */
async function until(settled: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await settled())) {
    if (Date.now() > deadline) throw new Error('not settled in time');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function applicant(tags: string) {
  people += 1;
  return {
    kind: 'PERSON', legalName: `Async Person ${people}`, email: `async${people}${tags}@example.test`, phone: `+1415555${String(4000 + people)}`,
    dateOfBirth: '1985-04-12', address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
    identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `ASYNC${String(100000 + people)}` }],
  };
}

async function apply(server: TestServer, tags: string, token: string) {
  const response = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { ${APPLICATION} } ${USER_ERRORS} } }`, {
    token,
    variables: { input: { productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'car', applicant: applicant(tags), declaredMonthlyIncome: '6500', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: true } },
  });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.data!['createApplication'].userErrors).toEqual([]);
  return response.data!['createApplication'].application;
}

async function read(server: TestServer, id: string, token: string) {
  const response = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Application { ${APPLICATION} } } }`, { token, variables: { id } });
  return response.data!['node'];
}

beforeAll(async () => {
  prompt = await startTestServer({ CHECK_JOBS_ENABLED: 'true', SANDBOX_CALLBACK_DELAY_MS: '300', PROVIDER_CALLBACK_TIMEOUT_SECONDS: '120' });
  silent = await startTestServer({ CHECK_JOBS_ENABLED: 'true', SANDBOX_CALLBACK_DELAY_MS: '86400000', PROVIDER_CALLBACK_TIMEOUT_SECONDS: '2' });
  tenant = await createTenant(prompt.runtime, uniqueSlug('pending'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  await registerPartner(prompt.runtime.tenantClients.forSchema(tenant.schemaName), prompt.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
});
afterAll(async () => {
  await Promise.all([prompt?.close(), silent?.close()]);
});

describe('asynchronous checks', () => {
  it('the sandbox calls back by itself through the signed callback endpoint, and the application is decided', async () => {
    const partner = await devToken(prompt.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
    const pending = await apply(prompt, '+income-async+bureau-prime', partner);
    expect(pending.status).toBe('UNDER_CHECKS');
    expect(pending.checks.find((c: any) => c.kind === 'INCOME').status).toBe('PENDING');
    let application: any;
    await until(async () => {
      application = await read(prompt, pending.id, partner);
      return application.status !== 'UNDER_CHECKS';
    }, 30_000);
    expect(application.status).toBe('APPROVED');
    expect(application.checks.find((c: any) => c.kind === 'INCOME')).toMatchObject({ status: 'PASSED', attempt: 1 });
    expect(application.history.map((h: any) => h.to)).toEqual(['DRAFT', 'SUBMITTED', 'UNDER_CHECKS', 'UNDER_REVIEW', 'APPROVED']);
    // It came in through the HTTP endpoint, signed, as the provider: the callback handler's own audit record.
    const db = prompt.runtime.tenantClients.forSchema(tenant.schemaName);
    const audit = await db.auditRecord.findMany({ where: { entityId: decodeGlobalID(pending.id).id, action: 'application.checkCallback' } });
    expect(audit.filter((a) => (a.after as { via?: string } | null)?.via === 'callback')).toMatchObject([{ actor: 'provider:sandbox-income', after: { check: 'income', status: 'passed', via: 'callback' } }]);
    // Its deadline, when it comes, finds the check answered and changes nothing.
    const income = await db.applicationCheck.findFirstOrThrow({ where: { applicationId: decodeGlobalID(pending.id).id, kind: 'income' } });
    const deps = { ...prompt.runtime, publicUrl: prompt.runtime.config.publicUrl };
    expect(await expireUnansweredCheck(deps, { tenant: tenant.slug, checkId: income.id, timeoutSeconds: 1 })).toBe('answered');
    expect(await db.applicationCheck.findUniqueOrThrow({ where: { id: income.id } })).toMatchObject({ status: 'passed' });
    expect((await read(prompt, pending.id, partner)).status).toBe('APPROVED');
  });

  it('a check with no answer in time is recorded as timed out: checks_failed, saying which, and it can be retried', async () => {
    const officer = await devToken(silent.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
    const pending = await apply(silent, '+income-async', officer);
    expect(pending.status).toBe('UNDER_CHECKS');
    let application: any;
    await until(async () => {
      application = await read(silent, pending.id, officer);
      return application.status !== 'UNDER_CHECKS';
    }, 30_000);
    expect(application.status).toBe('CHECKS_FAILED');
    expect(application.history.at(-1)).toMatchObject({ to: 'CHECKS_FAILED', event: 'check_failed', reason: 'income timed out: no callback within 2 s', actor: 'system:check-deadline' });
    expect(application.checks.find((c: any) => c.kind === 'INCOME')).toMatchObject({ status: 'TIMEOUT', reason: 'no callback within 2 s' });
    const db = silent.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await db.outboxEvent.count({ where: { aggregateId: pending.id, type: 'application.checkFailed' } })).toBe(1);
    // The provider's answer arriving after the deadline is acknowledged and changes nothing.
    const income = await db.applicationCheck.findFirstOrThrow({ where: { applicationId: decodeGlobalID(pending.id).id, kind: 'income' } });
    const body = callbackBody(sandboxCallback(income.providerReference!, new Date()));
    const late = await fetch(`${silent.gateway.url}/providers/${tenant.slug}/${income.provider}/callbacks`, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', [CALLBACK_SIGNATURE_HEADER]: signCallback(providerCallbackSecret(silent.runtime.dataKey, tenant.slug, income.provider), body, new Date()) },
    });
    expect(await late.json()).toEqual({ status: 'already-recorded' });
    expect(await db.applicationCheck.findUniqueOrThrow({ where: { id: income.id } })).toMatchObject({ status: 'timeout' });
    const retried = await gql(silent.gateway, `mutation($input: AssessApplicationInput!) { assessApplication(input: $input) { application { ${APPLICATION} } ${USER_ERRORS} } }`, { token: officer, variables: { input: { applicationId: pending.id } } });
    expect(retried.errors, JSON.stringify(retried.errors)).toBeUndefined();
    expect(retried.data!['assessApplication'].userErrors).toEqual([]);
    expect(retried.data!['assessApplication'].application.status).toBe('UNDER_CHECKS');
    expect(retried.data!['assessApplication'].application.history.at(-1)).toMatchObject({ event: 'retry_checks' });
  });

  it('a deadline falling while the tenant is suspended is put off, not dropped: the queue tries it again once the tenant is back', async () => {
    const deps = { ...silent.runtime, publicUrl: silent.runtime.config.publicUrl };
    const job = { tenant: tenant.slug, checkId: randomUUID(), timeoutSeconds: 1 };
    await silent.runtime.registry.setStatus(tenant.slug, 'suspended', 'moving', ['active']);
    try {
      expect(await expireUnansweredCheck(deps, job)).toBe('postponed');
    } finally {
      await silent.runtime.registry.setStatus(tenant.slug, 'active', 'moved', ['suspended']);
    }
    expect(await expireUnansweredCheck(deps, job)).toBe('answered');
  });
});
