// Documents over HTTP, with the caller's own token and scope (as statement downloads, src/graph/loanStatement.ts):
//   POST /applications/<application global id>/documents   multipart/form-data: `kind`, optional `partyId`
//        (a Party global id) and one file part `file`, each once → 201 {id, sha256, sizeBytes, duplicateOfAnotherParty}
//   GET  /applications/documents/<document global id>      the bytes, with their type and file name
// The upload is read with busboy and its limits are enforced while it streams: past MAX_DOCUMENT_BYTES the rest
// of the body is discarded unread into memory and the answer is 413 — nothing is stored. A partner uploads to
// and downloads from only the applications it brought; any other is 404, as if it did not exist.
import type { Request, Response } from 'express';
import busboy from 'busboy';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { AppError, InvalidField, inputPath } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { commandDbOf, commandOf } from './context.js';
import { checkIdempotencyKey } from '../commands/idempotencyKey.js';
import { firstValue, rawIdOf, replyWithError, routeContext, type RouteLimits } from './httpRoutes.js';
import { MAX_DOCUMENT_BYTES, documentBytes, uploadDocument } from '../services/origination/applicationDocuments.js';

/** Express route of uploads (`app.post(DOCUMENT_UPLOAD_ROUTE, documentUpload(runtime, TENANT_HEADER, rateLimits))`). */
/** Where both document routes live: held to the tenant's dashboard origins (CORS) as the API's other paths are. */
export const DOCUMENTS_PREFIX = '/applications';
export const DOCUMENT_UPLOAD_ROUTE = `${DOCUMENTS_PREFIX}/:applicationId/documents`;
/** Express route of downloads (`app.get(DOCUMENT_DOWNLOAD_ROUTE, documentDownload(runtime, TENANT_HEADER, rateLimits))`). */
export const DOCUMENT_DOWNLOAD_ROUTE = `${DOCUMENTS_PREFIX}/documents/:documentId`;

/** Where a document is downloaded (GET it with the same Authorization header). */
export const documentDownloadPath = (documentId: string) => `/applications/documents/${encodeURIComponent(encodeGlobalID('ApplicationDocument', documentId))}`;

/** A multipart body's parts besides the file are small; this is their allowance on top of the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;


/** Over the limit: 413, with the code clients already handle for bad input. */
class TooLarge extends AppError {
  constructor() {
    super('BAD_USER_INPUT', `a document is at most ${MAX_DOCUMENT_BYTES} bytes`, { field: 'file' });
  }
}

class UnreadEncoding extends AppError {
  constructor() {
    super('BAD_USER_INPUT', 'send the document uncompressed: an upload takes no content-encoding', { field: 'content-encoding', reason: 'BAD_REQUEST' });
  }
}

interface Multipart {
  fields: Record<string, string>;
  file: { fileName: string; contentType: string; bytes: Buffer } | null;
}

/** The text parts an upload takes; the file travels in the part named `file`. */
const TEXT_PARTS: ReadonlySet<string> = new Set(['kind', 'partyId']);

