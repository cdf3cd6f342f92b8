// Idempotency keys have one rule everywhere (src/commands/idempotencyKey.ts, docs/errors.md): 8–200 printable
// ASCII characters without spaces. This walks every mutation of the built schema that takes a key — as an
// argument or anywhere inside its input — and sends an empty, a blank, a 7-character and a 201-character key:
// each is refused as BAD_USER_INPUT naming the key's path, and nothing at all is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, isScalarType, type GraphQLArgument, type GraphQLInputType, type GraphQLSchema,
  isCompositeType,
} from 'graphql';
import { buildSchema } from '../../src/graph/schema.js';
import { checkIdempotencyKey } from '../../src/commands/idempotencyKey.js';
import { quoteIdent } from '../../src/tenancy/schemaNames.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { developmentIdentity } from '../../src/tenancy/identity.js';
import { registerPartner } from '../../src/services/partners.js';
import { partnerClientId } from '../../src/authz/partnerClient.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer, type UserError } from '../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let admin: string;
const schema: GraphQLSchema = buildSchema();

const SAMPLE_SCALARS: Record<string, unknown> = {
  String: 'sample', ID: 'sample', Int: 1, Float: 1, Boolean: true, Decimal: '1', Money: '1.00 USD', Date: '2026-12-01', DateTime: '2026-12-01T00:00:00Z',
  IdempotencyKey: 'sample-key-0001',
};

/** A value of `type` that passes variable coercion: every required field filled, optional ones left out. */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [];
  if (isScalarType(type)) {
    if (!(type.name in SAMPLE_SCALARS)) throw new Error(`no sample for scalar ${type.name}`);
    return SAMPLE_SCALARS[type.name];
  }
  if (isEnumType(type)) return type.getValues()[0]!.name;
  const value: Record<string, unknown> = {};
  for (const field of Object.values(type.getFields())) if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = sample(field.type);
  return value;
}

/** Paths (below an argument) at which an IdempotencyKey sits, e.g. [['idempotencyKey']]. */
function keyPaths(type: GraphQLInputType, seen = new Set<string>()): string[][] {
  const named = getNamedType(type);
  if (named.name === 'IdempotencyKey') return [[]];
  if (!isInputObjectType(named) || seen.has(named.name)) return [];
  const paths: string[][] = [];
  for (const field of Object.values(named.getFields())) {
    if (isListType(isNonNullType(field.type) ? field.type.ofType : field.type)) continue;
    for (const rest of keyPaths(field.type, new Set([...seen, named.name]))) paths.push([field.name, ...rest]);
  }
  return paths;
}

interface KeyedMutation {
  field: string;
  args: readonly GraphQLArgument[];
  argument: string;
  path: string[];
  selection: string;
}

const keyed: KeyedMutation[] = Object.values(schema.getMutationType()!.getFields()).flatMap((field) =>
  field.args.flatMap((arg) => keyPaths(arg.type).map((path) => ({
    field: field.name, args: field.args, argument: arg.name, path, selection: isCompositeType(getNamedType(field.type)) ? '{ __typename }' : '',
  }))));

function withKey(value: unknown, path: string[], key: string): unknown {
  if (path.length === 0) return key;
  const [head, ...rest] = path;
  const object = { ...(value as Record<string, unknown>) };
  object[head!] = withKey(object[head!] ?? (rest.length === 0 ? undefined : {}), rest, key);
  return object;
}

/** Rows in every table a command writes to: none of them may change. */
async function written(): Promise<Record<string, number>> {
  const tables = await server.runtime.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`, [tenant.schemaName]);
  const counts: Record<string, number> = {};
  for (const { table_name } of tables.rows) {
    const result = await server.runtime.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(tenant.schemaName)}.${quoteIdent(table_name)}`);
    counts[table_name] = Number(result.rows[0]!.n);
  }
  return counts;
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('idemkeys'), { sandbox: true, businessDate: '2026-12-01' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-keys' });
});
afterAll(async () => {
  await server.close();
});

