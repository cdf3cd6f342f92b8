// A lender's check providers as versioned data through the API: drafted with a secret that is sealed at once and
// never appears in any answer, activated by someone other than the maker, and read by the next assessment. An
// active adapter this platform does not implement refuses assessment clearly instead of running in the sandbox.
// Bad input is refused naming the field with nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { openSecret } from '../../../src/tenancy/sealing.js';
import { databaseIdOf } from '../../../src/domain/globalId.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let maker: string;
let checker: string;
const answers: unknown[] = [];
const SECRET = 'bureau-api-key-Zq81-k7Wd';

const SETTINGS = 'id version status providers { kind provider endpointUrl accountReference secretSet secretLastFour } createdBy activationRequestedBy activatedBy';
const DRAFT = `mutation($input: DraftCheckProviderSettingsInput!) { draftCheckProviderSettings(input: $input) { checkProviderSettings { ${SETTINGS} } ${USER_ERRORS} } }`;
const REQUEST = `mutation($input: RequestCheckProviderSettingsActivationInput!) { requestCheckProviderSettingsActivation(input: $input) { checkProviderSettings { ${SETTINGS} } ${USER_ERRORS} } }`;
const DECIDE = `mutation($input: DecideCheckProviderSettingsActivationInput!) { decideCheckProviderSettingsActivation(input: $input) { checkProviderSettings { ${SETTINGS} } ${USER_ERRORS} } }`;

async function ask(query: string, token: string, variables?: Record<string, unknown>) {
  const response = await gql(server.gateway, query, { token, variables });
  answers.push(response);
  return response;
}

const sandbox = (kind: string) => ({ kind, provider: 'sandbox' });
const ADAPTER_BUREAU = [sandbox('KYC'), { kind: 'BUREAU', provider: 'http-adapter', endpointUrl: 'https://bureau.example.test/v2', accountReference: 'acct-77', secret: SECRET }, sandbox('INCOME'), sandbox('ESIGN')];

