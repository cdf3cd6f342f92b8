// docs/partners.md's quickstart is what a partner's developer copies on day one, so it must stay true: every
// GraphQL document in it validates against the schema, the commands name real options, and the quickstart's
// requests, run as written with the variables printed beside them, do what the text says.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, validate, type DocumentNode } from 'graphql';
import { buildSchema } from '../../src/graph/schema.js';
import { isRole } from '../../src/authz/roles.js';
import { partnerClientId } from '../../src/authz/partnerClient.js';
import { REALM } from '../../src/authz/keycloak/realm.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, type TestServer } from '../support/harness.js';
import { subscribe, until, type Subscriber } from '../support/ws.js';
import { uploadApplicationDocument } from '../support/applicationDocuments.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';

const root = path.resolve(import.meta.dirname, '../..');
const doc = readFileSync(path.join(root, 'docs/partners.md'), 'utf8');

interface Block { lang: string; text: string }
const blocks: Block[] = [...doc.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));

/** The guide's GraphQL documents by operation name, each with the JSON variables printed right after it, if any. */
const operations = new Map<string, { text: string; variables: Record<string, any> }>();
blocks.forEach((block, index) => {
  if (block.lang !== 'graphql') return;
  const name = /^(?:query|mutation|subscription)\s+(\w+)/m.exec(block.text)?.[1];
  if (!name) return;
  const next = blocks[index + 1];
  operations.set(name, { text: block.text, variables: next?.lang === 'json' ? JSON.parse(next.text) : {} });
});

function operation(name: string) {
  const found = operations.get(name);
  if (!found) throw new Error(`docs/partners.md has no operation ${name}`);
  return found;
}

const shellLines = blocks.filter((b) => b.lang === 'sh').flatMap((b) => b.text.split('\n'));