/** Reads the multipart body, enforcing the limits as it streams; on any refusal the rest is discarded. */
function readMultipart(req: Request): Promise<Multipart> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // busboy stops a file when it reaches fileSize: one byte more than the limit, so a file of exactly the limit is taken.
        limits: { fileSize: MAX_DOCUMENT_BYTES + 1, files: 1, fields: 4, parts: 5, fieldSize: 1024, fieldNameSize: 50, headerPairs: 20 },
      });
    } catch {
      reject(new InvalidField('file', 'send multipart/form-data with a file part named "file"'));
      return;
    }
    const fields: Record<string, string> = {};
    let file: { fileName: string; contentType: string; chunks: Buffer[] } | null = null;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      // Stop parsing and drain what the client still sends, so the connection can carry the answer and the next request.
      req.unpipe(parser);
      req.resume();
      reject(error);
    };
    // A part given twice is refused naming it: taking the first or the last would store a document under a kind or
    // a party the caller may not have meant.
    const seen = new Set<string>();
    const repeated = (name: string) => {
      if (!seen.has(name)) {
        seen.add(name);
        return false;
      }
      // Named as far as a name is sensible (busboy bounds only a part's headers).
      const part = name.slice(0, 50);
      fail(new InvalidField(part, `the ${part} part is given twice: send it once`));
      return true;
    };
    parser.on('field', (name, value, info) => {
      if (info.nameTruncated || info.valueTruncated) fail(new InvalidField(name.slice(0, 50), 'the field is too long'));
      // A part the upload does not take is refused rather than dropped: a misspelt partyId would file the document
      // under the main applicant.
      else if (!TEXT_PARTS.has(name) && name !== 'file') fail(new InvalidField(name.slice(0, 50), `no part is named ${name.slice(0, 50)}: send kind, partyId (optional) and file`));
      else if (!repeated(name)) fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      // A body cut off inside the file fails the file's stream, and an unheard stream error would end the process.
      stream.on('error', () => fail(new InvalidField('file', 'the multipart body ended inside the file: send the whole body')));
      if (name !== 'file' || repeated(name)) {
        stream.resume();
        fail(new InvalidField('file', 'send one file, in a part named "file"'));
        return;
      }
      const chunks: Buffer[] = [];
      file = { fileName: info.filename ?? '', contentType: info.mimeType ?? '', chunks };
      stream.on('data', (chunk: Buffer) => {
        if (!settled) chunks.push(chunk);
      });
      stream.on('limit', () => {
        chunks.length = 0;
        stream.resume();
        fail(new TooLarge());
      });
    });
    parser.on('filesLimit', () => fail(new InvalidField('file', 'two files were sent: send one file, in a part named "file"')));
    parser.on('fieldsLimit', () => fail(new InvalidField('kind', 'too many fields')));
    parser.on('partsLimit', () => fail(new InvalidField('file', 'too many parts')));
    parser.on('error', () => fail(new InvalidField('file', 'the multipart body cannot be read')));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      const done = file as { fileName: string; contentType: string; chunks: Buffer[] } | null;
      resolve({ fields, file: done ? { fileName: done.fileName, contentType: done.contentType, bytes: Buffer.concat(done.chunks) } : null });
    });
    req.on('aborted', () => fail(new InvalidField('file', 'the upload was interrupted')));
    req.on('error', () => fail(new InvalidField('file', 'the upload was interrupted')));
    req.pipe(parser);
  });
}

/** Where the upload's idempotency key travels (docs/errors.md, "Idempotency keys"). */
const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * What a refusal names over HTTP: the service names the parts of the file as its input does, and the command
 * pipeline names the key as a mutation's `input.idempotencyKey`; here they are the `file` part and the header.
 */
const HTTP_FIELD: Record<string, string> = { bytes: 'file', contentType: 'file', fileName: 'file', [inputPath('idempotencyKey')]: IDEMPOTENCY_KEY_HEADER };

/** The error with the field it names as the caller sent it over HTTP. */
function namedAsSent(error: unknown): unknown {
  if (error instanceof InvalidField && Object.hasOwn(HTTP_FIELD, error.field)) return new InvalidField(HTTP_FIELD[error.field]!, error.message);
  if (error instanceof AppError && error.details.field !== undefined && Object.hasOwn(HTTP_FIELD, error.details.field)) {
    return new AppError(error.code, error.message, { ...error.details, field: HTTP_FIELD[error.details.field] });
  }
  return error;
}

/** The Idempotency-Key header's value; sent twice (which Node joins into one value), it is refused naming it. */
function idempotencyKeyOf(req: Request): string | undefined {
  const lines = req.rawHeaders.filter((name, index) => index % 2 === 0 && name.toLowerCase() === 'idempotency-key').length;
  if (lines > 1) throw new InvalidField(IDEMPOTENCY_KEY_HEADER, `send the ${IDEMPOTENCY_KEY_HEADER} header once`);
  const key = firstValue(req.headers['idempotency-key']);
  return key === undefined ? undefined : checkIdempotencyKey(key, IDEMPOTENCY_KEY_HEADER);
}

