// Accepting an application's offer (with the borrower's consent) and signing its agreement
// (src/services/origination/agreement.ts). A partner acts on the applications it brought, for its borrower.
import { builder } from './builder.js';
import { commandDbOf, commandOf } from './context.js';
import { ApplicationRef } from './application.js';
import { acceptOffer, signAgreement } from '../services/origination/agreement.js';
import { objectPayload } from './payloads.js';

const AcceptApplicationOfferPayload = objectPayload('acceptApplicationOffer', 'application', ApplicationRef, 'The application, its offer accepted.');

builder.mutationField('acceptApplicationOffer', (t) =>
  t.field({
    type: AcceptApplicationOfferPayload,
    description: 'Records the borrower\'s acceptance of the open offer: the consent text, its SHA-256, when, from where (the request\'s address and user agent) and by whom.',
    authScopes: { can: 'applications.create' },
    args: { input: t.arg({ type: builder.inputType('AcceptApplicationOfferInput', {
      description: 'The acceptance.',
      fields: (f) => ({
        applicationId: f.globalID({ required: true, for: ApplicationRef, description: 'The application.' }),
        consentText: f.string({ required: true, description: 'Exactly the text the borrower agreed to: 20–10,000 characters.' }),
      }),
    }), required: true, description: 'The acceptance.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      await acceptOffer(db, commandOf(context), context.tenant!.businessDate, input.applicationId.id,
        { text: input.consentText, ip: context.client?.ip ?? null, userAgent: context.client?.userAgent ?? null }, context.principal!.partner?.id ?? null);
      return { application: await db.application.findUniqueOrThrow({ where: { id: input.applicationId.id } }) };
    },
  }),
);

const SignApplicationAgreementPayload = objectPayload('signApplicationAgreement', 'application', ApplicationRef, 'The application, its agreement signed.');

builder.mutationField('signApplicationAgreement', (t) =>
  t.field({
    type: SignApplicationAgreementPayload,
    description: 'Generates the agreement from the accepted offer and has it signed through the (sandbox) e-sign provider; both documents are kept with their SHA-256.',
    authScopes: { can: 'applications.create' },
    args: { input: t.arg({ type: builder.inputType('SignApplicationAgreementInput', {
      description: 'The application whose agreement is signed.',
      fields: (f) => ({ applicationId: f.globalID({ required: true, for: ApplicationRef, description: 'The application.' }) }),
    }), required: true, description: 'The application.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      await signAgreement(db, commandOf(context), context.tenant!.displayName, input.applicationId.id, context.principal!.partner?.id ?? null);
      return { application: await db.application.findUniqueOrThrow({ where: { id: input.applicationId.id } }) };
    },
  }),
);
