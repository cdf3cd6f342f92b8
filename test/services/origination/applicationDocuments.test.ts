// Documents: multipart upload over HTTP with size and type limits (the type checked on the bytes), SHA-256
// recorded, content stored once in PostgreSQL, the product's checklist moving missing → pending → satisfied,
// reviews (a rejection needs a reason), duplicate content across parties flagged, and partners kept to the
// applications they brought.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globalIdOf } from '../../../src/domain/globalId.js';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { MAX_DOCUMENT_BYTES } from '../../../src/services/origination/applicationDocuments.js';
import { registerPartner } from '../../../src/services/partners.js';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let base: string;
let tenant: TenantRecord;
let otherTenant: TenantRecord;
let officer: string;
let underwriter: string;
let partner: string;
let otherPartner: string;
let applicationId: string;
let applicantId: string;
let guarantorId: string;
const raw = (id: string) => decodeGlobalID(id).id;

const pdf = (text = randomBytes(8).toString('hex')) => Buffer.from(`%PDF-1.7\n% ${text}\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n`);
const png = () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]);

interface Upload {
  kind?: string; partyId?: string; bytes?: Buffer; type?: string; name?: string; token?: string; application?: string; idempotencyKey?: string;
  /** Parts sent after the file. */
  more?: [string, string | Blob][];
}

async function upload(options: Upload = {}) {
  const form = new FormData();
  if (options.kind !== undefined) form.append('kind', options.kind);
  if (options.partyId) form.append('partyId', options.partyId);
  const bytes = options.bytes ?? pdf();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: options.type ?? 'application/pdf' }), options.name ?? 'id-card.pdf');
  for (const [name, value] of options.more ?? []) form.append(name, value);
  const response = await fetch(`${base}/applications/${encodeURIComponent(options.application ?? applicationId)}/documents`, {
    method: 'POST', body: form, headers: { authorization: `Bearer ${options.token ?? partner}`, ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}) },
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const CHECKLIST = `query($id: ID!) { node(id: $id) { ... on Application { documentChecklist { kind status documents { id status } }
  documents { id kind status statusReason sha256 duplicateOfAnotherParty downloadPath } } } }`;
async function checklist(token = officer) {
  const response = await gql(server.gateway, CHECKLIST, { token, variables: { id: applicationId } });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return Object.fromEntries(response.data!['node'].documentChecklist.map((i: any) => [i.kind, i.status]));
}

const REVIEW = `mutation($input: ReviewApplicationDocumentInput!) { reviewApplicationDocument(input: $input) { applicationDocument { id status statusReason reviewedBy } ${USER_ERRORS} } }`;