let people = 0;
function application(submit: boolean) {
  people += 1;
  return {
    productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'car repair', declaredMonthlyIncome: '30000', monthlyDebtPayments: '300', employer: 'Acme Corp', submit,
    applicant: {
      kind: 'PERSON', legalName: `Provider Person ${people}`, email: `prov${people}@example.test`, phone: `+1415558${String(3000 + people)}`,
      dateOfBirth: '1985-04-12', address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
      identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `PRV${String(100000 + people)}` }],
    },
  };
}
const CREATE = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id status } ${USER_ERRORS} } }`;

async function activate(providers: unknown[]): Promise<string> {
  const drafted = await ask(DRAFT, maker, { input: { providers } });
  expect(userErrors(drafted, 'draftCheckProviderSettings')).toEqual([]);
  const id = drafted.data!['draftCheckProviderSettings'].checkProviderSettings.id as string;
  expect(userErrors(await ask(REQUEST, maker, { input: { settingsId: id } }), 'requestCheckProviderSettingsActivation')).toEqual([]);
  const decided = await ask(DECIDE, checker, { input: { settingsId: id, approve: true } });
  expect(userErrors(decided, 'decideCheckProviderSettingsActivation')).toEqual([]);
  return id;
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('providers'), { sandbox: true, businessDate: '2026-12-01' });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
  maker = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-1' });
  checker = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-2' });
});
afterAll(async () => {
  await server.close();
});

describe('check provider settings', () => {
  it('bad input is refused naming the field, and nothing is written', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const cases: Array<[unknown[], string]> = [
      [[sandbox('KYC'), { kind: 'BUREAU', provider: 'http-adapter', endpointUrl: 'http://bureau.example.test' }, sandbox('INCOME'), sandbox('ESIGN')], 'input.providers[1].endpointUrl'],
      [[sandbox('KYC'), { kind: 'BUREAU', provider: 'http-adapter' }, sandbox('INCOME'), sandbox('ESIGN')], 'input.providers[1].endpointUrl'],
      // Inside our network, as a webhook endpoint there is refused: a private address, the metadata service, a bare name.
      [[sandbox('KYC'), { kind: 'BUREAU', provider: 'http-adapter', endpointUrl: 'https://10.0.0.5/x' }, sandbox('INCOME'), sandbox('ESIGN')], 'input.providers[1].endpointUrl'],
      [[sandbox('KYC'), sandbox('BUREAU'), { kind: 'INCOME', provider: 'http-adapter', endpointUrl: 'https://169.254.169.254/latest' }, sandbox('ESIGN')], 'input.providers[2].endpointUrl'],
      [[sandbox('KYC'), { kind: 'BUREAU', provider: 'http-adapter', endpointUrl: 'https://bureau-internal/v2' }, sandbox('INCOME'), sandbox('ESIGN')], 'input.providers[1].endpointUrl'],
      [[sandbox('KYC'), { kind: 'BUREAU', provider: ' ' }, sandbox('INCOME'), sandbox('ESIGN')], 'input.providers[1].provider'],
      [[sandbox('KYC'), sandbox('BUREAU'), sandbox('INCOME')], 'input.providers'],
      [[sandbox('KYC'), sandbox('KYC'), sandbox('INCOME'), sandbox('ESIGN')], 'input.providers[1].kind'],
    ];
    for (const [providers, field] of cases) {
      const refused = await ask(DRAFT, maker, { input: { providers } });
      expect(userErrors(refused, 'draftCheckProviderSettings')).toMatchObject([{ code: 'BAD_USER_INPUT', field }]);
    }
    // An unknown kind is not a CheckProviderKind: GraphQL refuses it before anything runs.
    const unknownKind = await ask(DRAFT, maker, { input: { providers: [{ kind: 'TELEPATHY', provider: 'sandbox' }] } });
    expect(codes(unknownKind)).toEqual(['BAD_USER_INPUT']);
    expect(await db.checkProviderSettings.count()).toBe(0);
    const none = await ask(`{ checkProviderSettings { id } }`, maker);
    expect(none.data).toEqual({ checkProviderSettings: null });
  });

  it('a secret is sealed, never returned; the maker cannot activate; an unimplemented adapter refuses assessment; a sandbox version lets the next application through', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const drafted = await ask(DRAFT, maker, { input: { providers: ADAPTER_BUREAU } });
    expect(userErrors(drafted, 'draftCheckProviderSettings')).toEqual([]);
    const settings = drafted.data!['draftCheckProviderSettings'].checkProviderSettings;
    expect(settings).toMatchObject({ version: 1, status: 'DRAFT', createdBy: 'admin-1' });
    expect(settings.providers).toEqual([
      { kind: 'KYC', provider: 'sandbox', endpointUrl: null, accountReference: null, secretSet: false, secretLastFour: null },
      { kind: 'BUREAU', provider: 'http-adapter', endpointUrl: 'https://bureau.example.test/v2', accountReference: 'acct-77', secretSet: true, secretLastFour: 'k7Wd' },
      { kind: 'INCOME', provider: 'sandbox', endpointUrl: null, accountReference: null, secretSet: false, secretLastFour: null },
      { kind: 'ESIGN', provider: 'sandbox', endpointUrl: null, accountReference: null, secretSet: false, secretLastFour: null },
    ]);

    // Sealed in the database: the plaintext is nowhere in the row, and the platform's key opens it.
    const row = await db.checkProviderSettings.findUniqueOrThrow({ where: { version: 1 } });
    expect(JSON.stringify(row)).not.toContain(SECRET);
    const sealed = (row.sealedSecrets as Record<string, string>)['bureau']!;
    expect(sealed.startsWith(`v2.${server.runtime.dataKey.current.id}.`)).toBe(true);
    expect(openSecret(server.runtime.dataKey, sealed)).toBe(SECRET);

    // Maker-checker: whoever asked cannot approve.
    const requested = await ask(REQUEST, maker, { input: { settingsId: settings.id } });
    expect(requested.data!['requestCheckProviderSettingsActivation'].checkProviderSettings).toMatchObject({ status: 'PENDING_ACTIVATION', activationRequestedBy: 'admin-1' });
    const selfApproved = await ask(DECIDE, maker, { input: { settingsId: settings.id, approve: true } });
    expect(userErrors(selfApproved, 'decideCheckProviderSettingsActivation')).toMatchObject([{ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER', field: 'input.settingsId' }]);
    expect((await db.checkProviderSettings.findUniqueOrThrow({ where: { version: 1 } })).status).toBe('pending_activation');

    const activated = await ask(DECIDE, checker, { input: { settingsId: settings.id, approve: true } });
    expect(activated.data!['decideCheckProviderSettingsActivation'].checkProviderSettings).toMatchObject({ status: 'ACTIVE', activatedBy: 'admin-2' });

    // The next application's assessment reads the active version: its bureau adapter is not implemented here,
    // so submitting is refused clearly rather than run in the sandbox, and nothing is written: no application
    // left submitted and never assessed.
    const applicationsBefore = await db.application.count();
    const refused = await ask(CREATE, officer, { input: application(true) });
    expect(userErrors(refused, 'createApplication')).toMatchObject([{ code: 'CONFLICT', reason: 'PROVIDER_NOT_IMPLEMENTED' }]);
    expect(userErrors(refused, 'createApplication')[0]!.message).toContain('bureau: http-adapter');
    expect(refused.data!['createApplication'].application).toBeNull();
    expect(await db.application.count()).toBe(applicationsBefore);
    expect(await db.applicationCheck.count()).toBe(0);
    // A draft may still be written; submitting it, or amending it with submit, is refused the same way and leaves it a draft.
    const draft = await ask(CREATE, officer, { input: application(false) });
    expect(userErrors(draft, 'createApplication')).toEqual([]);
    const draftId = draft.data!['createApplication'].application.id as string;
    const submitRefused = await ask(`mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { application { status } ${USER_ERRORS} } }`, officer,
      { input: { applicationId: draftId } });
    expect(userErrors(submitRefused, 'submitApplication')).toMatchObject([{ code: 'CONFLICT', reason: 'PROVIDER_NOT_IMPLEMENTED' }]);
    const amendRefused = await ask(`mutation($input: UpdateApplicationInput!) { updateApplication(input: $input) { application { status } ${USER_ERRORS} } }`, officer,
      { input: { applicationId: draftId, purpose: 'a new roof', submit: true } });
    expect(userErrors(amendRefused, 'updateApplication')).toMatchObject([{ code: 'CONFLICT', reason: 'PROVIDER_NOT_IMPLEMENTED' }]);
    const stillDraft = await db.application.findUniqueOrThrow({ where: { id: databaseIdOf(draftId, 'Application')! } });
    expect(stillDraft).toMatchObject({ status: 'draft' });
    expect(stillDraft.purpose).not.toBe('a new roof');
    expect(await db.applicationTransition.count({ where: { applicationId: stillDraft.id } })).toBe(1);
    expect(await db.applicationCheck.count()).toBe(0);

    // Version 2, all sandbox, activated by the other admin: the next application is assessed.
    const drafted2 = await ask(DRAFT, checker, { input: { providers: [sandbox('KYC'), sandbox('BUREAU'), sandbox('INCOME'), sandbox('ESIGN')] } });
    const id2 = drafted2.data!['draftCheckProviderSettings'].checkProviderSettings.id as string;
    await ask(REQUEST, checker, { input: { settingsId: id2 } });
    expect(userErrors(await ask(DECIDE, maker, { input: { settingsId: id2, approve: true } }), 'decideCheckProviderSettingsActivation')).toEqual([]);
    const versions = await ask(`{ checkProviderSettingsVersions { version status } }`, maker);
    expect(versions.data!['checkProviderSettingsVersions']).toEqual([{ version: 2, status: 'ACTIVE' }, { version: 1, status: 'RETIRED' }]);
    const assessed = await ask(CREATE, officer, { input: application(true) });
    expect(userErrors(assessed, 'createApplication')).toEqual([]);
    expect(assessed.data!['createApplication'].application.status).not.toBe('SUBMITTED');
    const draftSubmitted = await ask(`mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { application { status } ${USER_ERRORS} } }`, officer,
      { input: { applicationId: draftId } });
    expect(userErrors(draftSubmitted, 'submitApplication')).toEqual([]);
    expect(draftSubmitted.data!['submitApplication'].application.status).not.toMatch(/^(DRAFT|SUBMITTED)$/);
    expect(await db.applicationCheck.count()).toBeGreaterThan(0);

    const active = await ask(`{ checkProviderSettings { ${SETTINGS} } }`, maker);
    expect(active.data!['checkProviderSettings']).toMatchObject({ version: 2, status: 'ACTIVE' });

    // Audited, with events; the secret is in no answer, audit record or event.
    const audit = await db.auditRecord.findMany({ where: { entityType: 'CheckProviderSettings' }, orderBy: { recorded: 'asc' } });
    expect(audit.map((record) => record.action)).toEqual(expect.arrayContaining(['checkProviderSettings.draft', 'checkProviderSettings.requestActivation', 'checkProviderSettings.approveActivation']));
    const events = await db.outboxEvent.findMany({ where: { type: { startsWith: 'checkProviderSettings.' } } });
    expect(new Set(events.map((event) => event.type))).toEqual(new Set(['checkProviderSettings.drafted', 'checkProviderSettings.activationRequested', 'checkProviderSettings.activated', 'checkProviderSettings.retired']));
    expect(JSON.stringify([answers, audit, events], (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))).not.toContain(SECRET);
    expect(JSON.stringify(answers)).not.toContain(sealed);
  });

  it('an e-sign adapter the platform does not implement refuses signing, never signs in the sandbox instead', async () => {
    // Approved with an offer under sandbox checks (+bureau-prime), accepted by the borrower.
    const created = await ask(CREATE, officer, { input: { ...application(true), applicant: { ...application(true).applicant, email: `esign${people}+bureau-prime@example.test` } } });
    expect(userErrors(created, 'createApplication')).toEqual([]);
    const applicationId = created.data!['createApplication'].application.id as string;
    expect(created.data!['createApplication'].application.status).toBe('APPROVED');
    const MOVE = (name: string) => `mutation($input: ${name.charAt(0).toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { application { status } ${USER_ERRORS} } }`;
    const consentText = 'I have read the loan agreement, the pre-contract information and the APR, and I agree to borrow on these terms.';
    expect(userErrors(await ask(MOVE('acceptApplicationOffer'), officer, { input: { applicationId, consentText } }), 'acceptApplicationOffer')).toEqual([]);

    await activate([sandbox('KYC'), sandbox('BUREAU'), sandbox('INCOME'), { kind: 'ESIGN', provider: 'docusign-adapter', endpointUrl: 'https://esign.example.test/v1', secret: SECRET }]);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const documentsBefore = await db.applicationDocument.count();
    const refused = await ask(MOVE('signApplicationAgreement'), officer, { input: { applicationId } });
    expect(userErrors(refused, 'signApplicationAgreement')).toMatchObject([{ code: 'CONFLICT', reason: 'PROVIDER_NOT_IMPLEMENTED' }]);
    expect(userErrors(refused, 'signApplicationAgreement')[0]!.message).toContain('esign: docusign-adapter');
    expect(await db.applicationDocument.count()).toBe(documentsBefore);

    // Back to the sandbox e-sign: the agreement is signed.
    await activate([sandbox('KYC'), sandbox('BUREAU'), sandbox('INCOME'), sandbox('ESIGN')]);
    const signed = await ask(MOVE('signApplicationAgreement'), officer, { input: { applicationId } });
    expect(userErrors(signed, 'signApplicationAgreement')).toEqual([]);
    expect(signed.data!['signApplicationAgreement'].application.status).toBe('AGREEMENT_SIGNED');
  });
});
