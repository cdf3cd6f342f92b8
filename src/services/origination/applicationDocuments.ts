// Documents on applications: uploaded over HTTP (src/graph/applicationDocumentFiles.ts), limited in size and
// type — the type checked on the file's own first bytes, not only on what the client declared — with their SHA-256
// recorded and their bytes kept behind a DocumentStore (PostgreSQL by default). Each product has a checklist of
// the kinds it asks for (versioned: services/origination/documentChecklists.ts; an application keeps the version
// it was created under); operations verify or reject each document, a
// rejection with its reason. The same content on documents of different parties is flagged for operations:
// one payslip or identity document presented for two people is a classic sign of fraud.
// Every write is one command: the record, its content, an event the originating partner sees, an audit record.
import { randomUUID } from 'node:crypto';
import { AppError, InvalidField, withArticle, statusInWords } from '../../errors.js';
import { FINAL_APPLICATION_STATUSES, type ApplicationStatus } from '../../domain/origination/applicationStatus.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { postgresDocumentStore, sha256Hex, type DocumentStore } from './documentStore.js';
import { isUuid } from '../../domain/globalId.js';

/** The largest document accepted: 10 MiB. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/** The types accepted, each recognised by its file's first bytes (its "magic number"). */
export const DOCUMENT_CONTENT_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;
export type DocumentContentType = (typeof DOCUMENT_CONTENT_TYPES)[number];

/** The kind any application takes besides those its product's checklist names. */
export const OTHER_KIND = 'other';

export type DocumentRow = Awaited<ReturnType<TenantDb['applicationDocument']['findUniqueOrThrow']>>;

const MAGIC: Record<DocumentContentType, number[]> = {
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
};

/** What the bytes are, by their first bytes; null when none of the accepted types. */
export function sniffContentType(bytes: Uint8Array): DocumentContentType | null {
  for (const type of DOCUMENT_CONTENT_TYPES) {
    const magic = MAGIC[type];
    if (bytes.length >= magic.length && magic.every((b, k) => bytes[k] === b)) return type;
  }
  return null;
}

export interface DocumentUpload {
  /** The application (raw id). */
  applicationId: string;
  /** The party the document is about (raw id): one on the application. */
  partyId?: string | null;
  /** One of the product's required kinds, or `other`. */
  kind: string;
  fileName: string;
  /** As the client declared it; it must match what the bytes are. */
  contentType: string;
  bytes: Uint8Array;
}

export interface UploadedDocument {
  id: string;
  applicationId: string;
  sha256: string;
  sizeBytes: number;
  duplicateOfAnotherParty: boolean;
}

const KIND = /^[a-z][a-z0-9_]{1,49}$/;

/** The file's checks that need no database: size, declared type, actual type, name. */
export function checkDocumentFile(input: Pick<DocumentUpload, 'fileName' | 'contentType' | 'bytes'>): { fileName: string; contentType: DocumentContentType } {
  if (input.bytes.length === 0) throw new InvalidField('bytes', 'the file is empty');
  if (input.bytes.length > MAX_DOCUMENT_BYTES) throw new InvalidField('bytes', `a document is at most ${MAX_DOCUMENT_BYTES} bytes`);
  const declared = (input.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!(DOCUMENT_CONTENT_TYPES as readonly string[]).includes(declared)) {
    throw new InvalidField('contentType', `the content type must be one of ${DOCUMENT_CONTENT_TYPES.join(', ')}`);
  }
  const actual = sniffContentType(input.bytes);
  if (actual !== declared) {
    throw new InvalidField('contentType', actual ? `the file was declared ${declared} but is ${actual}` : `the file was declared ${declared} but is not one`);
  }
  // Only the name, never a path; no control characters (they would end up in Content-Disposition headers).
  const fileName = (input.fileName ?? '').split(/[/\\]/).pop()!.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200);
  if (fileName === '') throw new InvalidField('fileName', 'the file needs a name');
  return { fileName, contentType: declared as DocumentContentType };
}

type Reader = TenantDb | Tx;

/** A kind of document a checklist asks for; only a required one holds up disbursement. */
export interface ChecklistEntry {
  kind: string;
  required: boolean;
  description: string;
}

/**
 * The checklist an application works to: the version of its product's checklist it was created under
 * (services/origination/documentChecklists.ts), or, for one created before checklists were versioned or of a
 * product that never had one set, the product's fixed requirements, all required.
 */
export async function checklistOf(db: Reader, application: { productId: string; documentChecklistId: string | null }): Promise<ChecklistEntry[]> {
  if (application.documentChecklistId !== null) {
    const version = await db.productDocumentChecklist.findUniqueOrThrow({ where: { id: application.documentChecklistId } });
    return version.items as unknown as ChecklistEntry[];
  }
  const fixed = await db.productDocumentRequirement.findMany({ where: { productId: application.productId }, orderBy: { kind: 'asc' } });
  return fixed.map((r) => ({ kind: r.kind, required: true, description: r.description }));
}