describe('the documents in docs/partners.md', () => {
  const schema = buildSchema();

  it('every ```graphql block parses and validates against the schema', () => {
    const graphqlBlocks = blocks.filter((b) => b.lang === 'graphql');
    expect(graphqlBlocks.length).toBeGreaterThanOrEqual(6);
    for (const block of graphqlBlocks) {
      let document: DocumentNode;
      try {
        document = parse(block.text);
      } catch (error) {
        throw new Error(`does not parse: ${(error as Error).message}\n${block.text}`);
      }
      expect(validate(schema, document).map((e) => e.message), block.text).toEqual([]);
    }
  });

  it('the inline queries of the shell commands validate too', () => {
    const inline = shellLines.flatMap((line) => [...line.matchAll(/"query":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string));
    expect(inline.length).toBeGreaterThan(0);
    for (const query of inline) expect(validate(schema, parse(query)).map((e) => e.message), query).toEqual([]);
  });

  it('the token commands name the realm\'s token endpoint, the partner\'s client id and real CLI options', () => {
    const tokenCurl = shellLines.find((line) => line.includes('/protocol/openid-connect/token'));
    expect(tokenCurl).toContain(`/realms/${REALM}/protocol/openid-connect/token`);
    expect(shellLines).toContain(`  -d client_id=${partnerClientId('demo', 'acme')} \\`);
    expect(shellLines).toContain('  -d grant_type=client_credentials \\');
    const devCommand = shellLines.find((line) => line.startsWith('npm run -s token -- '));
    const options = devCommand!.replace('npm run -s token -- ', '').split(/\s+/);
    const usage = readFileSync(path.join(root, 'src/cli/token.ts'), 'utf8');
    for (const option of options.filter((o) => o.startsWith('--'))) expect(usage).toContain(`${option} `);
    expect(isRole(options[options.indexOf('--role') + 1]!)).toBe(true);
  });
});

describe('the quickstart, run as written', () => {
  let server: TestServer;
  let tenant: TenantRecord;
  let partnerToken: string;
  let follower: Subscriber | undefined;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server.runtime, uniqueSlug('quickstart'), { sandbox: true });
  });
  afterAll(async () => {
    await follower?.stop();
    await server.close();
  });

  it('step 1: the lender registers the partner, whose client is partner-<tenant>-<code>', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const { text, variables } = operation('RegisterPartner');
    const response = await gql(server.gateway, text, { token: admin, variables });
    expect(response.errors).toBeUndefined();
    const code = variables['input']['code'] as string;
    expect(response.data!['registerPartner']).toMatchObject({
      clientSecret: null, // the development issuer has no client secrets, as the guide says
      partner: { code, kind: 'ORIGINATION', clientId: partnerClientId(tenant.slug, code), active: true },
      userErrors: [],
    });
    partnerToken = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: code, kind: 'origination' } });
  });

  it('step 2: the first request needs no tenant header; the token says who and which lender', async () => {
    const response = await gql(server.gateway, operation('WhoAmI').text, { token: partnerToken });
    expect(response.errors).toBeUndefined();
    expect(response.data!['viewer']).toMatchObject({ roles: ['ORIGINATION_PARTNER'], tenants: [tenant.slug], partner: { id: 'acme', kind: 'ORIGINATION' } });
    // The client the token stands for is the one registration answered (step 1).
    expect(response.data!['viewer'].clientId).toBe(partnerClientId(tenant.slug, 'acme'));
    expect(response.data!['currentTenant']['slug']).toBe(tenant.slug);
  });

  let applicationId: string;
  it('step 3 and 6: the application is submitted; the same key and input return it again, a new input under it is CONFLICT', async () => {
    const { text, variables } = operation('SubmitApplication');
    const first = await gql(server.gateway, text, { token: partnerToken, variables });
    expect(first.errors).toBeUndefined();
    expect(first.data!['createApplication'].userErrors).toEqual([]);
    const application = first.data!['createApplication'].application;
    expect(application).toMatchObject({ reference: expect.any(String), missingInformation: [], product: { code: 'PL-STD' } });
    expect(application.status).not.toBe('draft');
    applicationId = application.id;

    const again = await gql(server.gateway, text, { token: partnerToken, variables });
    expect(again.errors).toBeUndefined();
    expect(again.data!['createApplication'].application.id).toBe(applicationId);

    const changed = await gql(server.gateway, text, { token: partnerToken, variables: { input: { ...variables['input'], amount: '6000' } } });
    expect(userErrors(changed, 'createApplication').map((e) => e.code)).toEqual(['CONFLICT']);
    expect(changed.data!['createApplication'].application).toBeNull();
  });

  it('the document upload, as written, sends only what a partner holds and names no party (the main applicant\'s)', async () => {
    const command = blocks.find((b) => b.lang === 'sh' && b.text.includes('/documents'))!.text;
    const parts = [...command.matchAll(/-F '?(\w+)=([^'\s]*)/g)].map((m) => [m[1]!, m[2]!] as const);
    // A partner reads no party ids (Application.parties is staff only): an example naming one could not be followed.
    expect(parts.map(([name]) => name)).toEqual(['kind', 'file']);
    const key = /idempotency-key: ([^']+)'/.exec(command)![1]!;
    const form = new FormData();
    form.append('kind', parts[0]![1]);
    form.append('file', new Blob([Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n')], { type: 'application/pdf' }), 'passport.pdf');
    const response = await fetch(`${server.gateway.url}/applications/${encodeURIComponent(applicationId)}/documents`, {
      method: 'POST', body: form, headers: { authorization: `Bearer ${partnerToken}`, 'idempotency-key': key },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const staff = await devToken(server.runtime, 'loan-officer', tenant.slug);
    const stored = await gql(server.gateway, 'query($id: ID!) { node(id: $id) { ... on Application { documents { kind party { id } } } } }', { token: staff, variables: { id: applicationId } });
    expect(stored.errors).toBeUndefined();
    expect(stored.data!['node'].documents).toEqual([{ kind: 'proof_of_identity', party: null }]);
  });

  it('a command that ran while one field of its answer was withheld: the error names that field, below the mutation, and what it needs', async () => {
    const { text, variables } = operation('SubmitApplication');
    const input = { ...variables['input'], idempotencyKey: 'acme-app-2026-000125', externalReference: 'ACME-000125', declaredMonthlyIncome: '7000', monthlyDebtPayments: '200', applicant: { ...variables['input'].applicant, legalName: 'Grace Example', dateOfBirth: '1990-06-01', phone: '+14155550111', email: 'grace+bureau-prime@example.com', identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: '123-45-6790' }] } };
    const submitted = await gql(server.gateway, text, { token: partnerToken, variables: { input } });
    expect(submitted.data!['createApplication'].application.status, JSON.stringify(submitted)).toBe('APPROVED');
    const id = submitted.data!['createApplication'].application.id as string;
    const accepted = await gql(server.gateway, 'mutation($input: AcceptApplicationOfferInput!) { acceptApplicationOffer(input: $input) { application { status } userErrors { code } } }',
      { token: partnerToken, variables: { input: { applicationId: id, consentText: 'I have read the loan agreement and the APR, and I agree to borrow on these terms.' } } });
    expect(accepted.data!['acceptApplicationOffer']).toEqual({ application: { status: 'OFFER_ACCEPTED' }, userErrors: [] });

    const SIGN = 'mutation($input: SignApplicationAgreementInput!) { signApplicationAgreement(input: $input) { application { status parties { role party { id } } } userErrors { code reason field message } } }';
    const signed = await gql(server.gateway, SIGN, { token: partnerToken, variables: { input: { applicationId: id } } });
    // The answer's application is null and userErrors empty, as a refusal's would not be: the error's path goes
    // below the mutation's own field, to the one field a partner may not read.
    expect(signed.data!['signApplicationAgreement']).toEqual({ application: null, userErrors: [] });
    expect(signed.errors).toEqual([expect.objectContaining({
      message: 'Application.parties is not for this principal (it needs parties.read)',
      path: ['signApplicationAgreement', 'application', 'parties'],
      extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
    })]);
    // The command ran: the agreement is signed, and sending it again is refused as a move already made.
    const read = await gql(server.gateway, 'query($id: ID!) { node(id: $id) { ... on Application { status } } }', { token: partnerToken, variables: { id } });
    expect(read.data!['node']).toEqual({ status: 'AGREEMENT_SIGNED' });
    const again = await gql(server.gateway, SIGN.replace(' parties { role party { id } }', ''), { token: partnerToken, variables: { input: { applicationId: id } } });
    expect(userErrors(again, 'signApplicationAgreement')).toMatchObject([{ code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION' }]);
  });

  it('from the offer to the loan, as written: the partner reads the offer, accepts, signs and uploads; the lender verifies and pays out; the partner reads its loan, its schedule and its statement', async () => {
    const submit = operation('SubmitApplication');
    const input = { ...submit.variables['input'], idempotencyKey: 'acme-app-2026-000127', externalReference: 'ACME-000127', declaredMonthlyIncome: '7000', monthlyDebtPayments: '200', applicant: { ...submit.variables['input'].applicant, legalName: 'Hedy Example', dateOfBirth: '1988-11-09', phone: '+14155550112', email: 'hedy+bureau-prime@example.com', identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: '123-45-6791' }] } };
    const submitted = await gql(server.gateway, submit.text, { token: partnerToken, variables: { input } });
    const applicationId = submitted.data!['createApplication'].application.id as string;
    expect(submitted.data!['createApplication'].application.status, JSON.stringify(submitted)).toBe('APPROVED');
    // Each document run with the variables printed beside it, the application's id put in for its placeholder.
    const run = async (name: string, token: string, values: Record<string, string>) => {
      const { text, variables } = operation(name);
      const inInput = 'input' in variables;
      const printed = (inInput ? variables['input'] : variables) as Record<string, unknown>;
      for (const key of Object.keys(values)) expect(printed, `${name} prints ${key}`).toHaveProperty(key);
      const answer = await gql(server.gateway, text, { token, variables: inInput ? { input: { ...printed, ...values } } : { ...printed, ...values } });
      expect(answer.errors, `${name}: ${JSON.stringify(answer.errors)}`).toBeUndefined();
      return answer.data!;
    };

    const offer = (await run('ReadOffer', partnerToken, { applicationId }))['node'];
    expect(offer).toMatchObject({ status: 'APPROVED', offer: { status: 'OPEN', totalRepayable: expect.stringMatching(/ USD$/) } });
    expect(offer.documentChecklist.map((item: { kind: string }) => item.kind).sort()).toEqual(['proof_of_identity', 'proof_of_income']);
    const consentText = operation('AcceptOffer').variables['input'].consentText as string;
    expect(consentText.length).toBeGreaterThanOrEqual(20);
    const accepted = (await run('AcceptOffer', partnerToken, { applicationId }))['acceptApplicationOffer'];
    expect(accepted).toMatchObject({ application: { status: 'OFFER_ACCEPTED', offer: { status: 'ACCEPTED', consentSha256: createHash('sha256').update(consentText).digest('hex') } }, userErrors: [] });
    expect((await run('SignAgreement', partnerToken, { applicationId }))['signApplicationAgreement']).toEqual({ application: { status: 'AGREEMENT_SIGNED' }, userErrors: [] });

    // The lender's side: the loan officer verifies what the partner uploaded; two disbursement officers pay out.
    const officer = await devToken(server.runtime, 'loan-officer', tenant.slug);
    for (const kind of ['proof_of_identity', 'proof_of_income']) {
      const documentId = await uploadApplicationDocument(server.gateway.url, partnerToken, applicationId, kind);
      const reviewed = await gql(server.gateway, 'mutation($input: ReviewApplicationDocumentInput!) { reviewApplicationDocument(input: $input) { applicationDocument { status } userErrors { code message } } }', { token: officer, variables: { input: { documentId, verified: true } } });
      expect(reviewed.data!['reviewApplicationDocument']).toEqual({ applicationDocument: { status: 'VERIFIED' }, userErrors: [] });
    }
    const maker = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'maker@quickstart.example' });
    const checker = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'checker@quickstart.example' });
    const requested = await gql(server.gateway, 'mutation($input: RequestDisbursementInput!) { requestDisbursement(input: $input) { disbursementRequest { id } userErrors { code message } } }', { token: maker, variables: { input: { applicationId, disbursementDate: tenant.businessDate } } });
    expect(requested.data!['requestDisbursement'].userErrors).toEqual([]);
    const decided = await gql(server.gateway, 'mutation($input: DecideDisbursementInput!) { decideDisbursement(input: $input) { disbursementRequest { status } userErrors { code message } } }', { token: checker, variables: { input: { requestId: requested.data!['requestDisbursement'].disbursementRequest.id, approve: true } } });
    expect(decided.data!['decideDisbursement']).toEqual({ disbursementRequest: { status: 'APPROVED' }, userErrors: [] });

    const mine = (await run('MyLoan', partnerToken, { applicationId }))['node'];
    expect(mine).toMatchObject({ status: 'DISBURSED', loan: { status: 'ACTIVE', principal: '5000.00 USD', disbursementDate: tenant.businessDate, account: { asOf: tenant.businessDate } } });
    expect(mine.loan.account.instalments.map((instalment: { number: number }) => instalment.number)).toEqual(Array.from({ length: 12 }, (_, k) => k + 1));
    const statement = (await run('LoanStatement', partnerToken, { loanId: mine.loan.id, from: tenant.businessDate, to: tenant.businessDate }))['node'].statement;
    expect(statement).toMatchObject({ loanNumber: mine.loan.number, closing: { totalOwed: expect.stringMatching(/ USD$/) }, csvPath: expect.any(String), pdfPath: expect.any(String) });
    expect(statement.lines.length).toBeGreaterThan(0);
  });

  it('the webhook example\'s URL is a name reserved never to exist, and the local receiver\'s settings are the server\'s own', () => {
    expect(new URL(operation('RegisterWebhook').variables['input']['url']).hostname).toMatch(/\.example$/);
    const local = shellLines.find((line) => line.includes('OUTBOUND_ALLOW_PRIVATE_DESTINATIONS'))!;
    const settings = [...local.matchAll(/\b([A-Z_]+)=/g)].map((m) => m[1]!);
    expect(settings).toEqual(['OUTBOUND_ALLOW_PRIVATE_DESTINATIONS', 'OUTBOUND_ALLOWED_PORTS']);
    const config = readFileSync(path.join(root, 'src/config.ts'), 'utf8');
    for (const setting of settings) expect(config).toContain(`  ${setting}: `);
  });

  it('step 4: the subscription replays from after: "0", then delivers a new application live', async () => {
    follower = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${partnerToken}` }, operation('FollowApplications').text, { after: '0' });
    const seen = () => follower!.results.map((r) => r['data']?.['events']).filter(Boolean) as { cursor: string; aggregateId: string; type: string; payload: unknown }[];
    await until(() => seen().some((e) => e.aggregateId === applicationId));
    expect(follower.errors).toEqual([]);
    expect(seen().every((e) => e.type.length > 0 && typeof e.payload === 'object' && e.payload !== null)).toBe(true);

    const { text, variables } = operation('SubmitApplication');
    const second = await gql(server.gateway, text, { token: partnerToken, variables: { input: { ...variables['input'], idempotencyKey: 'acme-app-2026-000124', externalReference: 'ACME-000124' } } });
    expect(second.errors).toBeUndefined();
    // An event names its aggregate by the global id the API gave.
    const secondId = second.data!['createApplication'].application.id;
    await until(() => seen().some((e) => e.aggregateId === secondId));
    const cursors = seen().map((e) => Number(e.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
  });

  it('step 5: the partner registers its endpoint and gets the signing secret once; the test delivery document is the API\'s', async () => {
    const { text, variables } = operation('RegisterWebhook');
    const response = await gql(server.gateway, text, { token: partnerToken, variables });
    expect(response.errors).toBeUndefined();
    const registered = response.data!['registerWebhookEndpoint'];
    expect(registered.signingSecret).toMatch(/^whsec_/);
    expect(registered.userErrors).toEqual([]);
    expect(registered.webhookEndpoint).toMatchObject({ url: variables['input']['url'], eventTypes: ['application.*'], active: true });
    // Nothing is sent from this test: the endpoint is turned off at once (its URL's `.example` name is reserved and
    // never resolves, and webhook workers are off in tests besides).
    const off = await gql(server.gateway, 'mutation($id: ID!) { deactivateWebhookEndpoint(input: { id: $id }) { webhookEndpoint { active } userErrors { code } } }', { token: partnerToken, variables: { id: registered.webhookEndpoint.id } });
    expect(off.data?.['deactivateWebhookEndpoint']).toEqual({ webhookEndpoint: { active: false }, userErrors: [] });
  });
});
