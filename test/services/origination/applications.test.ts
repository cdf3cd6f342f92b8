// Applications from every channel and the parties behind them: one party per real person (reconciled by
// identifier, or by phone and e-mail, with the same name and date of birth, the reason recorded; a partial
// match held for review), identifiers sealed and shown masked (unmasked
// reads audited), input checked against the product naming the field, bulk uploads all-or-nothing with a report
// per row, and status moves through the transition table with history, events and audit records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globalIdOf } from '../../../src/domain/globalId.js';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { registerPartner } from '../../../src/services/partners.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrorCodes, userErrors, USER_ERRORS, type TestServer, type UserError } from '../../support/harness.js';
import { apiCalls } from '../../support/apiCalls.js';
import { dateInZone } from '../../../src/domain/businessDate.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let underwriter: string;
let partner: string;
const raw = (id: string) => decodeGlobalID(id).id;
/** The distinct code and reason pairs of some user errors, e.g. ['BAD_USER_INPUT MISSING_INFORMATION']. */
const kindsOf = (refusals: UserError[]) => [...new Set(refusals.map((e) => `${e.code} ${e.reason}`))];

const CREATE = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id reference status channel amount originationPartnerCode
  history { from to event } } ${USER_ERRORS} } }`;

const person = (over: Record<string, unknown> = {}) => ({
  kind: 'PERSON', legalName: 'Ada Lovelace', email: 'ada@example.test', phone: '+1 415 555 0100', dateOfBirth: '1990-12-10',
  identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: '123-45-6789' }], ...over,
});
const application = (over: Record<string, unknown> = {}) => ({
  productCode: 'PL-STD', amount: '8000', numberOfRepayments: 24, purpose: 'home improvement', applicant: person(), declaredMonthlyIncome: '5200', ...over,
});

async function create(input: Record<string, unknown>, token = officer) {
  const response = await gql(server.gateway, CREATE, { token, variables: { input } });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.data!['createApplication'].userErrors).toEqual([]);
  return response.data!['createApplication'].application;
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('apps'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  for (const code of ['fintech', 'othertech']) {
    await registerPartner(db, server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code, name: code, kind: 'origination' });
  }
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
  underwriter = await devToken(server.runtime, 'underwriter', tenant.slug, { subject: 'underwriter-1' });
  partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
});
afterAll(async () => {
  await server.close();
});

describe('parties', () => {
  it('the same identifier, or the same phone and e-mail, with the same name and date of birth resolves to one party with the reason recorded', async () => {
    const first = await create(application());
    const byIdentifier = await create(application({ applicant: person({ legalName: 'ADA  lovelace', email: 'ada.king@example.test', phone: '+14155550199' }) }), partner);
    const byContact = await create(application({ applicant: person({ legalName: 'Ada Lovelace', phone: '(415) 555-0100', email: ' ADA@example.test ', identifiers: [] }) }));
    const someoneElse = await create(application({ applicant: person({ legalName: 'Grace Hopper', email: 'grace@example.test', phone: '+14155550111', identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: '987654321' }] }) }));
    // Partial matches: the identifier under another name, the phone and e-mail with another date of birth.
    const otherName = await create(application({ applicant: person({ legalName: 'Ada King', email: 'ada.k@example.test', phone: '+14155550198' }) }), partner);
    const otherBirth = await create(application({ applicant: person({ dateOfBirth: '1991-12-10', identifiers: [] }) }));
    const partyOf = async (id: string) => {
      const r = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Application { parties { role party { id matches { reason detail channel }
        matchReviews { candidate { id } signals conflicts status } } } } } }`, { token: underwriter, variables: { id } });
      expect(r.errors).toBeUndefined();
      return r.data!['node'].parties[0].party;
    };
    const parties = await Promise.all([first, byIdentifier, byContact, someoneElse, otherName, otherBirth].map((a) => partyOf(a.id)));
    expect(new Set(parties.slice(0, 3).map((p) => p.id)).size).toBe(1);
    expect(parties[3].id).not.toBe(parties[0].id);
    expect(parties[0].matches.map((m: any) => m.reason)).toEqual(['NEW', 'IDENTIFIER', 'PHONE_AND_EMAIL']);
    expect(parties[0].matches[1]).toEqual({ reason: 'IDENTIFIER', detail: 'national_id US', channel: 'PARTNER' });
    // Neither partial match joins Ada's party: each is a party of its own, held for review against hers.
    expect(parties[4].id).not.toBe(parties[0].id);
    expect(parties[5].id).not.toBe(parties[0].id);
    expect(parties[4].matchReviews).toEqual([{ candidate: { id: parties[0].id }, signals: ['identifier'], conflicts: ['legal_name'], status: 'OPEN' }]);
    expect(parties[5].matchReviews).toEqual([{ candidate: { id: parties[0].id }, signals: ['phone_and_email'], conflicts: ['date_of_birth'], status: 'OPEN' }]);
    expect(parties[4].matches).toEqual([{ reason: 'NEW', detail: 'held for review: resembles another party', channel: 'PARTNER' }]);
  });

  it('identifiers are sealed at rest, masked when read, in full only for roles that may, and every unmasked read is audited', async () => {
    const created = await create(application({ applicant: person({ legalName: 'Mask Test', email: 'mask@example.test', phone: '+14155550122', identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: '555-66-7777' }] }) }));
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const link = await db.applicationParty.findFirstOrThrow({ where: { applicationId: raw(created.id) } });
    const stored = await db.partyIdentifier.findFirstOrThrow({ where: { partyId: link.partyId } });
    expect(stored.sealed).not.toContain('5556');
    expect(stored.lookupHash).not.toContain('5556');
    const QUERY = `query($id: ID!) { node(id: $id) { ... on Party { identifiers { kind value } } } }`;
    const masked = await gql(server.gateway, QUERY, { token: officer, variables: { id: Buffer.from(`Party:${link.partyId}`).toString('base64') } });
    expect(masked.data!['node'].identifiers).toEqual([{ kind: 'NATIONAL_ID', value: '••••7777' }]);
    const UNMASKED = `query($id: ID!) { node(id: $id) { ... on Party { unmaskedIdentifiers { kind value } } } }`;
    const refused = await gql(server.gateway, UNMASKED, { token: officer, variables: { id: Buffer.from(`Party:${link.partyId}`).toString('base64') } });
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    const before = await db.auditRecord.count({ where: { entityId: link.partyId, action: 'party.personalData.read' } });
    const full = await gql(server.gateway, UNMASKED, { token: underwriter, variables: { id: Buffer.from(`Party:${link.partyId}`).toString('base64') } });
    expect(full.data!['node'].unmaskedIdentifiers).toEqual([{ kind: 'NATIONAL_ID', value: '555667777' }]);
    const reads = await db.auditRecord.findMany({ where: { entityId: link.partyId, action: 'party.personalData.read' } });
    expect(reads.length).toBe(before + 1);
    expect(reads.at(-1)!.after).toEqual({ fieldsRead: ['identifier:national_id:US'] });
  });
});

