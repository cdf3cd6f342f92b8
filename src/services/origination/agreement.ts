// From offer to signed agreement: the borrower accepts the offer (consent recorded: the text, its SHA-256, when,
// from where and by whom), the agreement is generated from the offer, and the e-sign provider (a sandbox here,
// completing at once) returns the signed copy. Both documents are kept with their hashes, each under who made it
// (the platform's generator, the provider), not the caller who asked for the signature: that is the application's
// history, as the acceptance is the offer's.
import { createHash, randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, statusInWords } from '../../errors.js';
import { agreementPdf, signedAgreementPdf } from '../../documents/agreementPdf.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import { transition } from './applications.js';
import { applicantAsSubmitted } from './assessment.js';
import { postgresDocumentStore, sha256Hex } from './documentStore.js';
import { businessDateOf } from '../../tenancy/dateColumns.js';
import { assertEsignAvailable } from './checkProviders.js';
import { providerActor, SYSTEM_ACTORS } from '../../domain/actors.js';

/** The sandbox e-sign provider, which signs at once: its envelopes' provider and the signed copies' maker. */
const SANDBOX_ESIGN = 'sandbox-esign';

export interface Consent {
  text: string;
  ip: string | null;
  userAgent: string | null;
}

async function ownApplication(tx: Tx, applicationId: string, partner: string | null) {
  const application = await tx.application.findUnique({ where: { id: applicationId } });
  if (!application || (partner !== null && application.originationPartner !== partner)) throw new InvalidField('applicationId', 'no application with that id');
  return application;
}

export async function acceptOffer(db: TenantDb, command: CommandContext, businessDate: string, applicationId: string, consent: Consent, partner: string | null) {
  const text = consent.text.trim();
  if (text.length < 20 || text.length > 10_000) throw new InvalidField('consentText', 'consentText must be the 20–10,000 characters the borrower agreed to');
  return runCommand(db, { ...command, action: 'application.acceptOffer' }, async (tx) => {
    const application = await ownApplication(tx, applicationId, partner);
    const offer = await tx.applicationOffer.findFirst({ where: { applicationId, status: 'open' } });
    if (!offer) throw new AppError('CONFLICT', 'the application has no open offer', { field: inputPath('applicationId') });
    if (businessDateOf(offer.validUntil) < businessDate) {
      await tx.applicationOffer.update({ where: { id: offer.id }, data: { status: 'expired' } });
      throw new AppError('CONFLICT', `the offer lapsed on ${businessDateOf(offer.validUntil)}`, { field: inputPath('applicationId') });
    }
    const sha = createHash('sha256').update(text, 'utf8').digest('hex');
    await tx.applicationOffer.update({
      where: { id: offer.id },
      data: { status: 'accepted', acceptedAt: command.now, acceptedBy: command.actor.subject, consentText: text, consentSha256: sha, consentIp: consent.ip, consentUserAgent: consent.userAgent },
    });
    const moved = await transition(tx, application, 'accept_offer', inputPath('applicationId'), command.actor.subject, command.now, null, { offerId: offer.id, consentSha256: sha });
    return {
      result: { offerId: offer.id },
      audit: { ...moved.audit, after: { ...(moved.audit.after as object), offerId: offer.id, consent: { sha256: sha, ip: consent.ip, userAgent: consent.userAgent, by: command.actor.subject } } },
      events: [moved.event],
    };
  });
}

/**
 * Generates the agreement from the accepted offer and has it signed by the sandbox e-sign provider: the agreement
 * and the signed copy are stored with their SHA-256, and the application moves to `agreement_signed`.
 */
export async function signAgreement(db: TenantDb, command: CommandContext, lenderName: string, applicationId: string, partner: string | null) {
  return runCommand(db, { ...command, action: 'application.signAgreement' }, async (tx) => {
    const application = await ownApplication(tx, applicationId, partner);
    if (application.status !== 'offer_accepted') throw new AppError('CONFLICT', `an application that is ${statusInWords(application.status)} has no accepted offer to sign`, { field: inputPath('applicationId'), reason: 'ILLEGAL_TRANSITION' });
    await assertEsignAvailable(tx);
    const offer = await tx.applicationOffer.findFirstOrThrow({ where: { applicationId, status: 'accepted' } });
    // The borrower as this application's submitter named them, never another channel's record of the party.
    const applicant = await applicantAsSubmitted(tx, applicationId);
    const agreement = await agreementPdf({
      lenderName, applicationReference: application.reference, borrowerName: applicant.applicant.legalName, currency: application.currency,
      amount: offer.amount.toFixed(2), annualRatePercent: offer.annualRatePercent.toString(), aprPercent: offer.aprPercent.toString(),
      numberOfRepayments: offer.numberOfRepayments, instalment: offer.instalment.toFixed(2), totalRepayable: offer.totalRepayable.toFixed(2),
      fees: JSON.stringify(offer.fees), validUntil: businessDateOf(offer.validUntil), consentText: offer.consentText!, consentSha256: offer.consentSha256!,
      acceptedAt: offer.acceptedAt!.toISOString(),
    }, offer.acceptedAt!);
    const agreementSha = sha256Hex(agreement);
    const store = postgresDocumentStore(tx);
    const signedAt = command.now;
    const signed = await signedAgreementPdf(application.reference, {
      envelopeId: `sbx-env-${offer.id}`, signerName: applicant.applicant.legalName, signedAt: signedAt.toISOString(), agreementSha256: agreementSha, provider: SANDBOX_ESIGN,
    }, signedAt);
    const documents = [] as { id: string; kind: string; sha256: string }[];
    for (const [kind, bytes, status, fileName, uploadedBy] of [
      ['agreement', agreement, 'generated', `agreement-${application.reference}.pdf`, SYSTEM_ACTORS.agreementGenerator],
      ['signed_agreement', signed, 'signed', `agreement-${application.reference}-signed.pdf`, providerActor(SANDBOX_ESIGN)],
    ] as const) {
      const storageKey = await store.put(bytes);
      const id = randomUUID();
      await tx.applicationDocument.create({
        data: {
          id, applicationId, partyId: applicant.partyId, kind, fileName, contentType: 'application/pdf', sizeBytes: bytes.length, sha256: sha256Hex(bytes),
          storageKey, status, uploadedBy, uploadedAt: command.now,
        },
      });
      documents.push({ id, kind, sha256: sha256Hex(bytes) });
    }
    const moved = await transition(tx, application, 'sign_agreement', inputPath('applicationId'), command.actor.subject, command.now, null, { documents });
    return { result: { documents }, audit: { ...moved.audit, after: { ...(moved.audit.after as object), documents } }, events: [moved.event] };
  });
}
