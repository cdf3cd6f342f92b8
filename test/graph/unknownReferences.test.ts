// What a mutation answers when its input names something that is not there (docs/errors.md): a product or partner
// named by its code is NOT_FOUND, an id naming no record the caller may see is BAD_USER_INPUT; either way the
// refusal names the input field and nothing is written. The same kind of reference answered the one code here and
// the other there; this holds every mutation that takes one to the documented code.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { globalIdOf } from '../../src/domain/globalId.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('unknown-refs'), { sandbox: true });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'unknown-refs-admin' });
}, 120_000);

afterAll(async () => {
  await server?.close();
});

/** One mutation sent with an input naming nothing: its refusals, and how many audit records the tenant holds after it. */
async function refusalsOf(mutation: string, input: Record<string, unknown>) {
  const type = `${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input`;
  const response = await gql(server.gateway, `mutation($input: ${type}!) { ${mutation}(input: $input) { ${USER_ERRORS} } }`, { token: admin, variables: { input } });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return userErrors(response, mutation).map(({ code, field }) => ({ code, field }));
}

const auditRecords = () => server.runtime.tenantClients.forSchema(tenant.schemaName).auditRecord.count();

describe('a reference to nothing', () => {
  it('a product or partner code naming nothing is NOT_FOUND, naming the field', async () => {
    const before = await auditRecords();
    const cases: [string, Record<string, unknown>, string][] = [
      ['mapProductAccount', { productCode: 'NOPE', role: 'PRINCIPAL_RECEIVABLE', account: '1100' }, 'input.productCode'],
      ['draftCreditPolicy', { productCode: 'NOPE', ruleSet: { rules: [] } }, 'input.productCode'],
      ['setProductDocumentChecklist', { productCode: 'NOPE', items: [] }, 'input.productCode'],
      ['registerWebhookEndpoint', { url: 'https://hooks.example.test/in', eventTypes: ['loan.*'], partnerCode: 'nobody' }, 'input.partnerCode'],
      ['settleCoLender', { partnerCode: 'nobody' }, 'input.partnerCode'],
      ['setCoLenderSettlement', { partnerCode: 'nobody', settlementLagDays: 1 }, 'input.partnerCode'],
      ['proposeCoLendingArrangement', { partnerCode: 'nobody', name: 'Nobody', currency: 'USD', model: 'COLLECTION_SHARE', sharePercent: '20', partnerRatePercent: '10', validFrom: tenant.businessDate }, 'input.partnerCode'],
    ];
    for (const [mutation, input, field] of cases) {
      expect(await refusalsOf(mutation, input), mutation).toEqual([{ code: 'NOT_FOUND', field }]);
    }
    expect(await auditRecords()).toBe(before);
  });

  it('an id naming no record is BAD_USER_INPUT, naming the field', async () => {
    const before = await auditRecords();
    const cases: [string, Record<string, unknown>, string][] = [
      ['registerDebitMandate', { loanId: globalIdOf('Loan', randomUUID()), holderName: 'Nobody', routingNumber: '011000015', accountNumber: '12345678', accountType: 'CHECKING' }, 'input.loanId'],
      ['setPartyContactPreferences', { partyId: globalIdOf('Party', randomUUID()), optedOutChannels: [] }, 'input.partyId'],
    ];
    for (const [mutation, input, field] of cases) {
      expect(await refusalsOf(mutation, input), mutation).toEqual([{ code: 'BAD_USER_INPUT', field }]);
    }
    expect(await auditRecords()).toBe(before);
  });
});