describe('applications', () => {
  it('checks input against the product, naming the field; nothing is written', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const count = await db.application.count();
    for (const [input, field] of [
      [application({ amount: '100' }), 'input.amount'],
      [application({ numberOfRepayments: 99 }), 'input.numberOfRepayments'],
      [application({ purpose: '' }), 'input.purpose'],
      [application({ productCode: 'NOPE' }), 'input.productCode'],
      [application({ applicant: person({ phone: '12' }) }), 'input.applicant.phone'],
      [application({ applicant: person({ email: 'not-an-email' }) }), 'input.applicant.email'],
      // Two capitals that are no country ISO has assigned: a country is checked, not only its shape.
      [application({ applicant: person({ identifiers: [{ kind: 'NATIONAL_ID', country: 'QQ', value: '123-45-6789' }] }) }), 'input.applicant.identifiers[0].country'],
      [application({ applicant: person({ address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'XX' } }) }), 'input.applicant.address.country'],
      [application({ guarantors: [person({ legalName: 'Gia Guarantor', email: 'gia@example.test', phone: '+14155550177', identifiers: [], address: { lines: ['2 High Street'], city: 'Springfield', postalCode: '12345', country: 'ZZ' } })] }), 'input.guarantors[0].address.country'],
    ] as const) {
      const refused = await gql(server.gateway, CREATE, { token: officer, variables: { input } });
      expect(refused.status, field).toBe(200);
      // A code naming no product is NOT_FOUND, a value that does not fit BAD_USER_INPUT (docs/errors.md).
      expect(userErrors(refused, 'createApplication'), field).toEqual([expect.objectContaining({ code: field === 'input.productCode' ? 'NOT_FOUND' : 'BAD_USER_INPUT', field })]);
      expect(refused.data!['createApplication'].application).toBeNull();
    }
    // A value outside an enum never reaches the mutation: the variables are refused before it runs, naming the path.
    const unknownKind = await gql(server.gateway, CREATE, { token: officer, variables: { input: application({ guarantors: [person({ identifiers: [{ kind: 'shoe_size', country: 'US', value: '12345' }] })] }) } });
    expect(codes(unknownKind)).toEqual(['BAD_USER_INPUT']);
    expect(unknownKind.errors![0]!.extensions['field']).toBe('input.guarantors[0].identifiers[0].kind');
    expect(await db.application.count()).toBe(count);
  });

  it('a partner\'s application is its own; staff see all; another partner sees none of it', async () => {
    const mine = await create(application({ applicant: person({ legalName: 'Partner Client', email: 'pc@example.test', phone: '+14155550133', identifiers: [] }) }), partner);
    expect(mine).toMatchObject({ status: 'DRAFT', channel: 'PARTNER', originationPartnerCode: 'fintech' });
    expect(mine.history).toEqual([{ from: null, to: 'DRAFT', event: 'create' }]);
    const nodes = async (token: string) => (await gql(server.gateway, '{ applications(first: 100) { edges { node { id originationPartnerCode } } } }', { token })).data!['applications'].edges.map((e: any) => e.node);
    const list = async (token: string) => (await nodes(token)).map((n: any) => n.id);
    const theirs = await nodes(partner);
    expect(theirs.map((n: any) => n.id)).toContain(mine.id);
    expect(theirs.every((n: any) => n.originationPartnerCode === 'fintech')).toBe(true);
    expect((await nodes(officer)).some((n: any) => n.originationPartnerCode !== 'fintech')).toBe(true);
    expect(await list(officer)).toContain(mine.id);
    const other = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'othertech', kind: 'origination' } });
    expect(await list(other)).toEqual([]);
    const withdraw = await gql(server.gateway, `mutation($input: WithdrawApplicationInput!) { withdrawApplication(input: $input) { application { status } ${USER_ERRORS} } }`, { token: other, variables: { input: { applicationId: mine.id } } });
    expect(userErrorCodes(withdraw, 'withdrawApplication')).toEqual(['BAD_USER_INPUT']);
    expect(withdraw.data!['withdrawApplication'].application).toBeNull();
  });

  it('moves only as the transition table allows; every move leaves history, an event and an audit record', async () => {
    const created = await create(application({ applicant: person({ legalName: 'Flow Test', email: 'flow@example.test', phone: '+14155550144', identifiers: [] }) }));
    const MOVE = (name: string) => `mutation($input: ${name.charAt(0).toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { application { status history { to event reason } } ${USER_ERRORS} } }`;
    // The draft lacks what the checks need (no identifier, address, employer): submitting it is refused, nothing moves.
    const submitted = await gql(server.gateway, MOVE('submitApplication'), { token: officer, variables: { input: { applicationId: created.id } } });
    expect(kindsOf(userErrors(submitted, 'submitApplication'))).toEqual(['BAD_USER_INPUT MISSING_INFORMATION']);
    const withdrawn = await gql(server.gateway, MOVE('withdrawApplication'), { token: officer, variables: { input: { applicationId: created.id, reason: 'found cheaper credit' } } });
    expect(withdrawn.data!['withdrawApplication'].application).toMatchObject({ status: 'WITHDRAWN' });
    expect(withdrawn.data!['withdrawApplication'].application.history).toEqual([{ to: 'DRAFT', event: 'create', reason: null }, { to: 'WITHDRAWN', event: 'withdraw', reason: 'found cheaper credit' }]);
    const again = await gql(server.gateway, MOVE('submitApplication'), { token: officer, variables: { input: { applicationId: created.id } } });
    expect(userErrors(again, 'submitApplication')).toEqual([expect.objectContaining({ code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION' })]);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const events = await db.outboxEvent.findMany({ where: { aggregateId: created.id }, orderBy: { recorded: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['application.created', 'application.withdrawn']);
    const audit = await db.auditRecord.findMany({ where: { entityId: raw(created.id) }, orderBy: { recorded: 'asc' } });
    expect(audit.map((a) => [a.action, (a.after as { status?: string } | null)?.status])).toEqual([['application.create', 'draft'], ['application.withdraw', 'withdrawn']]);
  });

  it('a move the transition table refuses names the application the caller sent, whichever mutation asked for it', async () => {
    const approved = await create(application({ submit: true, employer: 'Refusal Ltd', applicant: person({
      legalName: 'Rhoda Refused', email: 'rhoda+bureau-prime@example.test', phone: '+14155550166', dateOfBirth: '1982-02-02',
      identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: 'RFSD1001' }], address: { lines: ['1 Refusal Road'], city: 'Springfield', postalCode: '12345', country: 'US' },
    }) }));
    expect(approved.status).toBe('APPROVED');
    const withdrawn = await gql(server.gateway, `mutation($input: WithdrawApplicationInput!) { withdrawApplication(input: $input) { application { status } ${USER_ERRORS} } }`, { token: officer, variables: { input: { applicationId: approved.id } } });
    expect(withdrawn.data!['withdrawApplication']).toEqual({ application: { status: 'WITHDRAWN' }, userErrors: [] });
    const applicationId = approved.id;
    for (const [name, input] of [
      ['submitApplication', { applicationId }],
      ['withdrawApplication', { applicationId }],
      ['assessApplication', { applicationId }],
      ['acceptApplicationOffer', { applicationId, consentText: 'I have read the offer and the APR, and I agree to borrow on these terms.' }],
    ] as const) {
      const refused = await gql(server.gateway, `mutation($input: ${name.charAt(0).toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { application { status } ${USER_ERRORS} } }`, { token: officer, variables: { input } });
      expect(refused.errors, JSON.stringify(refused.errors)).toBeUndefined();
      expect(userErrors(refused, name), name).toEqual([expect.objectContaining({ code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION', field: 'input.applicationId' })]);
      expect(refused.data![name].application, name).toBeNull();
    }
  });

  it('a bulk upload imports every row or none, with a report per row', async () => {
    const header = 'productCode,amount,numberOfRepayments,purpose,applicantKind,applicantLegalName,applicantEmail,applicantPhone,applicantDateOfBirth,applicantNationalId,applicantIdCountry,declaredMonthlyIncome,monthlyDebtPayments,externalReference';
    const good = (k: number) => `PL-STD,${5000 + k},12,"car, used",PERSON,Bulk Person ${k},bulk${k}@example.test,+1415555${String(1000 + k)},1985-01-0${k + 1},BULK${1000 + k},US,4000,200,ext-${k}`;
    const IMPORT = `mutation($input: ImportApplicationsInput!) { importApplications(input: $input) { imported rows { row reference errors } ${USER_ERRORS} } }`;
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = await db.application.count();
    const bad = await gql(server.gateway, IMPORT, { token: officer, variables: { input: { csv: [header, good(1), 'PL-STD,5,12,car,PERSON,Tiny,t@example.test,+14155559999,,,,,,', good(2)].join('\n') } } });
    expect(bad.errors).toBeUndefined();
    // Faulty rows are the report, not a refusal of the upload.
    expect(bad.data!['importApplications'].userErrors).toEqual([]);
    expect(bad.data!['importApplications'].imported).toBe(0);
    expect(bad.data!['importApplications'].rows).toEqual([
      { row: 1, reference: null, errors: [] },
      { row: 2, reference: null, errors: [expect.stringMatching(/^amount: /)] },
      { row: 3, reference: null, errors: [] },
    ]);
    expect(await db.application.count()).toBe(before);
    // A cell is read as the API reads the same field: no exponent, sign, bare point or hex in an amount, digits
    // alone in a count. Each such row is at fault, naming its column; nothing is imported.
    const cell = (amount: string, repayments: string, income: string) => `PL-STD,${amount},${repayments},car,PERSON,Odd Cells,odd@example.test,+14155558888,1985-01-01,ODD1000,US,${income},200,`;
    const odd = await gql(server.gateway, IMPORT, { token: officer, variables: { input: { csv: [
      header, cell('5e3', '12', '4000'), cell('+5000', '12', '4000'), cell('.5e4', '12', '4000'), cell('0x1388', '12', '4000'),
      cell('5000', '1.2e1', '4000'), cell('5000', '12.0', '4000'), cell('5000', '0xc', '4000'), cell('5000', '12', '8e3'), good(1),
      cell('5000', '12', '4000').replace('PL-STD', 'NOPE'),
    ].join('\n') } } });
    expect(odd.data!['importApplications'].imported).toBe(0);
    expect(odd.data!['importApplications'].rows.map((r: { errors: string[] }) => r.errors.map((e) => e.split(':')[0]))).toEqual([
      ['amount'], ['amount'], ['amount'], ['amount'], ['numberOfRepayments'], ['numberOfRepayments'], ['numberOfRepayments'], ['declaredMonthlyIncome'], [],
      ['productCode'],
    ]);
    expect(await db.application.count()).toBe(before);
    const ok = await gql(server.gateway, IMPORT, { token: partner, variables: { input: { csv: [header, good(1), good(2), good(3)].join('\r\n') } } });
    expect(ok.data!['importApplications'].userErrors).toEqual([]);
    expect(ok.data!['importApplications'].imported).toBe(3);
    expect(ok.data!['importApplications'].rows.map((r: any) => r.reference)).toEqual([expect.stringMatching(/^APP-/), expect.stringMatching(/^APP-/), expect.stringMatching(/^APP-/)]);
    const imported = await db.application.findMany({ where: { channel: 'bulk' } });
    expect(imported).toHaveLength(3);
    expect(imported.every((a) => a.status === 'submitted' && a.originationPartner === 'fintech' && a.purpose === 'car, used')).toBe(true);
  });

  it('a bulk upload repeated with its idempotency key gets the first report back, never a second import; a file with a faulty row leaves the key free', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-1' });
    // A product of this test's own, retired once imported: a repeat must not depend on the rows passing the checks again.
    const cloned = await gql(server.gateway, `mutation($input: CloneLoanProductInput!) { cloneLoanProduct(input: $input) { loanProduct { code } ${USER_ERRORS} } }`,
      { token: admin, variables: { input: { fromCode: 'PL-STD', code: 'PL-KEYED', name: 'Keyed uploads' } } });
    expect(userErrors(cloned, 'cloneLoanProduct')).toEqual([]);
    const header = 'productCode,amount,numberOfRepayments,purpose,applicantKind,applicantLegalName,applicantEmail,applicantPhone,applicantDateOfBirth,applicantNationalId,applicantIdCountry,declaredMonthlyIncome';
    const good = (k: number) => `PL-KEYED,${6000 + k},12,keyed upload,PERSON,Keyed Person ${k},keyed${k}@example.test,+1415555${String(4000 + k)},1986-02-0${k},KEYD${1000 + k},US,4500`;
    const faulty = [header, good(1), 'PL-KEYED,5,12,keyed upload,PERSON,Keyed Tiny,keyed-tiny@example.test,+14155554999,1986-02-09,KEYD1009,US,4500'].join('\n');
    const corrected = [header, good(1), good(2)].join('\n');
    const IMPORT = `mutation($input: ImportApplicationsInput!) { importApplications(input: $input) { imported rows { row reference errors } ${USER_ERRORS} } }`;
    const upload = async (token: string, csv: string, idempotencyKey = 'keyed-upload-1') => {
      const response = await gql(server.gateway, IMPORT, { token, variables: { input: { idempotencyKey, csv } } });
      return { refusals: userErrors(response, 'importApplications'), report: response.data!['importApplications'] };
    };
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const uploaded = () => db.application.findMany({ where: { purpose: 'keyed upload' }, orderBy: { number: 'asc' } });

    // A faulty row: the report, nothing written and no key kept, so the same file gets the same report again.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await upload(partner, faulty);
      expect(refused.refusals).toEqual([]);
      expect(refused.report).toMatchObject({ imported: 0, rows: [{ row: 1, reference: null, errors: [] }, { row: 2, reference: null, errors: [expect.stringMatching(/^amount: /)] }] });
    }
    expect(await uploaded()).toEqual([]);
    expect(await db.idempotencyKey.count({ where: { key: 'keyed-upload-1' } })).toBe(0);

    // The corrected file under the same key imports; repeated, it answers the same report and imports nothing more.
    const first = await upload(partner, corrected);
    expect(first.refusals).toEqual([]);
    expect(first.report.imported).toBe(2);
    const references = first.report.rows.map((r: { reference: string }) => r.reference);
    expect(references).toEqual([expect.stringMatching(/^APP-/), expect.stringMatching(/^APP-/)]);
    const again = await upload(partner, corrected);
    expect(again).toEqual(first);
    const imported = await uploaded();
    expect(imported.map((a) => a.reference)).toEqual(references);
    const stored = await db.idempotencyKey.findFirstOrThrow({ where: { key: 'keyed-upload-1' } });
    expect(stored.response).toEqual({ imported: 2, rows: imported.map((a, k) => ({ row: k + 1, applicationId: a.id, reference: a.reference, errors: [] })) });

    // Another file under the same key is refused, naming the key; nothing is written.
    const other = await upload(partner, [header, good(1), good(3)].join('\n'));
    expect(other.refusals).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.idempotencyKey' })]);
    expect(await uploaded()).toHaveLength(2);

    // The same key and file from another partner is that partner's own import.
    const otherPartner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'othertech', kind: 'origination' } });
    const theirs = await upload(otherPartner, corrected);
    expect(theirs.refusals).toEqual([]);
    expect(theirs.report.imported).toBe(2);
    expect(theirs.report.rows.map((r: { reference: string }) => r.reference).some((r: string) => references.includes(r))).toBe(false);
    expect((await uploaded()).map((a) => a.originationPartner)).toEqual(['fintech', 'fintech', 'othertech', 'othertech']);

    // Retired since, the product would refuse the rows now: the repeat still gets the first report, and writes nothing.
    const retired = await gql(server.gateway, `mutation($input: RetireLoanProductInput!) { retireLoanProduct(input: $input) { loanProduct { code } ${USER_ERRORS} } }`,
      { token: admin, variables: { input: { code: 'PL-KEYED' } } });
    expect(userErrors(retired, 'retireLoanProduct')).toEqual([]);
    expect((await upload(partner, corrected, 'keyed-upload-2')).report.rows[0].errors).toEqual([expect.stringMatching(/^productCode: .*retired/)]);
    expect(await upload(partner, corrected)).toEqual(first);
    expect(await uploaded()).toHaveLength(4);
  });
});