/** POST /applications/<application global id>/documents (multipart/form-data). */
export function documentUpload(runtime: Runtime, tenantHeader: string, limits: RouteLimits) {
  return async (req: Request, res: Response) => {
    try {
      // Who and which application before a byte of the body is read.
      const context = await routeContext(runtime, tenantHeader, req, res, 'applications.create', limits);
      const applicationId = rawIdOf(firstValue(req.params['applicationId']), 'Application');
      // Read through the caller's scoped client: a partner finds only the applications it brought.
      const application = applicationId ? await context.loaders.applicationById.load(applicationId) : null;
      if (!application) throw new AppError('NOT_FOUND', 'no such application');
      if (!/^multipart\/form-data\b/i.test(firstValue(req.headers['content-type']) ?? '')) {
        throw new InvalidField('file', 'send multipart/form-data with a file part named "file"');
      }
      // A document is stored as its bytes came; a compressed body would be stored compressed, or refused as unreadable.
      const encoding = firstValue(req.headers['content-encoding'])?.trim().toLowerCase();
      if (encoding && encoding !== 'identity') {
        req.resume();
        throw new UnreadEncoding();
      }
      if (Number(firstValue(req.headers['content-length']) ?? 0) > MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD_BYTES) {
        req.resume();
        throw new TooLarge();
      }
      const body = await readMultipart(req);
      if (!body.file) throw new InvalidField('file', 'send the document in a file part named "file"');
      const kind = body.fields['kind'];
      if (!kind) throw new InvalidField('kind', 'kind is required: one of the product\'s required documents, or other');
      let partyId: string | null = null;
      if (body.fields['partyId']) {
        partyId = rawIdOf(body.fields['partyId'], 'Party');
        if (!partyId) throw new InvalidField('partyId', 'no party with that id on this application');
      }
      const partner = context.principal!.partner?.id ?? null;
      const idempotencyKey = idempotencyKeyOf(req);
      let uploaded;
      try {
        uploaded = await uploadDocument(commandDbOf(context), commandOf(context), {
          applicationId: application.id, partyId, kind, fileName: body.file.fileName, contentType: body.file.contentType, bytes: body.file.bytes,
        }, partner, { idempotencyKey: idempotencyKey ?? null });
      } catch (error) {
        if (error instanceof InvalidField && error.field === 'applicationId') throw new AppError('NOT_FOUND', 'no such application');
        throw namedAsSent(error);
      }
      res.status(201).json({
        id: encodeGlobalID('ApplicationDocument', uploaded.id),
        sha256: uploaded.sha256,
        sizeBytes: uploaded.sizeBytes,
        duplicateOfAnotherParty: uploaded.duplicateOfAnotherParty,
        downloadPath: documentDownloadPath(uploaded.id),
      });
    } catch (error) {
      replyWithError(runtime, res, error, 'document upload', error instanceof TooLarge ? 413 : error instanceof UnreadEncoding ? 415 : undefined);
    }
  };
}

/** RFC 6266 / 5987: a plain fallback name and the exact one, UTF-8 encoded. */
function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** GET /applications/documents/<document global id>. */
export function documentDownload(runtime: Runtime, tenantHeader: string, limits: RouteLimits) {
  return async (req: Request, res: Response) => {
    try {
      const context = await routeContext(runtime, tenantHeader, req, res, 'applications.read', limits);
      const documentId = rawIdOf(firstValue(req.params['documentId']), 'ApplicationDocument');
      const db = commandDbOf(context);
      const document = documentId && /^[0-9a-f-]{36}$/i.test(documentId) ? await db.applicationDocument.findUnique({ where: { id: documentId } }) : null;
      // Visible only with its application, read through the caller's scoped client.
      const application = document ? await context.loaders.applicationById.load(document.applicationId) : null;
      if (!document || !application) throw new AppError('NOT_FOUND', 'no such document');
      const bytes = await documentBytes(db, document);
      res.setHeader('content-type', document.contentType);
      res.setHeader('content-disposition', contentDisposition(document.fileName));
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('cache-control', 'private, no-store');
      res.setHeader('x-document-sha256', document.sha256);
      res.send(bytes);
    } catch (error) {
      replyWithError(runtime, res, error, 'document download', error instanceof TooLarge ? 413 : undefined);
    }
  };
}
