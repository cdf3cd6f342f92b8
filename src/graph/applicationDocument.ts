// An application's documents (src/services/origination/applicationDocuments.ts): uploaded and downloaded over
// HTTP (applicationDocumentFiles.ts), listed on the application with the product's checklist, and verified or
// rejected by operations.
// ApplicationDocument has no Prisma relation to Application, so there is no partner rule for it in
// src/authz/partnerScope.ts: documents are read on the tenant's client, and only after their application has
// been read through the caller's scoped client (a partner sees only the documents of applications it brought).
import { builder } from './builder.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { ApplicationRef } from './application.js';
import { PartyRef } from './party.js';
import { documentChecklist, duplicateWithin, reviewDocument, type ChecklistItem, type DocumentRow } from '../services/origination/applicationDocuments.js';
import { documentDownloadPath } from './applicationDocumentFiles.js';
import { listSize } from './limits.js';

/** Whether the caller's own client can read the application (a partner's, only those it brought). */
async function visible(context: GraphContext, applicationId: string): Promise<boolean> {
  return (await context.loaders.applicationById.load(applicationId)) !== null;
}

export const ApplicationDocumentRef = builder.objectRef<DocumentRow>('ApplicationDocument');

builder.node(ApplicationDocumentRef, {
  description: 'A document on an application: uploaded (then verified or rejected), or generated and signed.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.applicationDocumentById.load(id)),
  authScopes: { can: 'applications.read' },
  fields: (t) => ({
    application: t.field({ type: ApplicationRef, nullable: true, description: 'The application it is on.', resolve: (d, _args, context) => context.loaders.applicationById.load(d.applicationId) }),
    kind: t.exposeString('kind', { description: 'What it is: one of the product\'s required kinds (e.g. `proof_of_identity`), `other`, or `agreement`.' }),
    party: t.field({
      type: PartyRef, nullable: true, description: 'The party it is about, when one (staff only).', authScopes: { can: 'parties.read' },
      resolve: (d, _args, context) => (d.partyId ? context.loaders.partyById.load(d.partyId) : null),
    }),
    fileName: t.exposeString('fileName', { description: 'The file\'s name as uploaded (without any path).' }),
    contentType: t.exposeString('contentType', { description: '`application/pdf`, `image/jpeg` or `image/png`, as the file\'s own first bytes confirmed.' }),
    sizeBytes: t.exposeInt('sizeBytes', { description: 'Its size in bytes.' }),
    sha256: t.exposeString('sha256', { description: 'SHA-256 of its content, hex.' }),
    status: t.exposeString('status', { description: '`uploaded` (awaiting review), `verified`, `rejected`, `generated` or `signed`.' }),
    statusReason: t.exposeString('statusReason', { nullable: true, description: 'Why it was rejected (or a note on its verification).' }),
    duplicateOfAnotherParty: t.boolean({
      description: 'Another party\'s document has the same content: for operations to look into. A partner is told only of look-alikes on applications it brought.',
      resolve: (d, _args, context) => {
        const partner = context.principal?.partner?.id;
        return partner ? duplicateWithin(commandDbOf(context), d.duplicateOf, partner) : d.duplicateOf !== null;
      },
    }),
    duplicateOf: t.field({
      type: ApplicationDocumentRef, nullable: true, description: 'The other party\'s document with the same content (staff only).', authScopes: { can: 'parties.read' },
      resolve: (d, _args, context) => (d.duplicateOf ? context.loaders.applicationDocumentById.load(d.duplicateOf) : null),
    }),
    uploadedBy: t.exposeString('uploadedBy', { description: 'Who uploaded it.' }),
    uploadedAt: t.field({ type: 'DateTime', description: 'When it was uploaded.', resolve: (d) => d.uploadedAt }),
    reviewedBy: t.exposeString('reviewedBy', { nullable: true, description: 'Who last verified or rejected it.' }),
    reviewedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was last verified or rejected.', resolve: (d) => d.reviewedAt }),
    downloadPath: t.string({ description: 'GET it (with the same Authorization header) for the file.', resolve: (d) => documentDownloadPath(d.id) }),
  }),
});

const ChecklistItemRef = builder.objectRef<ChecklistItem>('DocumentChecklistItem').implement({
  description: 'One document the product requires, and where the application stands on it.',
  authScopes: { can: 'applications.read' },
  fields: (t) => ({
    kind: t.exposeString('kind', { description: 'The kind of document required.' }),
    description: t.exposeString('description', { description: 'What it is, in words.' }),
    status: t.exposeString('status', { description: '`satisfied` (a document of the kind is verified), `pending` (one awaits review), `rejected` (every one was rejected) or `missing`.' }),
    documents: t.field({
      type: [ApplicationDocumentRef], description: 'The documents of this kind, oldest first.',
      resolve: async (item, _args, context) => (await Promise.all(item.documentIds.slice(0, listSize('DocumentChecklistItem.documents')).map((id) => context.loaders.applicationDocumentById.load(id)))).filter((d): d is DocumentRow => d !== null),
    }),
  }),
});

builder.objectFields(ApplicationRef, (t) => ({
  documents: t.field({
    type: [ApplicationDocumentRef], description: 'Its documents, oldest first.', authScopes: { can: 'applications.read' },
    resolve: async (a, _args, context) => {
      if (!(await visible(context, a.id))) return [];
      return commandDbOf(context).applicationDocument.findMany({ where: { applicationId: a.id }, orderBy: [{ uploadedAt: 'asc' }, { id: 'asc' }], take: listSize('Application.documents') });
    },
  }),
  documentChecklist: t.field({
    type: [ChecklistItemRef], description: 'The documents its product requires, each satisfied, pending, rejected or missing.', authScopes: { can: 'applications.read' },
    resolve: async (a, _args, context) => ((await visible(context, a.id)) ? documentChecklist(commandDbOf(context), a.id) : []),
  }),
}));

const ReviewApplicationDocumentInput = builder.inputType('ReviewApplicationDocumentInput', {
  description: 'A review of an uploaded document.',
  fields: (t) => ({
    documentId: t.globalID({ required: true, for: ApplicationDocumentRef, description: 'The document.' }),
    verified: t.boolean({ required: true, description: 'true to verify it, false to reject it.' }),
    reason: t.string({ required: false, description: 'Why: required to reject (the partner and applicant see it).' }),
  }),
});

builder.mutationField('reviewApplicationDocument', (t) =>
  t.field({
    type: ApplicationDocumentRef,
    description: 'Verifies a document, or rejects it with a reason. A review can be revised; each one is audited.',
    authScopes: { can: 'applications.documents.review' },
    args: { input: t.arg({ type: ReviewApplicationDocumentInput, required: true, description: 'The review.' }) },
    resolve: (_root, { input }, context) =>
      reviewDocument(commandDbOf(context), commandOf(context), input.documentId.id, input.verified, input.reason ?? null),
  }),
);