describe('information the checks need', () => {
  const UPDATE = `mutation($input: UpdateApplicationInput!) { updateApplication(input: $input) { application { id status missingInformation history { to event reason } } ${USER_ERRORS} } }`;
  const complete = (n: number, over: Record<string, unknown> = {}) => person({
    legalName: `Complete Person ${n}`, email: `complete${n}@example.test`, phone: `+1415555${String(3000 + n)}`, dateOfBirth: '1984-06-0' + n,
    identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `CMPL${1000 + n}` }], address: { lines: [`${n} Complete Way`], city: 'Springfield', postalCode: '12345', country: 'US' }, ...over,
  });

  it('a submission without what the checks need is refused naming every missing field, and nothing is written', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const [applications, parties] = [await db.application.count(), await db.party.count()];
    const refused = await gql(server.gateway, CREATE, { token: partner, variables: { input: application({
      applicant: { kind: 'PERSON', legalName: 'Half Filled', email: 'half@example.test' }, declaredMonthlyIncome: null, submit: true,
    }) } });
    expect(refused.status).toBe(200);
    // One user error per missing field, in order, each with the same code, reason and message naming them all.
    const refusals = userErrors(refused, 'createApplication');
    expect(refusals.map((e) => e.field)).toEqual(['input.applicant.dateOfBirth', 'input.applicant.identifiers', 'input.applicant.phone', 'input.applicant.address', 'input.declaredMonthlyIncome', 'input.employer']);
    expect(kindsOf(refusals)).toEqual(['BAD_USER_INPUT MISSING_INFORMATION']);
    for (const refusal of refusals) expect(refusal.message).toMatch(/^the checks need applicant\.dateOfBirth, .* and employer: /);
    expect(refused.data!['createApplication'].application).toBeNull();
    expect([await db.application.count(), await db.party.count()]).toEqual([applications, parties]);
  });

  it('a draft is amended by the partner that brought it, refused to anyone else, and submitted once complete', async () => {
    const draft = await create(application({ applicant: { kind: 'PERSON', legalName: 'Draft Person', email: 'draft@example.test' } }), partner);
    const refusedSubmit = await gql(server.gateway, `mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { application { status } ${USER_ERRORS} } }`, { token: partner, variables: { input: { applicationId: draft.id } } });
    const missing = userErrors(refusedSubmit, 'submitApplication');
    expect(kindsOf(missing)).toEqual(['BAD_USER_INPUT MISSING_INFORMATION']);
    expect(missing.map((e) => e.field)).toEqual(expect.arrayContaining(['input.applicant.dateOfBirth', 'input.employer']));
    const other = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'othertech', kind: 'origination' } });
    const stranger = await gql(server.gateway, UPDATE, { token: other, variables: { input: { applicationId: draft.id, purpose: 'not yours' } } });
    expect(userErrors(stranger, 'updateApplication')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.applicationId' })]);
    // Still incomplete: submitting with the amendment is refused and the amendment is not kept either.
    const early = await gql(server.gateway, UPDATE, { token: partner, variables: { input: { applicationId: draft.id, purpose: 'early submit', submit: true } } });
    expect(kindsOf(userErrors(early, 'updateApplication'))).toEqual(['BAD_USER_INPUT MISSING_INFORMATION']);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await db.application.findUniqueOrThrow({ where: { id: raw(draft.id) } })).toMatchObject({ status: 'draft', purpose: 'home improvement' });
    const done = await gql(server.gateway, UPDATE, { token: partner, variables: { input: { applicationId: draft.id, applicant: complete(1, { email: 'draft@example.test' }), employer: 'Draft Ltd', submit: true } } });
    expect(done.errors, JSON.stringify(done.errors)).toBeUndefined();
    expect(done.data!['updateApplication'].userErrors).toEqual([]);
    expect(done.data!['updateApplication'].application.history.slice(0, 3).map((h: any) => h.event)).toEqual(['create', 'submit', 'start_checks']);
    expect(done.data!['updateApplication'].application.status).not.toBe('INFORMATION_REQUESTED');
    const decided = await gql(server.gateway, UPDATE, { token: partner, variables: { input: { applicationId: draft.id, purpose: 'too late' } } });
    expect(userErrors(decided, 'updateApplication')).toEqual([expect.objectContaining({ code: 'CONFLICT', reason: 'NOT_AMENDABLE' })]);
  });

  it('found missing when assessed (a bulk upload has no address or employer), it goes back with the reasons listed, is amended and resubmitted', async () => {
    const header = 'productCode,amount,numberOfRepayments,purpose,applicantKind,applicantLegalName,applicantEmail,applicantPhone,applicantDateOfBirth,applicantNationalId,applicantIdCountry,declaredMonthlyIncome';
    const uploaded = await gql(server.gateway, `mutation($input: ImportApplicationsInput!) { importApplications(input: $input) { imported ${USER_ERRORS} } }`, { token: partner, variables: { input: {
      csv: [header, 'PL-STD,6000,24,car,PERSON,Bulk Returned,returned@example.test,+14155553999,1983-03-03,RTRN1001,US,5000'].join('\n'),
    } } });
    expect(uploaded.data!['importApplications']).toEqual({ imported: 1, userErrors: [] });
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const row = await db.application.findFirstOrThrow({ where: { channel: 'bulk', purpose: 'car', originationPartner: 'fintech' }, orderBy: { createdAt: 'desc' } });
    const id = Buffer.from(`Application:${row.id}`).toString('base64');
    const assessed = await gql(server.gateway, `mutation($input: AssessApplicationInput!) { assessApplication(input: $input) { application { status missingInformation history { to event reason } } ${USER_ERRORS} } }`, { token: officer, variables: { input: { applicationId: id } } });
    expect(assessed.errors, JSON.stringify(assessed.errors)).toBeUndefined();
    expect(assessed.data!['assessApplication'].userErrors).toEqual([]);
    expect(assessed.data!['assessApplication'].application).toMatchObject({ status: 'INFORMATION_REQUESTED', missingInformation: ['applicant.address', 'employer'] });
    expect(assessed.data!['assessApplication'].application.history.at(-1)).toEqual({ to: 'INFORMATION_REQUESTED', event: 'request_information', reason: 'the checks need applicant.address and employer' });
    const event = await db.outboxEvent.findFirstOrThrow({ where: { aggregateId: globalIdOf('Application', row.id), type: 'application.informationRequested' } });
    expect(event).toMatchObject({ partnerScope: 'fintech', payload: { missingInformation: ['applicant.address', 'employer'] } });
    // The partner sees why, amends part of it (the list shrinks), then the rest with submit: it is assessed again.
    const seen = await gql(server.gateway, 'query($id: ID!) { node(id: $id) { ... on Application { status missingInformation } } }', { token: partner, variables: { id } });
    expect(seen.data!['node']).toEqual({ status: 'INFORMATION_REQUESTED', missingInformation: ['applicant.address', 'employer'] });
    const part = await gql(server.gateway, UPDATE, { token: partner, variables: { input: { applicationId: id, employer: 'Returned Inc' } } });
    expect(part.data!['updateApplication'].application).toMatchObject({ status: 'INFORMATION_REQUESTED', missingInformation: ['applicant.address'] });
    const resubmitted = await gql(server.gateway, UPDATE, { token: partner, variables: { input: { applicationId: id, submit: true, applicant: complete(2, {
      legalName: 'Bulk Returned', email: 'returned@example.test', phone: '+14155553999', dateOfBirth: '1983-03-03', identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: 'RTRN1001' }],
    }) } } });
    expect(resubmitted.errors, JSON.stringify(resubmitted.errors)).toBeUndefined();
    expect(resubmitted.data!['updateApplication'].userErrors).toEqual([]);
    expect(resubmitted.data!['updateApplication'].application.missingInformation).toEqual([]);
    expect(resubmitted.data!['updateApplication'].application.history.map((h: any) => h.event).slice(3, 6)).toEqual(['request_information', 'submit', 'start_checks']);
    expect(['APPROVED', 'REFERRED', 'DECLINED', 'UNDER_CHECKS', 'CHECKS_FAILED']).toContain(resubmitted.data!['updateApplication'].application.status);
  });

  it('an application returned for missing information and never amended lapses like a draft', async () => {
    const header = 'productCode,amount,numberOfRepayments,purpose,applicantKind,applicantLegalName,applicantEmail,applicantPhone,applicantDateOfBirth,applicantNationalId,applicantIdCountry,declaredMonthlyIncome';
    const imported = await gql(server.gateway, `mutation($input: ImportApplicationsInput!) { importApplications(input: $input) { imported ${USER_ERRORS} } }`, { token: officer, variables: { input: {
      csv: [header, 'PL-STD,6000,24,lapsing,PERSON,Bulk Lapsing,lapsing@example.test,+14155553888,1983-03-04,LPSE1001,US,5000'].join('\n'),
    } } });
    expect(imported.data!['importApplications']).toEqual({ imported: 1, userErrors: [] });
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const row = await db.application.findFirstOrThrow({ where: { purpose: 'lapsing' } });
    const id = Buffer.from(`Application:${row.id}`).toString('base64');
    const assessed = await gql(server.gateway, 'mutation($input: AssessApplicationInput!) { assessApplication(input: $input) { application { status } } }', { token: officer, variables: { input: { applicationId: id } } });
    expect(assessed.data!['assessApplication'].application.status).toBe('INFORMATION_REQUESTED');
    // Returned 31 business days before the business date, and nothing supplied since.
    expect(await db.application.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ informationRequestedOn: new Date('2026-12-01T00:00:00Z') });
    await db.application.update({ where: { id: row.id }, data: { informationRequestedOn: new Date('2026-10-31T00:00:00Z') } });
    const swept = await gql(server.gateway, `mutation { expireStaleApplications { expired { id } ${USER_ERRORS} } }`, { token: officer });
    expect(swept.errors, JSON.stringify(swept.errors)).toBeUndefined();
    expect(swept.data!['expireStaleApplications'].userErrors).toEqual([]);
    expect(swept.data!['expireStaleApplications'].expired.map((a: any) => a.id)).toContain(id);
    const after = await gql(server.gateway, 'query($id: ID!) { node(id: $id) { ... on Application { status history { to event reason } } } }', { token: officer, variables: { id } });
    expect(after.data!['node'].status).toBe('EXPIRED');
    expect(after.data!['node'].history.at(-1)).toEqual({ to: 'EXPIRED', event: 'expire', reason: 'the missing information was not supplied within 30 days' });
  });
});

