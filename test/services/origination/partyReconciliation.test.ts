// Party reconciliation across partners (docs/origination-rules.md, "Parties"): a submission joins an existing
// party only when its identifier or its phone and e-mail match AND its name and date of birth agree; anything
// less becomes a party of its own with a review record for staff, and the submitter is answered exactly as for
// a new person. Whatever a partner sends — another partner's applicant's national identifier, phone and e-mail,
// both, through createApplication, a CSV upload, as a co-applicant or a guarantor — its answers (the
// application, the decision and its input, the agreement PDF, its events) hold only what it supplied.
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { registerPartner } from '../../../src/services/partners.js';
import { disburseLoan } from '../../../src/services/servicing/loans.js';
import { Decimal } from '../../../src/domain/money.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrorCodes, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let victimPartner: string;
let attacker: string;
let colender: string;
let officer: string;
let underwriter: string;
let victimPartyId: string;
let victimApplicationId: string;
const raw = (id: string) => decodeGlobalID(id).id;
const db = () => server.runtime.tenantClients.forSchema(tenant.schemaName);

const CONSENT = 'I have read the loan agreement, the pre-contract information and the APR, and I agree to borrow on these terms.';

const VICTIM = {
  kind: 'PERSON', legalName: 'Victoria Quillfeather', email: 'victoria.quillfeather@example.test', phone: '+14155557001', dateOfBirth: '1970-05-05',
  address: { lines: ['9 Secret Lane'], city: 'Hiddenville', postalCode: '99999', country: 'US' },
  identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: 'VIC7700123' }],
};
/** Everything about the victim the attacker did not send, as it could surface in an answer. */
const VICTIM_MARKERS = ['Victoria', 'Quillfeather', 'quillfeather', '1970-05-05', '4155557001', 'Hiddenville', '9 Secret Lane', '"applicantAge":56'];

let mallories = 0;
/** The attacker's own applicant, with whatever of the victim's it borrows. */
function mallory(over: Record<string, unknown> = {}) {
  mallories += 1;
  return {
    kind: 'PERSON', legalName: 'Mallory Brightwater', email: `mallory${mallories}@example.test`, phone: `+1415555${String(7100 + mallories)}`, dateOfBirth: '1991-01-01',
    address: { lines: ['1 Open Road'], city: 'Plainview', postalCode: '11111', country: 'US' },
    identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `MAL${String(880000 + mallories)}` }], ...over,
  };
}

const ANSWER = `id reference status
  history { from to event reason }
  checks { kind status summary }
  decisions { outcome reasons { code message } rules { rule kind passed observed threshold } input }
  offer { id status amount }
  documents { kind downloadPath }`;
const CREATE = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { ${ANSWER} } ${USER_ERRORS} } }`;
const READ = `query($id: ID!) { node(id: $id) { ... on Application { ${ANSWER} } } }`;

const body = (applicant: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'debt consolidation', applicant,
  declaredMonthlyIncome: '6500', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: true, ...over,
});

async function create(token: string, input: Record<string, unknown>) {
  const response = await gql(server.gateway, CREATE, { token, variables: { input } });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.data!['createApplication'].userErrors).toEqual([]);
  return response.data!['createApplication'].application;
}

async function partiesOf(applicationId: string) {
  const response = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Application { parties { role party { id legalName
    matchReviews { party { id } candidate { id } signals conflicts channel partnerCode status } } } } } }`, { token: underwriter, variables: { id: applicationId } });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  // Raw ids, as the database and the answers' payloads carry them.
  return (response.data!['node'].parties as { role: string; party: { id: string; legalName: string; matchReviews: any[] } }[]).map((link) => ({
    ...link,
    party: {
      ...link.party, id: raw(link.party.id),
      matchReviews: link.party.matchReviews.map((r) => ({ ...r, party: { id: raw(r.party.id) }, candidate: { id: raw(r.candidate.id) } })),
    },
  }));
}