beforeAll(async () => {
  server = await startTestServer();
  [tenant, otherTenant] = await Promise.all([
    createTenant(server.runtime, uniqueSlug('docs'), { sandbox: true, businessDate: '2026-12-01' }),
    createTenant(server.runtime, uniqueSlug('docs-other'), { sandbox: true }),
  ]);
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  for (const code of ['fintech', 'othertech']) {
    await registerPartner(db, server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code, name: code, kind: 'origination' });
  }
  // The product's checklist (sandbox tenants are seeded with it; kept here so the test states what it relies on).
  const product = await db.loanProduct.findUniqueOrThrow({ where: { code: 'PL-STD' } });
  await db.productDocumentRequirement.createMany({
    data: [
      { productId: product.id, kind: 'proof_of_identity', description: 'A government-issued photo identity document' },
      { productId: product.id, kind: 'proof_of_income', description: 'A recent payslip or three months of bank statements' },
    ],
    skipDuplicates: true,
  });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
  underwriter = await devToken(server.runtime, 'underwriter', tenant.slug, { subject: 'underwriter-1' });
  partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  otherPartner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'othertech', kind: 'origination' } });
  const created = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id } ${USER_ERRORS} } }`, {
    token: partner,
    variables: { input: {
      productCode: 'PL-STD', amount: '8000', numberOfRepayments: 24, purpose: 'home improvement', submit: true,
      declaredMonthlyIncome: '6500', monthlyDebtPayments: '300', employer: 'Acme Corp',
      applicant: {
        kind: 'PERSON', legalName: 'Docu Ment', email: 'docu+bureau-prime@example.test', phone: '+14155550170', dateOfBirth: '1985-04-12',
        address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
        identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: 'DOC100170' }],
      },
      guarantors: [{ kind: 'PERSON', legalName: 'Gua Rantor', email: 'gua@example.test', phone: '+14155550171' }],
    } },
  });
  expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
  expect(created.data!['createApplication'].userErrors).toEqual([]);
  applicationId = created.data!['createApplication'].application.id;
  const parties = await db.applicationParty.findMany({ where: { applicationId: raw(applicationId) } });
  applicantId = encodeGlobalID('Party', parties.find((p) => p.role === 'applicant')!.partyId);
  guarantorId = encodeGlobalID('Party', parties.find((p) => p.role === 'guarantor')!.partyId);
  base = server.gateway.url.replace(/\/$/, '');
});
afterAll(async () => {
  await server?.close();
});

describe('upload and download', () => {
  it('stores a PDF with its SHA-256, content once, an event the partner sees and an audit record', async () => {
    const bytes = pdf();
    const uploaded = await upload({ kind: 'proof_of_income', bytes, name: 'C:\\scans\\payslip (Nov).pdf' });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(uploaded.body).toMatchObject({ sha256, sizeBytes: bytes.length, duplicateOfAnotherParty: false });
    expect(decodeGlobalID(uploaded.body['id']).typename).toBe('ApplicationDocument');
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const row = await db.applicationDocument.findUniqueOrThrow({ where: { id: raw(uploaded.body['id']) } });
    expect(row).toMatchObject({ fileName: 'payslip (Nov).pdf', contentType: 'application/pdf', status: 'uploaded', storageKey: `sha256:${sha256}`, uploadedBy: expect.any(String), partyId: null });
    // The same bytes again (same party): one content row, no flag.
    const again = await upload({ kind: 'proof_of_income', bytes });
    expect(again.body['duplicateOfAnotherParty']).toBe(false);
    expect(await db.documentContent.count({ where: { storageKey: `sha256:${sha256}` } })).toBe(1);
    const events = await db.outboxEvent.findMany({ where: { type: 'application.documentUploaded', aggregateId: applicationId } });
    expect(events.find((e) => (e.payload as any).documentId === globalIdOf('ApplicationDocument', row.id))).toMatchObject({ partnerScope: 'fintech', payload: expect.objectContaining({ sha256, kind: 'proof_of_income', duplicateOfAnotherParty: false }) });
    expect(await db.auditRecord.count({ where: { entityId: row.id, action: 'application.document.upload' } })).toBe(1);

    const download = await fetch(`${base}${uploaded.body['downloadPath']}`, { headers: { authorization: `Bearer ${partner}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="payslip \(Nov\)\.pdf"/);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('refuses a file over the limit while it streams: 413, nothing stored', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = await db.applicationDocument.count();
    const big = Buffer.concat([pdf(), Buffer.alloc(MAX_DOCUMENT_BYTES + 1 - pdf().length, 0x20)]);
    expect(big.length).toBe(MAX_DOCUMENT_BYTES + 1);
    const refused = await upload({ kind: 'proof_of_income', bytes: big });
    expect(refused.status).toBe(413);
    expect(refused.body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file' });
    expect(await db.applicationDocument.count()).toBe(before);
    const sha256 = createHash('sha256').update(big).digest('hex');
    expect(await db.documentContent.count({ where: { storageKey: `sha256:${sha256}` } })).toBe(0);
    // The connection still serves the next request, and a file of exactly the limit is taken.
    expect((await upload({ kind: 'other' })).status).toBe(201);
    const most = Buffer.concat([pdf(), Buffer.alloc(MAX_DOCUMENT_BYTES - pdf().length, 0x20)]);
    expect(most.length).toBe(MAX_DOCUMENT_BYTES);
    expect((await upload({ kind: 'other', bytes: most })).status).toBe(201);
  });

  it('checks the type on the bytes, not only the declared type, naming the field', async () => {
    const disguised = await upload({ kind: 'other', bytes: png(), type: 'application/pdf', name: 'scan.pdf' });
    expect(disguised.status).toBe(400);
    expect(disguised.body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file', message: expect.stringContaining('image/png') });
    const exe = await upload({ kind: 'other', bytes: Buffer.concat([Buffer.from('MZ\x90\x00'), randomBytes(100)]), type: 'application/x-msdownload', name: 'setup.exe' });
    expect(exe.status).toBe(400);
    expect(exe.body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file' });
    const exeAsPdf = await upload({ kind: 'other', bytes: Buffer.concat([Buffer.from('MZ\x90\x00'), randomBytes(100)]), type: 'application/pdf', name: 'setup.pdf' });
    expect(exeAsPdf.body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file' });
    expect((await upload({ kind: 'payslip_of_the_cat' })).body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: 'kind' });
    expect((await upload({})).body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: 'kind' });
    const stranger = encodeGlobalID('Party', '00000000-0000-4000-8000-000000000000');
    expect((await upload({ kind: 'other', partyId: stranger })).body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: 'partyId' });
    const png200 = await upload({ kind: 'other', bytes: png(), type: 'image/png', name: 'photo.png' });
    expect(png200.status).toBe(201);
  });
});