/**
 * Another party's document with the same content, if any: the earliest. A document without a party is taken to
 * be its application's applicant's.
 */
async function duplicateOf(tx: Tx, sha256: string, party: string): Promise<string | null> {
  const same = await tx.applicationDocument.findMany({ where: { sha256 }, orderBy: [{ uploadedAt: 'asc' }, { id: 'asc' }], take: 100 });
  if (same.length === 0) return null;
  const unattributed = [...new Set(same.filter((d) => d.partyId === null).map((d) => d.applicationId))];
  const applicants = unattributed.length === 0 ? [] : await tx.applicationParty.findMany({ where: { applicationId: { in: unattributed }, role: 'applicant' } });
  const applicantOf = new Map(applicants.map((a) => [a.applicationId, a.partyId]));
  return same.find((d) => (d.partyId ?? applicantOf.get(d.applicationId) ?? null) !== party)?.id ?? null;
}

/** Whether a document (a look-alike found for an upload) is on an application the partner brought. */
export async function duplicateWithin(db: Pick<Tx, 'applicationDocument' | 'application'>, duplicate: string | null, partner: string): Promise<boolean> {
  if (duplicate === null) return false;
  const other = await db.applicationDocument.findUnique({ where: { id: duplicate }, select: { applicationId: true } });
  if (!other) return false;
  return (await db.application.count({ where: { id: other.applicationId, originationPartner: partner } })) === 1;
}

export interface UploadOptions {
  /** Repeat an upload with the same key to get the same document, never a second one. */
  idempotencyKey?: string | null;
  /** Where the bytes go; PostgreSQL (`document_content`, in the command's transaction) by default. */
  store?: (tx: Tx) => DocumentStore;
}

/** Uploads a document to an application: a partner only to those it brought. */
export async function uploadDocument(
  db: TenantDb, command: CommandContext, input: DocumentUpload, partner: string | null, options: UploadOptions = {},
): Promise<UploadedDocument> {
  const file = checkDocumentFile(input);
  const kind = (input.kind ?? '').trim();
  if (!KIND.test(kind)) throw new InvalidField('kind', 'kind must be a lowercase word such as proof_of_identity, or other');
  if (input.partyId != null && !isUuid(input.partyId)) throw new InvalidField('partyId', 'no party with that id on this application');
  if (!isUuid(input.applicationId)) throw new InvalidField('applicationId', 'no application with that id');
  const sha256 = sha256Hex(input.bytes);
  const store = options.store ?? postgresDocumentStore;
  const idempotency = options.idempotencyKey != null
    ? { key: options.idempotencyKey, input: { applicationId: input.applicationId, partyId: input.partyId ?? null, kind, fileName: file.fileName, contentType: file.contentType, sha256 } }
    : undefined;
  return runCommand(db, { ...command, action: 'application.document.upload', ...(idempotency ? { idempotency } : {}) }, async (tx) => {
    const application = await tx.application.findUnique({ where: { id: input.applicationId } });
    // A partner uploads only to applications it brought; anyone else's does not exist for it.
    if (!application || (partner !== null && application.originationPartner !== partner)) throw new InvalidField('applicationId', 'no application with that id');
    if (FINAL_APPLICATION_STATUSES.includes(application.status as ApplicationStatus)) {
      throw new AppError('CONFLICT', `the application is ${statusInWords(application.status)}: it takes no more documents`, { reason: 'APPLICATION_CLOSED' });
    }
    const required = await checklistOf(tx, application);
    if (kind !== OTHER_KIND && !required.some((r) => r.kind === kind)) {
      throw new InvalidField('kind', `kind must be one of ${[...required.map((r) => r.kind), OTHER_KIND].join(', ')}`);
    }
    const parties = await tx.applicationParty.findMany({ where: { applicationId: application.id } });
    if (input.partyId != null && !parties.some((p) => p.partyId === input.partyId)) throw new InvalidField('partyId', 'no party with that id on this application');
    const party = input.partyId ?? parties.find((p) => p.role === 'applicant')?.partyId ?? null;
    // Uploads of the same content wait for each other, so two parties' twins cannot both miss the other.
    await tenantSql(tx, schemaForSlug(command.tenant)).query(() => 'SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock($1::bigint)) AS l', BigInt(`0x${sha256.slice(0, 15)}`).toString());
    const storageKey = await store(tx).put(input.bytes);
    const duplicate = party === null ? null : await duplicateOf(tx, sha256, party);
    const id = randomUUID();
    const row = await tx.applicationDocument.create({
      data: {
        id, applicationId: application.id, partyId: input.partyId ?? null, kind, fileName: file.fileName, contentType: file.contentType,
        sizeBytes: input.bytes.length, sha256, storageKey, status: 'uploaded', duplicateOf: duplicate,
        uploadedBy: command.actor.subject, uploadedAt: command.now,
      },
    });
    const shown = { documentId: id, applicationId: application.id, reference: application.reference, partyId: row.partyId, kind, fileName: row.fileName, contentType: row.contentType, sizeBytes: row.sizeBytes, sha256 };
    // A partner is told of a look-alike only among the applications it brought: whether an applicant of another
    // partner (or of the lender) holds the same file is not its to learn. Staff are told of any (and whose).
    const toPartner = application.originationPartner === null ? duplicate !== null : await duplicateWithin(tx, duplicate, application.originationPartner);
    const result: UploadedDocument = { id, applicationId: application.id, sha256, sizeBytes: row.sizeBytes, duplicateOfAnotherParty: partner === null ? duplicate !== null : toPartner };
    return {
      result,
      replay: { ...result },
      // The partner learns that the content is another party's too, never whose (the audit record says, for staff).
      events: [{ type: 'application.documentUploaded', aggregateType: 'Application', aggregateId: application.id, partnerScope: application.originationPartner, payload: { ...shown, duplicateOfAnotherParty: toPartner } }],
      audit: { entityType: 'ApplicationDocument', entityId: id, after: { ...shown, status: 'uploaded', duplicateOf: duplicate } },
    };
  }, async (stored) => stored as unknown as UploadedDocument);
}