/** The text a PDF shows: pdfkit compresses each content stream and writes text as hex strings. */
function pdfText(pdf: Buffer): string {
  const rawPdf = pdf.toString('latin1');
  const streams = [...rawPdf.matchAll(/stream\r?\n/g)].map((m) => {
    const start = m.index! + m[0].length;
    const end = rawPdf.indexOf('endstream', start);
    const bytes = pdf.subarray(start, end);
    try {
      return inflateSync(bytes).toString('latin1');
    } catch {
      return bytes.toString('latin1');
    }
  }).join('\n');
  return [...streams.matchAll(/\[([^\]]*)\] TJ/g)]
    .map((m) => [...m[1]!.matchAll(/<([0-9a-f]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''))
    .join('\n');
}

/** Everything the partner can learn about one of its applications: its answer, every event for it, its agreement's text. */
async function whatThePartnerSees(token: string, applicationId: string): Promise<string> {
  const read = await gql(server.gateway, READ, { token, variables: { id: applicationId } });
  expect(read.errors, JSON.stringify(read.errors)).toBeUndefined();
  const events = await db().outboxEvent.findMany({ where: { aggregateId: applicationId } });
  const texts: string[] = [];
  for (const document of read.data!['node'].documents as { kind: string; downloadPath: string }[]) {
    const response = await fetch(`${server.gateway.url.replace(/\/$/, '')}${document.downloadPath}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    texts.push(pdfText(Buffer.from(await response.arrayBuffer())));
  }
  return JSON.stringify({ answer: read.data, events: events.map((e) => ({ type: e.type, scope: e.partnerScope, payload: e.payload })), texts });
}

/** `sent`: what the attacker itself sent (it may of course see that again). */
function expectNothingOfTheVictim(seen: string, sent: unknown = {}) {
  const own = JSON.stringify(sent);
  // A marker the attacker itself sent (or, for the age, whose date of birth it sent) may come back to it.
  const sentItself = (marker: string) => own.includes(marker === '"applicantAge":56' ? VICTIM.dateOfBirth : marker);
  for (const marker of [...VICTIM_MARKERS, victimPartyId]) if (!sentItself(marker)) expect(seen, `leaked ${marker}`).not.toContain(marker);
  // The lender's history of the person is never shown to a partner.
  expect(seen).not.toContain('openApplications');
  expect(seen).not.toContain('applicationsLastDays');
}

async function signAs(token: string, applicationId: string) {
  const accepted = await gql(server.gateway, `mutation($input: AcceptApplicationOfferInput!) { acceptApplicationOffer(input: $input) { application { status } ${USER_ERRORS} } }`, { token, variables: { input: { applicationId, consentText: CONSENT } } });
  expect(accepted.errors, JSON.stringify(accepted.errors)).toBeUndefined();
  expect(accepted.data!['acceptApplicationOffer'].userErrors).toEqual([]);
  const signed = await gql(server.gateway, `mutation($input: SignApplicationAgreementInput!) { signApplicationAgreement(input: $input) { application { status } ${USER_ERRORS} } }`, { token, variables: { input: { applicationId } } });
  expect(signed.errors, JSON.stringify(signed.errors)).toBeUndefined();
  expect(signed.data!['signApplicationAgreement']).toEqual({ application: { status: 'AGREEMENT_SIGNED' }, userErrors: [] });
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('recon'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  for (const [code, kind] of [['victimco', 'origination'], ['attackco', 'origination'], ['fundco', 'colending']] as const) {
    await registerPartner(db(), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code, name: code, kind });
  }
  victimPartner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'victimco', kind: 'origination' } });
  attacker = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'attackco', kind: 'origination' } });
  colender = await devToken(server.runtime, 'colending-partner', tenant.slug, { partner: { id: 'fundco', kind: 'colending' } });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-recon' });
  underwriter = await devToken(server.runtime, 'underwriter', tenant.slug, { subject: 'underwriter-recon' });
  // The victim: one partner's applicant, approved, with a signed agreement in its own name.
  const victim = await create(victimPartner, body(VICTIM));
  expect(victim.status).toBe('APPROVED');
  await signAs(victimPartner, victim.id);
  victimPartyId = (await partiesOf(victim.id))[0]!.party.id;
  victimApplicationId = victim.id;
  // The victim's own agreement names the victim: what an attacker's must never.
  expect(await whatThePartnerSees(victimPartner, victim.id)).toContain('and Victoria Quillfeather (the borrower)');
  // A second, still open application of the victim: the lender's history of the person now counts one.
  await create(victimPartner, body(VICTIM, { submit: false }));
});
afterAll(async () => {
  await server.close();
});

describe('an origination partner submitting another partner\'s applicant\'s identifiers under its own applicant\'s name', () => {
  const routes: [string, () => Record<string, unknown>, string[]][] = [
    ['the national identifier', () => mallory({ identifiers: VICTIM.identifiers }), ['identifier']],
    ['the phone and e-mail', () => mallory({ phone: VICTIM.phone, email: VICTIM.email }), ['phone_and_email']],
    // (Without any identifier a submission is refused as missing what the checks need, before any matching.)
    ['the phone and e-mail, with an identifier of its own', () => mallory({ phone: VICTIM.phone, email: VICTIM.email }), ['phone_and_email']],
    ['identifier, phone and e-mail together', () => mallory({ identifiers: VICTIM.identifiers, phone: VICTIM.phone, email: VICTIM.email }), ['identifier', 'phone_and_email']],
    ['the name and identifier with another date of birth', () => mallory({ legalName: VICTIM.legalName, identifiers: VICTIM.identifiers }), ['identifier']],
  ];
  for (const [route, applicant, signals] of routes) {
    it(`with ${route}: gets a party of its own (held for review) and learns nothing of the victim, through to the agreement`, async () => {
      const sent = applicant();
      const created = await create(attacker, body(sent));
      const [link] = await partiesOf(created.id);
      expect(link!.party.id).not.toBe(victimPartyId);
      expect(link!.party.legalName).toBe(sent.legalName);
      const review = link!.party.matchReviews.find((r: any) => r.candidate.id === victimPartyId);
      expect(review).toMatchObject({ party: { id: link!.party.id }, signals, channel: 'PARTNER', partnerCode: 'attackco', status: 'OPEN' });
      expect(review.conflicts).toContain('date_of_birth');
      // Decided on what the attacker sent — its applicant's age, never the victim's — and never as a duplicate of the victim.
      for (const decision of created.decisions) {
        expect(decision.input).toMatchObject({ applicantAge: 35 });
        expect(decision.reasons.map((r: any) => r.code)).not.toContain('DUPLICATE_APPLICATION');
      }
      if (created.status === 'APPROVED') await signAs(attacker, created.id);
      const seen = await whatThePartnerSees(attacker, created.id);
      if (created.status === 'APPROVED') expect(seen).toContain(`and ${sent.legalName} (the borrower)`);
      expectNothingOfTheVictim(seen, sent);
      // The victim's own party is untouched.
      const victim = await db().party.findUniqueOrThrow({ where: { id: victimPartyId } });
      expect(victim).toMatchObject({ legalName: VICTIM.legalName, email: VICTIM.email });
      expect(await db().partyIdentifier.count({ where: { partyId: victimPartyId } })).toBe(1);
    });
  }

  it('through to a signed agreement in its own applicant\'s name when the identifier is the victim\'s', async () => {
    const sent = mallory({ identifiers: VICTIM.identifiers });
    const created = await create(attacker, body(sent));
    // The victim's identifier has a clean sandbox file, so the attacker's application is approved on its own data.
    expect(created.status).toBe('APPROVED');
    await signAs(attacker, created.id);
    const seen = await whatThePartnerSees(attacker, created.id);
    expect(seen).toContain('and Mallory Brightwater (the borrower)');
    expect(seen).toContain('Signed by: Mallory Brightwater');
    expectNothingOfTheVictim(seen, sent);
  });

  it('is answered exactly as for a person nobody knew: same statuses, same fields, no hint of a match', async () => {
    const unknown = await create(attacker, body(mallory({ email: 'mallory-fresh+bureau-prime@example.test' })));
    const borrowed = await create(attacker, body(mallory({ identifiers: VICTIM.identifiers, email: 'mallory-borrow+bureau-prime@example.test' })));
    const shape = (a: any) => ({
      status: a.status, history: a.history.map((h: any) => [h.from, h.to, h.event, h.reason]),
      decisions: a.decisions.map((d: any) => ({ outcome: d.outcome, reasons: d.reasons, rules: d.rules.map((r: any) => [r.rule, r.passed]), input: Object.keys(d.input).sort() })),
    });
    expect(shape(borrowed)).toEqual(shape(unknown));
    expect(unknown.status).toBe('APPROVED');
  });

  it('through a CSV upload: each row gets a party of its own, held for review', async () => {
    const header = 'productCode,amount,numberOfRepayments,purpose,applicantKind,applicantLegalName,applicantEmail,applicantPhone,applicantDateOfBirth,applicantNationalId,applicantIdCountry,declaredMonthlyIncome,monthlyDebtPayments,externalReference';
    const rows = [
      `PL-STD,5000,12,car,PERSON,Mallory Csv,mallory.csv@example.test,+14155557301,1991-01-01,${VICTIM.identifiers[0]!.value},US,4000,200,csv-1`,
      `PL-STD,5000,12,car,PERSON,Mallory Csv Two,${VICTIM.email},${VICTIM.phone},1991-01-01,,,4000,200,csv-2`,
    ];
    const uploaded = await gql(server.gateway, `mutation($input: ImportApplicationsInput!) { importApplications(input: $input) { imported rows { row reference errors } ${USER_ERRORS} } }`, { token: attacker, variables: { input: { csv: [header, ...rows].join('\n') } } });
    expect(uploaded.errors, JSON.stringify(uploaded.errors)).toBeUndefined();
    expect(uploaded.data!['importApplications'].userErrors).toEqual([]);
    expect(uploaded.data!['importApplications'].imported).toBe(2);
    for (const { reference } of uploaded.data!['importApplications'].rows) {
      const application = await db().application.findUniqueOrThrow({ where: { reference } });
      const id = Buffer.from(`Application:${application.id}`).toString('base64');
      const [link] = await partiesOf(id);
      expect(link!.party.id).not.toBe(victimPartyId);
      expect(link!.party.matchReviews.map((r: any) => [r.candidate.id, r.channel])).toContainEqual([victimPartyId, 'BULK']);
      const assessed = await gql(server.gateway, `mutation($input: AssessApplicationInput!) { assessApplication(input: $input) { application { status } ${USER_ERRORS} } }`, { token: attacker, variables: { input: { applicationId: id } } });
      expect(assessed.errors, JSON.stringify(assessed.errors)).toBeUndefined();
      expect(assessed.data!['assessApplication'].userErrors).toEqual([]);
      expectNothingOfTheVictim(await whatThePartnerSees(attacker, id));
    }
  });

  it('as a co-applicant or a guarantor: that role gets a party of its own, held for review', async () => {
    const created = await create(attacker, body(mallory(), {
      coApplicants: [mallory({ legalName: 'Mallory Co', identifiers: VICTIM.identifiers })],
      guarantors: [mallory({ legalName: 'Mallory Guarantor', phone: VICTIM.phone, email: VICTIM.email, identifiers: [] })],
    }));
    const links = await partiesOf(created.id);
    expect(links.map((l) => l.role).sort()).toEqual(['APPLICANT', 'CO_APPLICANT', 'GUARANTOR']);
    for (const link of links.filter((l) => l.role !== 'APPLICANT')) {
      expect(link.party.id).not.toBe(victimPartyId);
      expect(link.party.matchReviews.map((r: any) => r.candidate.id)).toContain(victimPartyId);
    }
    expectNothingOfTheVictim(await whatThePartnerSees(attacker, created.id));
  });

  it('uploading a copy of the victim\'s document: the partner is not told that anyone else holds it; staff are', async () => {
    const upload = async (token: string, applicationId: string, bytes: string) => {
      const form = new FormData();
      form.append('kind', 'proof_of_identity');
      form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'id.pdf');
      const response = await fetch(`${server.gateway.url.replace(/\/$/, '')}/applications/${encodeURIComponent(applicationId)}/documents`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(201);
      return (await response.json()) as { id: string; duplicateOfAnotherParty: boolean };
    };
    const bytes = '%PDF-1.7\n% the victim\'s passport scan\n%%EOF\n';
    await upload(victimPartner, victimApplicationId, bytes);
    const mine = await create(attacker, body(mallory(), { submit: false }));
    const copy = await upload(attacker, mine.id, bytes);
    expect(copy.duplicateOfAnotherParty).toBe(false);
    const event = (await db().outboxEvent.findMany({ where: { type: 'application.documentUploaded', aggregateId: mine.id } }))[0]!;
    expect(event.payload).toMatchObject({ duplicateOfAnotherParty: false });
    const DOCS = 'query($id: ID!) { node(id: $id) { ... on Application { documents { id duplicateOfAnotherParty } } } }';
    const asPartner = await gql(server.gateway, DOCS, { token: attacker, variables: { id: mine.id } });
    expect(asPartner.data!['node'].documents).toEqual([{ id: copy.id, duplicateOfAnotherParty: false }]);
    const asStaff = await gql(server.gateway, DOCS, { token: underwriter, variables: { id: mine.id } });
    expect(asStaff.data!['node'].documents).toEqual([{ id: copy.id, duplicateOfAnotherParty: true }]);
  });

  it('a co-lending partner cannot submit applications at all', async () => {
    const refused = await gql(server.gateway, CREATE, { token: colender, variables: { input: body(mallory({ identifiers: VICTIM.identifiers })) } });
    expect(codes(refused)).toEqual(['FORBIDDEN']);
  });
});

describe('consistent matches, and staff', () => {
  it('the same identifier (or phone and e-mail) with the same name and date of birth joins the party, however the name is spelt', async () => {
    const again = await create(victimPartner, body({ ...VICTIM, legalName: '  VICTORIA   quillfeather ', phone: '+1 (415) 555-7001', email: ' Victoria.Quillfeather@EXAMPLE.test' }, { submit: false }));
    const byContact = await create(victimPartner, body({ ...VICTIM, identifiers: [] }, { submit: false }));
    for (const application of [again, byContact]) {
      const [link] = await partiesOf(application.id);
      expect(link!.party.id).toBe(victimPartyId);
    }
    const matches = await db().partyMatch.findMany({ where: { partyId: victimPartyId }, orderBy: { matchedAt: 'asc' } });
    expect(matches.slice(-2).map((m) => m.reason)).toEqual(['identifier', 'phone_and_email']);
  });

  it('staff submitting a conflicting identifier also get a new party held for review; staff read the review from either party', async () => {
    const created = await create(officer, body(mallory({ legalName: 'Walter Staffentry', identifiers: VICTIM.identifiers }), { submit: false }));
    const [link] = await partiesOf(created.id);
    expect(link!.party.id).not.toBe(victimPartyId);
    expect(link!.party.matchReviews).toContainEqual(expect.objectContaining({ candidate: { id: victimPartyId }, channel: 'STAFF', partnerCode: null, status: 'OPEN', conflicts: expect.arrayContaining(['legal_name', 'date_of_birth']) }));
    const fromVictim = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Party { matchReviews { party { id } } } } }`, { token: underwriter, variables: { id: Buffer.from(`Party:${victimPartyId}`).toString('base64') } });
    expect(fromVictim.data!['node'].matchReviews.map((r: any) => raw(r.party.id))).toContain(link!.party.id);
    // A partner cannot read parties, reviews included.
    const asPartner = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Party { matchReviews { status } } } }`, { token: attacker, variables: { id: Buffer.from(`Party:${victimPartyId}`).toString('base64') } });
    expect(JSON.stringify(asPartner.data ?? null)).not.toContain('open');
  });

  it('staff resolve a review once: distinct people stay apart; the same person is merged, and the submitter still sees only what it sent', async () => {
    const RESOLVE = `mutation($input: ResolvePartyMatchReviewInput!) { resolvePartyMatchReview(input: $input) { partyMatchReview { status resolutionNote resolvedBy party { id } candidate { id } } ${USER_ERRORS} } }`;
    const reviewOf = async (applicationId: string) => {
      const [link] = await partiesOf(applicationId);
      const reviews = await db().partyMatchReview.findMany({ where: { partyId: link!.party.id } });
      expect(reviews).toHaveLength(1);
      return Buffer.from(`PartyMatchReview:${reviews[0]!.id}`).toString('base64');
    };
    // Another person after all: the review closes, nothing moves.
    const stranger = await create(officer, body(mallory({ legalName: 'Walter Otherperson', identifiers: VICTIM.identifiers }), { submit: false }));
    const distinct = await gql(server.gateway, RESOLVE, { token: underwriter, variables: { input: { reviewId: await reviewOf(stranger.id), resolution: 'DISTINCT', note: 'different person, mistyped identifier' } } });
    expect(distinct.errors, JSON.stringify(distinct.errors)).toBeUndefined();
    expect(distinct.data!['resolvePartyMatchReview'].userErrors).toEqual([]);
    expect(distinct.data!['resolvePartyMatchReview'].partyMatchReview).toMatchObject({ status: 'DISTINCT', resolvedBy: 'underwriter-recon' });
    expect((await partiesOf(stranger.id))[0]!.party.id).not.toBe(victimPartyId);
    // The victim's name written another way by a partner: staff find it is the same person and merge.
    const sent = mallory({ legalName: 'Victoria Q.', dateOfBirth: VICTIM.dateOfBirth, identifiers: VICTIM.identifiers });
    const lookalike = await create(attacker, body(sent, { submit: false }));
    const reviewId = await reviewOf(lookalike.id);
    // A loan already booked to the look-alike: after the merge it is the victim's, and it reads as changed.
    const bookedAt = new Date(Date.now() - 60_000);
    const { loanId } = await disburseLoan(db(), { tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'loan' }, now: bookedAt }, '2026-12-01', {
      productCode: 'PL-STD', principal: new Decimal('6000'), numberOfRepayments: 12, disbursementDate: '2026-12-01', borrowerPartyId: (await partiesOf(lookalike.id))[0]!.party.id,
    });
    const byPartner = await gql(server.gateway, RESOLVE, { token: attacker, variables: { input: { reviewId, resolution: 'SAME_PERSON', note: 'it is her, trust me' } } });
    expect(codes(byPartner)).toEqual(['FORBIDDEN']);
    const merged = await gql(server.gateway, RESOLVE, { token: underwriter, variables: { input: { reviewId, resolution: 'SAME_PERSON', note: 'same person: initial for the surname' } } });
    expect(merged.errors, JSON.stringify(merged.errors)).toBeUndefined();
    expect(merged.data!['resolvePartyMatchReview'].userErrors).toEqual([]);
    expect(merged.data!['resolvePartyMatchReview'].partyMatchReview).toMatchObject({ status: 'SAME_PERSON', resolutionNote: 'same person: initial for the surname' });
    expect((await partiesOf(lookalike.id))[0]!.party.id).toBe(victimPartyId);
    const loan = await db().loan.findUniqueOrThrow({ where: { id: loanId } });
    expect(loan.borrowerPartyId).toBe(victimPartyId);
    expect(loan.updatedAt.getTime()).toBeGreaterThan(bookedAt.getTime());
    const again = await gql(server.gateway, RESOLVE, { token: underwriter, variables: { input: { reviewId, resolution: 'DISTINCT', note: 'changed my mind' } } });
    expect(userErrorCodes(again, 'resolvePartyMatchReview')).toEqual(['CONFLICT']);
    expect(again.data!['resolvePartyMatchReview'].partyMatchReview).toBeNull();
    expect(await db().partyMatchReview.findUniqueOrThrow({ where: { id: raw(reviewId) } })).toMatchObject({ status: 'same_person', resolutionNote: 'same person: initial for the surname' });
    const audit = await db().auditRecord.findFirstOrThrow({ where: { action: 'party.review.resolve', entityId: raw(reviewId) } });
    expect(audit.after).toMatchObject({ status: 'same_person', mergedInto: victimPartyId });
    // Merged or not, the partner's application answers with what the partner sent, nothing of the victim's record.
    const submitted = await gql(server.gateway, `mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { application { status } ${USER_ERRORS} } }`, { token: attacker, variables: { input: { applicationId: lookalike.id } } });
    expect(submitted.errors, JSON.stringify(submitted.errors)).toBeUndefined();
    expect(submitted.data!['submitApplication'].userErrors).toEqual([]);
    expectNothingOfTheVictim(await whatThePartnerSees(attacker, lookalike.id), sent);
  });

  it('staff see the lender\'s history of the person in the decision input; partners never do', async () => {
    const victimApplication = await db().application.findFirstOrThrow({ where: { originationPartner: 'victimco', status: { notIn: ['draft'] } }, orderBy: { createdAt: 'asc' } });
    const id = Buffer.from(`Application:${victimApplication.id}`).toString('base64');
    const staffRead = await gql(server.gateway, READ, { token: underwriter, variables: { id } });
    expect(staffRead.errors, JSON.stringify(staffRead.errors)).toBeUndefined();
    expect(staffRead.data!['node'].decisions[0].input).toHaveProperty('duplicates');
    const partnerRead = await gql(server.gateway, READ, { token: victimPartner, variables: { id } });
    expect(partnerRead.errors, JSON.stringify(partnerRead.errors)).toBeUndefined();
    const decision = partnerRead.data!['node'].decisions[0];
    expect(decision.input).not.toHaveProperty('duplicates');
    expect(decision.rules.filter((r: any) => r.kind === 'MAX_OPEN_APPLICATIONS' || r.kind === 'MAX_RECENT_APPLICATIONS').map((r: any) => r.observed)).toEqual([null, null]);
  });
});