/**
 * Why a mutation takes no key, for every one that does not (docs/partners.md, "Errors and retries"): a new mutation
 * takes a key, or is named here with what makes a repeat harmless.
 */
const SAFE_TO_REPEAT_WITHOUT_A_KEY: Record<string, 'named by the caller' | 'moves a status' | 'sets a value' | 'adds a draft, note or proposal' | 'platform or sandbox'> = {
  createTenant: 'named by the caller', createLoanProduct: 'named by the caller', cloneLoanProduct: 'named by the caller', openLedgerAccount: 'named by the caller',
  inviteStaffMember: 'named by the caller', takeInDebitReturns: 'moves a status',
  acceptApplicationOffer: 'moves a status', assessApplication: 'moves a status', decideApprovalAuthorityMatrixActivation: 'moves a status', decideApprovalRequest: 'moves a status',
  decideCheckProviderSettingsActivation: 'moves a status', decideCoLendingArrangement: 'moves a status', decideCreditPolicyActivation: 'moves a status',
  decideLoanRestructure: 'moves a status', decideLoanWaiver: 'moves a status', decideLoanWriteOff: 'moves a status', decideProductPricingActivation: 'moves a status',
  deactivateStaffMember: 'moves a status', deactivateWebhookEndpoint: 'moves a status', enableWebhookEndpoint: 'moves a status', expireStaleApplications: 'moves a status',
  offboardTenant: 'moves a status', reactivateStaffMember: 'moves a status', reactivateTenant: 'moves a status', recommendApplication: 'moves a status',
  requestApprovalAuthorityMatrixActivation: 'moves a status', requestCheckProviderSettingsActivation: 'moves a status', requestCreditPolicyActivation: 'moves a status',
  requestProductPricingActivation: 'moves a status', resolvePartyMatchReview: 'moves a status', retireLoanProduct: 'moves a status', reviewApplicationDocument: 'moves a status',
  revokeDebitMandate: 'moves a status', signApplicationAgreement: 'moves a status', submitApplication: 'moves a status', suspendTenant: 'moves a status',
  withdrawApplication: 'moves a status', runEndOfDay: 'moves a status',
  assignCollectionCase: 'sets a value', changeStaffMemberRoles: 'sets a value', mapProductAccount: 'sets a value', reviseLoanProductTerms: 'sets a value',
  rotatePartnerSecret: 'sets a value', rotateWebhookSigningSecret: 'sets a value', setApplicationCoLending: 'sets a value', setChargeOffRule: 'sets a value',
  setCoLenderSettlement: 'sets a value', setCoLendingRules: 'sets a value', setCollectionRule: 'sets a value', setCurrencyCashRounding: 'sets a value',
  setDashboardOrigins: 'sets a value', setDebitSettings: 'sets a value', setDelinquencyPolicy: 'sets a value', setLoanProductDelinquencyBuckets: 'sets a value',
  setOriginationCommission: 'sets a value', setPartyContactPreferences: 'sets a value', setProductDocumentChecklist: 'sets a value', setReminderRules: 'sets a value',
  updateApplication: 'sets a value',
  draftApprovalAuthorityMatrix: 'adds a draft, note or proposal', draftCheckProviderSettings: 'adds a draft, note or proposal', draftCreditPolicy: 'adds a draft, note or proposal',
  draftProductPricing: 'adds a draft, note or proposal', logCollectionActivity: 'adds a draft, note or proposal', proposeCoLendingArrangement: 'adds a draft, note or proposal',
  advanceSandboxClock: 'platform or sandbox',
};