describe('idempotency and closed applications', () => {
  it('the same Idempotency-Key and file gives the same document; another file under it is a CONFLICT', async () => {
    const bytes = pdf();
    const first = await upload({ kind: 'other', bytes, idempotencyKey: 'doc-upload-0001' });
    const again = await upload({ kind: 'other', bytes, idempotencyKey: 'doc-upload-0001' });
    expect(first.status).toBe(201);
    expect(again.body['id']).toBe(first.body['id']);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = await db.applicationDocument.count();
    const other = await upload({ kind: 'other', idempotencyKey: 'doc-upload-0001' });
    expect(other.status).toBe(409);
    // The key came in the header, so the refusal names the header, not a GraphQL input.
    expect(other.body['error']).toMatchObject({ code: 'CONFLICT', field: 'Idempotency-Key' });
    expect(await db.applicationDocument.count()).toBe(before);
  });

  it('refuses a part given twice, naming it, before anything is written', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const [documents, contents] = [await db.applicationDocument.count(), await db.documentContent.count()];
    const file = () => new Blob([new Uint8Array(pdf())], { type: 'application/pdf' });
    const twice: [string, Upload][] = [
      // The same value twice as well as two values: either is a client that does not send what it means.
      ['kind', { kind: 'proof_of_income', more: [['kind', 'other']] }],
      ['kind', { kind: 'other', more: [['kind', 'other']] }],
      ['partyId', { kind: 'proof_of_identity', partyId: applicantId, more: [['partyId', guarantorId]] }],
      ['file', { kind: 'other', more: [['file', file()]] }],
      ['file', { kind: 'other', more: [['file', 'a text part named file']] }],
      // A key already used with another file: the repeated part is refused before the key is looked at.
      ['file', { kind: 'other', idempotencyKey: 'doc-upload-0001', more: [['file', file()]] }],
    ];
    for (const [part, options] of twice) {
      const refused = await upload(options);
      expect(refused.status, `${part}: ${JSON.stringify(refused.body)}`).toBe(400);
      expect(refused.body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: part });
    }
    // The Idempotency-Key header sent twice (two header lines, which Node joins into one value).
    const form = new FormData();
    form.append('kind', 'other');
    form.append('file', file(), 'id-card.pdf');
    const encoded = new Response(form);
    const twoKeys = await new Promise<{ status: number; body: Record<string, any> }>((resolve, reject) => {
      const request = http.request(`${base}/applications/${encodeURIComponent(applicationId)}/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${partner}`, 'content-type': encoded.headers.get('content-type')!, 'idempotency-key': ['doc-upload-0002', 'doc-upload-0003'] },
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      request.on('error', reject);
      encoded.arrayBuffer().then((bytes) => request.end(Buffer.from(bytes)), reject);
    });
    expect(twoKeys.status).toBe(400);
    expect(twoKeys.body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: 'Idempotency-Key', message: expect.stringContaining('once') });
    expect([await db.applicationDocument.count(), await db.documentContent.count()]).toEqual([documents, contents]);
  });

  it('refuses a body cut off inside the file, a part it does not take and a compressed body, naming each, and keeps serving', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const [documents, contents] = [await db.applicationDocument.count(), await db.documentContent.count()];
    const send = (headers: Record<string, string>, body: string) => new Promise<{ status: number; body: Record<string, any> }>((resolve, reject) => {
      const request = http.request(`${base}/applications/${encodeURIComponent(applicationId)}/documents`, {
        method: 'POST', headers: { authorization: `Bearer ${partner}`, 'content-type': 'multipart/form-data; boundary=xyz', ...headers },
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      request.on('error', reject);
      request.end(body);
    });
    // The body ends inside the file: no closing boundary. The file's stream fails; unheard, that ended the process.
    const cut = await send({}, '--xyz\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n'
      + '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 abc');
    expect(cut.status).toBe(400);
    expect(cut.body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file' });
    // A part the upload does not take: a misspelt partyId would otherwise file the document under the main applicant.
    const misspelt = await upload({ kind: 'other', more: [['partyID', guarantorId]] });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body['error']).toMatchObject({ code: 'BAD_USER_INPUT', field: 'partyID', message: expect.stringContaining('kind, partyId') });
    // A compressed body: the document would be stored compressed.
    const compressed = await send({ 'content-encoding': 'br' }, '--xyz--\r\n');
    expect(compressed.status).toBe(415);
    expect(compressed.body['error']).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST', field: 'content-encoding' });
    expect([await db.applicationDocument.count(), await db.documentContent.count()]).toEqual([documents, contents]);
    // Still serving.
    expect((await upload({ kind: 'other' })).status).toBe(201);
  });

  it('a withdrawn application takes no more documents', async () => {
    const created = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id } ${USER_ERRORS} } }`, {
      token: partner,
      variables: { input: { productCode: 'PL-STD', amount: '8000', numberOfRepayments: 24, purpose: 'closing', applicant: { kind: 'PERSON', legalName: 'Clo Sed', email: 'closed@example.test', phone: '+14155550172' } } },
    });
    expect(created.data!['createApplication'].userErrors).toEqual([]);
    const id = created.data!['createApplication'].application.id;
    const withdrawn = await gql(server.gateway, `mutation($input: WithdrawApplicationInput!) { withdrawApplication(input: $input) { application { status } ${USER_ERRORS} } }`, { token: partner, variables: { input: { applicationId: id } } });
    expect(withdrawn.errors).toBeUndefined();
    expect(withdrawn.data!['withdrawApplication']).toEqual({ application: { status: 'WITHDRAWN' }, userErrors: [] });
    const refused = await upload({ kind: 'other', application: id });
    expect(refused.status).toBe(409);
    // The reason errors.md names, as GraphQL errors carry it.
    expect(refused.body['error']).toMatchObject({ code: 'CONFLICT', reason: 'APPLICATION_CLOSED', message: 'the application is withdrawn: it takes no more documents' });
  });
});

describe('paths the document routes do not serve', () => {
  it('answers in the routes\' shape: 404 for an id that names nothing, 405 for a method the path does not take, 400 for a path that cannot be decoded', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const [documents, contents] = [await db.applicationDocument.count(), await db.documentContent.count()];
    const mine = await upload({ kind: 'other' });
    expect(mine.status).toBe(201);
    const stored = await db.applicationDocument.count();
    const form = () => {
      const parts = new FormData();
      parts.append('kind', 'other');
      parts.append('file', new Blob([new Uint8Array(pdf())], { type: 'application/pdf' }), 'id-card.pdf');
      return parts;
    };
    const answer = async (method: string, path: string) => {
      const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${partner}` }, ...(method === 'POST' ? { body: form() } : {}) });
      const text = await response.text();
      expect(response.headers.get('content-type'), `${method} ${path}: ${text}`).toMatch(/^application\/json/);
      return { status: response.status, allow: response.headers.get('allow'), error: (JSON.parse(text) as { error: Record<string, unknown> }).error };
    };
    const application = encodeURIComponent(applicationId);
    const document = encodeURIComponent(mine.body['id']);
    const uuid = '00000000-0000-4000-8000-000000000000';
    // Not an id, a database id, another kind's global id: each names no application or document.
    for (const [method, path, what] of [
      ['POST', '/applications/not-an-id/documents', 'application'], ['POST', `/applications/${uuid}/documents`, 'application'],
      ['POST', `/applications/${encodeURIComponent(applicantId)}/documents`, 'application'], ['POST', `/applications/${encodeURIComponent(encodeGlobalID('Application', uuid))}/documents`, 'application'],
      ['GET', '/applications/documents/not-an-id', 'document'], ['GET', `/applications/documents/${uuid}`, 'document'], ['GET', `/applications/documents/${application}`, 'document'],
    ]) {
      expect(await answer(method!, path!), `${method} ${path}`).toEqual({ status: 404, allow: null, error: { code: 'NOT_FOUND', message: `no such ${what}` } });
    }
    // More segments, fewer, or none: no such path.
    for (const [method, path] of [['POST', `/applications/${application}/documents/extra`], ['GET', `/applications/documents/${document}/extra`], ['POST', `/applications/${application}`],
      ['GET', '/applications'], ['GET', '/applications/'], ['POST', '/applications/documents']]) {
      expect(await answer(method!, path!), `${method} ${path}`).toEqual({ status: 404, allow: null, error: { code: 'NOT_FOUND', message: expect.any(String) } });
    }
    for (const [method, path, allow] of [['GET', `/applications/${application}/documents`, 'POST'], ['PUT', `/applications/${application}/documents`, 'POST'], ['POST', `/applications/documents/${document}`, 'GET, HEAD']]) {
      expect(await answer(method!, path!), `${method} ${path}`).toEqual({ status: 405, allow, error: { code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST', message: expect.stringContaining(allow!) } });
    }
    for (const [method, path] of [['POST', '/applications/%E0%A4%A/documents'], ['GET', '/applications/documents/%zz']]) {
      expect(await answer(method!, path!), `${method} ${path}`).toEqual({ status: 400, allow: null, error: { code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST', field: 'path', message: expect.any(String) } });
    }
    expect(await db.applicationDocument.count()).toBe(stored);
    expect([stored, await db.documentContent.count()]).toEqual([documents + 1, contents + 1]);
  });
});

describe('checklist and review', () => {
  it('moves missing → pending → satisfied; a rejection needs a reason', async () => {
    expect((await checklist())['proof_of_identity']).toBe('MISSING');
    const uploaded = await upload({ kind: 'proof_of_identity', partyId: applicantId });
    expect(uploaded.status).toBe(201);
    expect(await checklist(partner)).toMatchObject({ proof_of_identity: 'PENDING' });
    const refused = await gql(server.gateway, REVIEW, { token: underwriter, variables: { input: { documentId: uploaded.body['id'], verified: false } } });
    expect(refused.status).toBe(200);
    expect(userErrors(refused, 'reviewApplicationDocument')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.reason' })]);
    expect(refused.data!['reviewApplicationDocument'].applicationDocument).toBeNull();
    expect(await checklist(partner)).toMatchObject({ proof_of_identity: 'PENDING' });
    const asPartner = await gql(server.gateway, REVIEW, { token: partner, variables: { input: { documentId: uploaded.body['id'], verified: true } } });
    expect(codes(asPartner)).toEqual(['FORBIDDEN']);
    const verified = await gql(server.gateway, REVIEW, { token: underwriter, variables: { input: { documentId: uploaded.body['id'], verified: true } } });
    expect(verified.errors).toBeUndefined();
    expect(verified.data!['reviewApplicationDocument'].userErrors).toEqual([]);
    expect(verified.data!['reviewApplicationDocument'].applicationDocument).toMatchObject({ status: 'VERIFIED', reviewedBy: 'underwriter-1' });
    expect(await checklist()).toMatchObject({ proof_of_identity: 'SATISFIED' });

    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const reviewed = await db.outboxEvent.findMany({ where: { type: 'application.documentReviewed', aggregateId: applicationId } });
    expect(reviewed.at(-1)).toMatchObject({ partnerScope: 'fintech', payload: expect.objectContaining({ documentId: uploaded.body['id'], status: 'verified' }) });
    expect(await db.auditRecord.count({ where: { entityId: raw(uploaded.body['id']), action: 'application.document.verify' } })).toBe(1);
  });

  it('rejected when every document of a kind was rejected', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const income = await db.applicationDocument.findMany({ where: { applicationId: raw(applicationId), kind: 'proof_of_income' } });
    expect(income.length).toBeGreaterThan(0);
    for (const document of income) {
      const rejected = await gql(server.gateway, REVIEW, { token: officer, variables: { input: { documentId: encodeGlobalID('ApplicationDocument', document.id), verified: false, reason: 'illegible scan' } } });
      expect(rejected.errors).toBeUndefined();
      expect(rejected.data!['reviewApplicationDocument'].userErrors).toEqual([]);
      expect(rejected.data!['reviewApplicationDocument'].applicationDocument).toMatchObject({ status: 'REJECTED', statusReason: 'illegible scan' });
    }
    expect(await checklist()).toMatchObject({ proof_of_income: 'REJECTED' });
  });
});

describe('duplicates and partners', () => {
  it('flags the same content on another party\'s document', async () => {
    const bytes = pdf();
    const mine = await upload({ kind: 'proof_of_identity', partyId: applicantId, bytes });
    expect(mine.body['duplicateOfAnotherParty']).toBe(false);
    const theirs = await upload({ kind: 'proof_of_identity', partyId: guarantorId, bytes });
    expect(theirs.status).toBe(201);
    expect(theirs.body['duplicateOfAnotherParty']).toBe(true);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect((await db.applicationDocument.findUniqueOrThrow({ where: { id: raw(theirs.body['id']) } })).duplicateOf).toBe(raw(mine.body['id']));
    const event = (await db.outboxEvent.findMany({ where: { type: 'application.documentUploaded' } })).find((e) => (e.payload as any).documentId === theirs.body['id']);
    expect(event!.payload).toMatchObject({ duplicateOfAnotherParty: true });
    const listed = await gql(server.gateway, CHECKLIST, { token: officer, variables: { id: applicationId } });
    expect(listed.data!['node'].documents.find((d: any) => d.id === theirs.body['id'])).toMatchObject({ duplicateOfAnotherParty: true });
  });

  it('another partner can neither upload to nor download from an application it did not bring', async () => {
    const mine = await upload({ kind: 'other' });
    expect(mine.status).toBe(201);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = await db.applicationDocument.count();
    const intruder = await upload({ kind: 'other', token: otherPartner });
    expect(intruder.status).toBe(404);
    expect(intruder.body['error']).toMatchObject({ code: 'NOT_FOUND' });
    expect(await db.applicationDocument.count()).toBe(before);
    const download = await fetch(`${base}${mine.body['downloadPath']}`, { headers: { authorization: `Bearer ${otherPartner}` } });
    expect(download.status).toBe(404);
    const node = await gql(server.gateway, `query($id: ID!) { node(id: $id) { id } }`, { token: otherPartner, variables: { id: mine.body['id'] } });
    expect(node.data!['node']).toBeNull();
    const listed = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Application { documents { id } } } }`, { token: otherPartner, variables: { id: applicationId } });
    expect(listed.data!['node']).toBeNull();
    // Staff of another tenant: the document is not theirs to find either; no token at all is 401.
    const foreign = await devToken(server.runtime, 'tenant-admin', otherTenant.slug);
    expect((await fetch(`${base}${mine.body['downloadPath']}`, { headers: { authorization: `Bearer ${foreign}` } })).status).toBe(404);
    expect((await upload({ kind: 'other', token: foreign })).status).toBe(404);
    expect((await fetch(`${base}${mine.body['downloadPath']}`)).status).toBe(401);
    // A role without applications.create may not upload.
    expect((await upload({ kind: 'other', token: underwriter })).status).toBe(403);
    // The partner that brought it sees the document over GraphQL too.
    const own = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on ApplicationDocument { id kind sha256 } } }`, { token: partner, variables: { id: mine.body['id'] } });
    expect(own.data!['node']).toMatchObject({ id: mine.body['id'], kind: 'other' });
  });
});