describe('waiting by the lender\'s calendar', () => {
  it('a draft, or an application returned for missing information, lapses 30 business days after the business date it began waiting on, whatever the clock says', async () => {
    // A sandbox lender whose clock is moved a month ahead of the real one, as a partner trying its integration does.
    const lender = await createTenant(server.runtime, uniqueSlug('lapse'), { sandbox: true, businessDate: dateInZone(new Date(), 'UTC') });
    const admin = await devToken(server.runtime, 'tenant-admin', lender.slug);
    const { call, advance } = apiCalls(() => server);
    const made = async (input: Record<string, unknown>) => (await call(admin, CREATE, { input }))['createApplication'];
    const statusOf = async (id: string) => (await call(admin, 'query($id: ID!) { node(id: $id) { ... on Application { status history { event reason } } } }', { id }))['node'];
    const sweep = async () => (await call(admin, `mutation { expireStaleApplications { expired { id } ${USER_ERRORS} } }`))['expireStaleApplications'].expired.map((a: { id: string }) => a.id);

    const early = await made(application({ applicant: person({ legalName: 'Early Draft', email: 'early@example.test', identifiers: [] }) }));
    await advance(admin, 30);
    expect((await statusOf(early.application.id)).status).toBe('DRAFT');
    await advance(admin, 1);
    expect(await statusOf(early.application.id)).toMatchObject({ status: 'EXPIRED' });
    expect((await statusOf(early.application.id)).history.at(-1)).toEqual({ event: 'expire', reason: 'not submitted within 30 days' });
    const late = await gql(server.gateway, `mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { application { status } ${USER_ERRORS} } }`, { token: admin, variables: { input: { applicationId: early.application.id } } });
    expect(userErrors(late, 'submitApplication')).toEqual([{ code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION', field: 'input.applicationId', message: 'an application that is expired cannot submit' }]);

    // Made now, 31 business days on, though the clock has not moved a day: nothing of it has waited yet.
    const fresh = await made(application({ applicant: person({ legalName: 'Fresh Draft', email: 'fresh@example.test', identifiers: [] }) }));
    const header = 'productCode,amount,numberOfRepayments,purpose,applicantKind,applicantLegalName,applicantEmail,applicantPhone,applicantDateOfBirth,applicantNationalId,applicantIdCountry,declaredMonthlyIncome';
    await call(admin, `mutation($input: ImportApplicationsInput!) { importApplications(input: $input) { imported ${USER_ERRORS} } }`, { input: {
      csv: [header, 'PL-STD,6000,24,returned fresh,PERSON,Fresh Returned,fresh.returned@example.test,+14155554001,1983-03-05,FRSH1001,US,5000'].join('\n'),
    } });
    const returnedRow = await server.runtime.tenantClients.forSchema(lender.schemaName).application.findFirstOrThrow({ where: { purpose: 'returned fresh' } });
    const returned = globalIdOf('Application', returnedRow.id);
    const assessed = await call(admin, 'mutation($input: AssessApplicationInput!) { assessApplication(input: $input) { application { status } } }', { input: { applicationId: returned } });
    expect(assessed['assessApplication'].application.status).toBe('INFORMATION_REQUESTED');
    expect(await sweep()).toEqual([]);
    expect((await statusOf(fresh.application.id)).status).toBe('DRAFT');
    expect((await statusOf(returned)).status).toBe('INFORMATION_REQUESTED');

    // The velocity rule counts applications made in its window of business days: this one, made today, among them.
    const submitted = await made(application({ submit: true, employer: 'Velocity Ltd', applicant: person({
      legalName: 'Vera Velocity', email: 'vera@example.test', phone: '+14155554002', dateOfBirth: '1985-05-05',
      identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: 'VELO1001' }], address: { lines: ['1 Velocity Way'], city: 'Springfield', postalCode: '12345', country: 'US' },
    }) }));
    const decided = await call(admin, 'query($id: ID!) { node(id: $id) { ... on Application { decisions { input } } } }', { id: submitted.application.id });
    expect(decided['node'].decisions[0].input.duplicates).toMatchObject({ applicationsLastDays: 1, windowDays: 30 });
  });
});