describe('which mutations take a key', () => {
  it('every mutation takes a key, or is named with why a repeat without one is harmless', () => {
    const withKey = new Set(keyed.map((k) => k.field));
    const without = Object.keys(schema.getMutationType()!.getFields()).filter((name) => !withKey.has(name)).sort();
    expect(without).toEqual(Object.keys(SAFE_TO_REPEAT_WITHOUT_A_KEY).sort());
    // Whatever creates a record the caller does not name, or moves money, takes one.
    expect([...withKey]).toEqual(expect.arrayContaining([
      'createApplication', 'importApplications', 'requestDisbursement', 'disburseLoan', 'disburseLoanTranche', 'decideDisbursement', 'postRepayment', 'postRepayments',
      'applyLoanCharge', 'refundLoanExcess', 'reverseLoanTransaction', 'requestLoanWaiver', 'requestLoanWriteOff', 'requestLoanRestructure', 'recordPromiseToPay',
      'registerDebitMandate', 'assignLoanParticipation', 'settleCoLender', 'registerPartner', 'registerWebhookEndpoint', 'sendTestWebhook', 'replayWebhookDelivery',
    ]));
  });
});

describe('idempotency key bounds', () => {
  it('the schema has one IdempotencyKey type, used by every mutation that takes a key', () => {
    expect(keyed.map((k) => k.field)).toEqual(expect.arrayContaining([
      'createApplication', 'disburseLoan', 'postRepayment', 'postRepayments', 'reverseLoanTransaction', 'applyLoanCharge', 'refundLoanExcess',
      'registerPartner', 'registerWebhookEndpoint',
    ]));
    // No key travels as a plain String under another name's rule.
    for (const field of Object.values(schema.getMutationType()!.getFields())) {
      for (const arg of field.args) {
        const named = getNamedType(arg.type);
        const fields = isInputObjectType(named) ? Object.values(named.getFields()) : [];
        for (const f of fields) if (/idempotency/i.test(f.name)) expect(getNamedType(f.type).name, `${field.name}.${f.name}`).toBe('IdempotencyKey');
      }
    }
  });

  for (const [label, key] of [['empty', ''], ['blank', '          '], ['7 characters long', 'k'.repeat(7)], ['201 characters long', 'k'.repeat(201)], ['carrying a control character', 'abc\u0000defgh'], ['outside ASCII', 'clé-unique-01']] as const) {
    it(`a key that is ${label} is refused on every mutation that takes one, naming the field, and nothing is written`, async () => {
      const before = await written();
      for (const mutation of keyed) {
        const variables: Record<string, unknown> = {};
        const declared: string[] = [];
        const passed: string[] = [];
        for (const arg of mutation.args) {
          if (!isNonNullType(arg.type) && arg.name !== mutation.argument) continue;
          const value = sample(arg.type);
          variables[arg.name] = arg.name === mutation.argument ? withKey(value ?? {}, mutation.path, key) : value;
          declared.push(`$${arg.name}: ${arg.type.toString()}`);
          passed.push(`${arg.name}: $${arg.name}`);
        }
        const query = `mutation(${declared.join(', ')}) { ${mutation.field}(${passed.join(', ')}) ${mutation.selection} }`;
        const response = await gql(server.gateway, query, { token: admin, variables });
        const field = [mutation.argument, ...mutation.path].join('.');
        expect(response.data ?? null, `${mutation.field}: ${JSON.stringify(response.errors)}`).toBeNull();
        expect(response.errors?.map((e) => [e.extensions['code'], e.extensions['field']]), mutation.field).toEqual([['BAD_USER_INPUT', field]]);
        expect(response.errors![0]!.message).toMatch(/8–200 printable ASCII characters without spaces/);
      }
      expect(await written()).toEqual(before);
    });
  }

  it('the same rule holds for every other way in: the checker itself and the document upload\'s header', async () => {
    expect(checkIdempotencyKey('k'.repeat(8), 'f')).toBe('k'.repeat(8));
    expect(checkIdempotencyKey('~'.repeat(200), 'f')).toBe('~'.repeat(200));
    for (const bad of ['', ' '.repeat(8), 'has a space', 'k'.repeat(7), 'k'.repeat(201), 'tab\there12', 12345678]) {
      expect(() => checkIdempotencyKey(bad, 'input.idempotencyKey'), String(bad)).toThrowError(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'input.idempotencyKey' } }));
    }
    const created = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id } ${USER_ERRORS} } }`, { token: admin, variables: { input: {
      idempotencyKey: 'upload-host-0001', productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'upload host', applicant: { kind: 'PERSON', legalName: 'Upload Host' },
    } } });
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    expect(created.data!['createApplication'].userErrors).toEqual([]);
    const before = await written();
    for (const header of ['', '   ', 'short']) {
      const form = new FormData();
      form.append('kind', 'other');
      form.append('file', new Blob(['%PDF-1.7\n%%EOF\n'], { type: 'application/pdf' }), 'x.pdf');
      const response = await fetch(`${server.gateway.url.replace(/\/$/, '')}/applications/${encodeURIComponent(created.data!['createApplication'].application.id)}/documents`, {
        method: 'POST', body: form, headers: { authorization: `Bearer ${admin}`, 'idempotency-key': header },
      });
      expect(response.status, header).toBe(400);
      expect(((await response.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'Idempotency-Key' });
    }
    expect(await written()).toEqual(before);
  });
});

/**
 * What docs/partners.md promises of a mutation that creates a record under a name the caller chose: a repeat
 * without a key finds it. The same details again answer the same record and write nothing; other details under
 * the taken name are a CONFLICT naming each field that differs, with nothing written either.
 */
describe('a creation under a name the caller chose, sent again without a key', () => {
  const send = (mutation: string, input: Record<string, unknown>, selection: string) => {
    const type = `${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input`;
    return gql(server.gateway, `mutation($input: ${type}!) { ${mutation}(input: $input) { ${selection} ${USER_ERRORS} } }`, { token: admin, variables: { input } });
  };
  /** The payload of an accepted request. */
  async function accepted(mutation: string, input: Record<string, unknown>, selection: string): Promise<Record<string, any>> {
    const response = await send(mutation, input, selection);
    expect(userErrors(response, mutation), mutation).toEqual([]);
    return response.data![mutation];
  }
  /** A refusal, checked to have written nothing. */
  async function refused(mutation: string, input: Record<string, unknown>): Promise<UserError[]> {
    const before = await written();
    const response = await send(mutation, input, '__typename');
    expect(await written()).toEqual(before);
    return userErrors(response, mutation);
  }
  /** The same request again: the same payload, nothing written. */
  async function repeated(mutation: string, input: Record<string, unknown>, selection: string): Promise<Record<string, any>> {
    const before = await written();
    const payload = await accepted(mutation, input, selection);
    expect(await written(), mutation).toEqual(before);
    return payload;
  }

  const product = { code: 'NAMED-P', name: 'Named product', currency: 'USD', terms: { annualRatePercent: '12', numberOfRepayments: 12, fees: { perInstalment: '2' } },
    limits: { minAmount: '100', maxAmount: '10000', minTenorMonths: 1, maxTenorMonths: 24 } };
  const PRODUCT = 'loanProduct { id name currentTerms { version annualRatePercent } }';

  const cases: Record<string, () => Promise<void>> = {
    async registerPartner() {
      const input = { code: 'named-acme', name: 'Acme Lending Marketplace', kind: 'ORIGINATION' };
      const SELECTION = 'clientSecret partner { id code name kind }';
      const first = await accepted('registerPartner', input, SELECTION);
      expect(await repeated('registerPartner', input, SELECTION)).toEqual({ ...first, clientSecret: null, userErrors: [] });
      // A new key for the same partner is a repeat too.
      expect(await repeated('registerPartner', { ...input, name: ' Acme Lending Marketplace ', idempotencyKey: 'named-acme-0002' }, SELECTION)).toEqual({ ...first, clientSecret: null, userErrors: [] });
      expect(await refused('registerPartner', { ...input, name: 'Acme', kind: 'COLENDING' })).toEqual([{
        code: 'CONFLICT', reason: null, field: 'input.name', message: 'partner named-acme already exists with a different name, kind',
      }]);
    },
    async openLedgerAccount() {
      const input = { code: 'NAMED-1190', name: 'Cash in transit', kind: 'ASSET' };
      const first = await accepted('openLedgerAccount', input, 'ledgerAccount { code name kind }');
      expect(await repeated('openLedgerAccount', input, 'ledgerAccount { code name kind }')).toEqual(first);
      expect(await refused('openLedgerAccount', { ...input, kind: 'LIABILITY' })).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.kind', message: 'ledger account NAMED-1190 already exists with a different kind' })]);
    },
    async createLoanProduct() {
      const first = await accepted('createLoanProduct', product, PRODUCT);
      // Terms the request leaves to their defaults, given as the defaults: the same product.
      expect(await repeated('createLoanProduct', { ...product, terms: { ...product.terms, interestType: 'DECLINING_BALANCE' } }, PRODUCT)).toEqual(first);
      expect(await refused('createLoanProduct', { ...product, name: 'Renamed', terms: { ...product.terms, annualRatePercent: '13' }, limits: { ...product.limits, maxAmount: '20000' } })).toEqual([
        expect.objectContaining({ code: 'CONFLICT', field: 'input.name', message: 'loan product NAMED-P already exists with a different name, terms.annualRatePercent, limits.maxAmount' }),
      ]);
    },
    async cloneLoanProduct() {
      const input = { fromCode: product.code, code: 'NAMED-C', name: 'Named copy' };
      const first = await accepted('cloneLoanProduct', input, PRODUCT);
      expect(await repeated('cloneLoanProduct', input, PRODUCT)).toEqual(first);
      expect(await refused('cloneLoanProduct', { ...input, limits: { ...product.limits, minTenorMonths: 3 } })).toEqual([
        expect.objectContaining({ code: 'CONFLICT', field: 'input.limits.minTenorMonths' }),
      ]);
      // Once the source's terms are revised, its copy is no longer what the clone would make; the original
      // creation, still what the product's first version holds, answers the product as it now stands.
      await accepted('reviseLoanProductTerms', { code: product.code, annualRatePercent: '11' }, 'loanProduct { code }');
      expect(await refused('cloneLoanProduct', input)).toEqual([
        expect.objectContaining({ code: 'CONFLICT', field: 'input.fromCode', message: 'loan product NAMED-C already exists with a different fromCode' }),
      ]);
      const revised = await repeated('createLoanProduct', product, PRODUCT);
      expect(revised['loanProduct']).toMatchObject({ name: 'Named product', currentTerms: { version: 2, annualRatePercent: '11' } });
    },
    async inviteStaffMember() {
      const input = { email: 'named@lender.example', displayName: 'Named Person', roles: ['LOAN_OFFICER', 'AUDITOR'] };
      const SELECTION = 'staffMember { id email displayName roles status } requiredActions invitationEmailSent';
      const first = await accepted('inviteStaffMember', input, SELECTION);
      expect(await repeated('inviteStaffMember', { ...input, email: 'Named@Lender.example', roles: ['AUDITOR', 'LOAN_OFFICER'] }, SELECTION)).toEqual({
        ...first, requiredActions: [], invitationEmailSent: false,
      });
      expect(await refused('inviteStaffMember', { ...input, roles: ['UNDERWRITER'] })).toEqual([
        expect.objectContaining({ code: 'CONFLICT', field: 'input.roles', message: 'staff member named@lender.example already exists with a different roles' }),
      ]);
      await accepted('deactivateStaffMember', { staffMemberId: first['staffMember'].id }, 'staffMember { status }');
      expect(await refused('inviteStaffMember', input)).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.email', message: expect.stringContaining('reactivate') })]);
    },
  };

  it('covers every such mutation: those named by the caller, and the keyed one whose key is optional', () => {
    const named = Object.entries(SAFE_TO_REPEAT_WITHOUT_A_KEY).filter(([, why]) => why === 'named by the caller').map(([name]) => name);
    // createTenant's repeats: test/gateway.test.ts and test/tenancy/onboarding.test.ts.
    expect(Object.keys(cases).sort()).toEqual([...named.filter((name) => name !== 'createTenant'), 'registerPartner'].sort());
  });

  for (const [mutation, run] of Object.entries(cases)) it(mutation, run);

  it('sent several times at once: every one answers the same record, one is made, none fails', async () => {
    // The requests meet at the insert: each found the name free, and all but one find it taken by the time they
    // write. That is a repeat too, not an internal error.
    for (const [round, [mutation, input, selection]] of ([
      ['openLedgerAccount', { code: 'RACE-1191', name: 'Suspense', kind: 'ASSET' }, 'ledgerAccount { code name kind }'],
      ['registerPartner', { code: 'race-acme', name: 'Race Marketplace', kind: 'ORIGINATION' }, 'partner { id code name kind }'],
      ['createLoanProduct', { ...product, code: 'RACE-P' }, 'loanProduct { id name }'],
    ] as const).entries()) {
      const answers = await Promise.all(Array.from({ length: 6 }, () => send(mutation, input, selection)));
      for (const answer of answers) expect(answer.errors, `${round} ${JSON.stringify(answer.errors)}`).toBeUndefined();
      const payloads = answers.map((answer) => answer.data![mutation]);
      for (const payload of payloads) expect(payload.userErrors).toEqual([]);
      expect(new Set(payloads.map((payload) => JSON.stringify(payload)))).toHaveProperty('size', 1);
    }
  });
});

describe('a partner registered again', () => {
  it('never has its secret shown again, nor the identity provider asked again', async () => {
    const asked: string[] = [];
    const identity = {
      ...developmentIdentity,
      async registerPartner(tenantSlug: string, partner: { code: string }) {
        asked.push(partner.code);
        return { clientId: `partner-${tenantSlug}--${partner.code}`, secret: 'the-one-secret' };
      },
    };
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const command = { tenant: tenant.slug, actor: { subject: 'admin-keys', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'named' }, now: new Date() };
    const input = { code: 'named-secret', name: 'Secret Keeper', kind: 'origination' as const };
    expect((await registerPartner(db, identity, command, input)).clientSecret).toBe('the-one-secret');
    const before = await written();
    const again = await registerPartner(db, identity, command, input);
    expect(again).toMatchObject({ clientSecret: null, partner: { code: 'named-secret', name: 'Secret Keeper' } });
    expect(asked).toEqual(['named-secret']);
    expect(await written()).toEqual(before);
  });
});

describe('a partner registered twice at the same moment', () => {
  it('asks the identity provider once: it holds one client, and both are answered the same partner, the secret once', async () => {
    // An identity provider that, as Keycloak does, holds one client per client id and refuses a second: each
    // registration looks the client up, takes a moment (a call over the network, long enough for the other
    // registration to look too) and then makes it.
    const clients = new Map<string, string>();
    const asked: string[] = [];
    const identity = {
      ...developmentIdentity,
      async registerPartner(tenantSlug: string, partner: { code: string }) {
        asked.push(partner.code);
        const clientId = partnerClientId(tenantSlug, partner.code);
        const found = clients.get(clientId);
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (found) return { clientId, secret: found };
        if (clients.has(clientId)) throw new Error(`Client ${clientId} already exists`);
        clients.set(clientId, 'the-only-secret');
        return { clientId, secret: 'the-only-secret' };
      },
    };
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const command = { tenant: tenant.slug, actor: { subject: 'admin-keys', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'same-moment' }, now: new Date() };
    const input = { code: 'same-moment', name: 'Same Moment', kind: 'origination' as const };
    const answers = await Promise.all([registerPartner(db, identity, command, input), registerPartner(db, identity, command, input)]);
    expect(asked).toEqual(['same-moment']);
    expect([...clients.keys()]).toEqual([partnerClientId(tenant.slug, 'same-moment')]);
    expect(answers[1]!.partner).toEqual(answers[0]!.partner);
    expect(answers.map((answer) => answer.clientSecret)).toEqual(expect.arrayContaining(['the-only-secret', null]));
    expect(await db.partner.count({ where: { code: 'same-moment' } })).toBe(1);
  });
});