/** Marks an uploaded document verified, or rejected with a reason. A review can be revised (and is audited). */
export async function reviewDocument(db: TenantDb, command: CommandContext, documentId: string, verified: boolean, reason: string | null | undefined): Promise<DocumentRow> {
  const why = reason?.trim() || null;
  if (!verified && why === null) throw new InvalidField('reason', 'a rejection needs a reason');
  if (why !== null && why.length > 500) throw new InvalidField('reason', 'reason must be at most 500 characters');
  if (!isUuid(documentId)) throw new InvalidField('documentId', 'no document with that id');
  return runCommand(db, { ...command, action: verified ? 'application.document.verify' : 'application.document.reject' }, async (tx) => {
    const document = await tx.applicationDocument.findUnique({ where: { id: documentId } });
    if (!document) throw new InvalidField('documentId', 'no document with that id');
    if (!['uploaded', 'verified', 'rejected'].includes(document.status)) {
      throw new AppError('CONFLICT', `${withArticle(statusInWords(document.status))} document is not reviewed`, { reason: 'NOT_REVIEWABLE' });
    }
    const application = await tx.application.findUniqueOrThrow({ where: { id: document.applicationId } });
    const status = verified ? 'verified' : 'rejected';
    const row = await tx.applicationDocument.update({
      where: { id: documentId },
      data: { status, statusReason: why, reviewedBy: command.actor.subject, reviewedAt: command.now },
    });
    return {
      result: row,
      events: [{
        type: 'application.documentReviewed', aggregateType: 'Application', aggregateId: application.id, partnerScope: application.originationPartner,
        payload: { documentId, applicationId: application.id, reference: application.reference, kind: document.kind, status, ...(why ? { reason: why } : {}) },
      }],
      audit: {
        entityType: 'ApplicationDocument', entityId: documentId,
        before: { status: document.status, statusReason: document.statusReason },
        after: { status, statusReason: why },
      },
    };
  });
}

export type ChecklistStatus = 'satisfied' | 'pending' | 'missing' | 'rejected';

export interface ChecklistItem {
  kind: string;
  description: string;
  /** Whether disbursement waits for it. */
  required: boolean;
  /** satisfied: a document of the kind is verified; pending: one awaits review; rejected: all were rejected; missing: none. */
  status: ChecklistStatus;
  documentIds: string[];
}

/** The documents the application's checklist asks for and where the application stands on each. */
export async function documentChecklist(db: Reader, applicationId: string): Promise<ChecklistItem[]> {
  const application = await db.application.findUnique({ where: { id: applicationId } });
  if (!application) return [];
  const [required, documents] = await Promise.all([
    checklistOf(db, application),
    db.applicationDocument.findMany({ where: { applicationId }, orderBy: [{ uploadedAt: 'asc' }, { id: 'asc' }] }),
  ]);
  return required.map((r) => {
    const mine = documents.filter((d) => d.kind === r.kind);
    const has = (status: string) => mine.some((d) => d.status === status);
    const status: ChecklistStatus = has('verified') ? 'satisfied' : has('uploaded') ? 'pending' : has('rejected') ? 'rejected' : 'missing';
    return { kind: r.kind, description: r.description, required: r.required, status, documentIds: mine.map((d) => d.id) };
  });
}

/** A document's bytes from its store. */
export async function documentBytes(db: Reader, document: DocumentRow, store: (db: Reader) => DocumentStore = postgresDocumentStore): Promise<Buffer> {
  const bytes = await store(db).get(document.storageKey);
  if (!bytes) throw new AppError('INTERNAL', 'the document\'s content is missing');
  return bytes;
}
