// A document uploaded to an application the way a partner's or officer's client does (multipart POST), for the
// walks that take an application to disbursement.
import { expect } from 'vitest';

/** Uploads a small PDF of `kind` to the application; returns the document's id. */
export async function uploadApplicationDocument(gatewayUrl: string, token: string, applicationId: string, kind: string): Promise<string> {
  const form = new FormData();
  form.append('kind', kind);
  form.append('file', new Blob([`%PDF-1.7\n% ${kind} ${applicationId}\n%%EOF\n`], { type: 'application/pdf' }), `${kind}.pdf`);
  const response = await fetch(`${gatewayUrl.replace(/\/$/, '')}/applications/${encodeURIComponent(applicationId)}/documents`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(201);
  return (await response.json() as { id: string }).id;
}
