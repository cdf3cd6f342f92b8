// The last two pending checks of one application answered by their providers at the same moment: the application
// is decided once, by whichever answer is recorded second, rather than each answer seeing the other's check still
// pending and the application staying under checks with nothing left for a deadline to time out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { sandboxCallback } from '../../../src/domain/origination/checks/sandbox.js';
import { callbackBody, CALLBACK_SIGNATURE_HEADER, signCallback } from '../../../src/domain/origination/checks/callbacks.js';
import { providerCallbackSecret } from '../../../src/services/origination/pendingChecks.js';
import { quoteIdent } from '../../../src/tenancy/schemaNames.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;

const APPLICANT = {
  kind: 'PERSON', legalName: 'Simultaneous Person', email: 'simultaneous+income-async+bureau-async+bureau-prime@example.test', phone: '+14155557001',
  dateOfBirth: '1985-04-12', address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
  identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: 'SIM100001' }],
};

async function postCallback(provider: string, providerReference: string) {
  const body = callbackBody(sandboxCallback(providerReference, new Date()));
  const signature = signCallback(providerCallbackSecret(server.runtime.dataKey, tenant.slug, provider), body, new Date());
  const response = await fetch(`${server.gateway.url}/providers/${tenant.slug}/${provider}/callbacks`, {
    method: 'POST', headers: { 'content-type': 'application/json', [CALLBACK_SIGNATURE_HEADER]: signature }, body,
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('simultaneous'), { sandbox: true, businessDate: '2026-12-01' });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
});
afterAll(async () => {
  await server?.close();
});

describe('the last two checks answered at once', () => {
  it('the application is decided: the second answer recorded sees the first', async () => {
    const created = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id status } ${USER_ERRORS} } }`, {
      token: officer,
      variables: { input: { productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'car', declaredMonthlyIncome: '6500', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: true, applicant: APPLICANT } },
    });
    expect(userErrors(created, 'createApplication')).toEqual([]);
    const application = created.data!['createApplication'].application;
    expect(application.status).toBe('UNDER_CHECKS');
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const pending = await db.applicationCheck.findMany({ where: { applicationId: decodeGlobalID(application.id).id, status: 'pending' }, orderBy: { kind: 'asc' } });
    expect(pending.map((c) => c.kind)).toEqual(['bureau', 'income']);

    // Both answers are held just before they commit (every command writes its events last), so each has recorded its
    // check and looked for others still pending before either is visible to the other: the moment the race needs.
    const holder = await server.runtime.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE ${quoteIdent(tenant.schemaName)}.outbox_event IN SHARE MODE`);
      const [{ pid }] = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
      const answers = Promise.all(pending.map((check) => postCallback(check.provider, check.providerReference!)));
      // Both are waiting: on the held table, or on the other answer that waits on it. (Asked outside the holder's
      // transaction, which would see the activity it first read for as long as it lasts.)
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { rows } = await server.runtime.pool.query<{ n: number }>(`
          WITH held AS (SELECT pid FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid)))
          SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid)) OR pg_blocking_pids(pid) && ARRAY(SELECT pid FROM held)`, [pid]);
        if (rows[0]!.n >= 2) break;
        if (Date.now() > deadline) throw new Error('the two answers never both reached the database');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await holder.query('COMMIT');
      expect(await answers).toEqual([{ status: 200, body: { status: 'recorded' } }, { status: 200, body: { status: 'recorded' } }]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }

    const decided = await db.application.findUniqueOrThrow({ where: { id: decodeGlobalID(application.id).id } });
    expect(decided.status).toBe('approved');
    const moves = await db.applicationTransition.findMany({ where: { applicationId: decided.id }, orderBy: { at: 'asc' } });
    expect(moves.map((m) => m.toStatus)).toEqual(['draft', 'submitted', 'under_checks', 'under_review', 'approved']);
  });
});
