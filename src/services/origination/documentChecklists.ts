// A product's document checklist as versioned data the lender sets through the API. Each set is a new version
// (never an edit in place); an application is tied at creation to the product's latest version and keeps it, so
// a later change never moves the goalposts of an application under way. A product never given one keeps its fixed
// requirements (`product_document_requirement`), all required (applicationDocuments.checklistOf).
//
// Decisions:
// - No maker-checker: a checklist decides no credit question (who is lent to, how much, at what price); it asks
//   for evidence before the money moves, and the disbursement itself is already maker-checker. Every version is
//   audited (before and after) and announced, so a weakened checklist is visible; the lender's own policy can ask a
//   second person to look at `productDocumentChecklist.changed` events.
// - Kinds are snake_case words; `other` is reserved (any application takes it besides its checklist).
import { randomUUID } from 'node:crypto';
import { InvalidField, noSuchCode } from '../../errors.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { OTHER_KIND, type ChecklistEntry } from './applicationDocuments.js';

export type ChecklistRow = Awaited<ReturnType<TenantDb['productDocumentChecklist']['findUniqueOrThrow']>>;

/** The most kinds a checklist asks for (Application.documentChecklist's size). */
export const MAX_CHECKLIST_ITEMS = 30;
const KIND = /^[a-z][a-z0-9_]{1,49}$/;

/** The items as stored, checked; errors name the field (`items.2.kind`). */
export function checkedItems(items: readonly ChecklistEntry[]): ChecklistEntry[] {
  if (items.length > MAX_CHECKLIST_ITEMS) throw new InvalidField('items', `a checklist asks for at most ${MAX_CHECKLIST_ITEMS} kinds of document`);
  const seen = new Set<string>();
  return items.map((item, k) => {
    const kind = item.kind.trim();
    if (!KIND.test(kind)) throw new InvalidField(`items.${k}.kind`, 'a kind is a snake_case word: lower-case letters, digits and _, starting with a letter');
    if (kind === OTHER_KIND) throw new InvalidField(`items.${k}.kind`, `${OTHER_KIND} is taken by every application besides its checklist`);
    if (seen.has(kind)) throw new InvalidField(`items.${k}.kind`, `${kind} appears twice`);
    seen.add(kind);
    const description = item.description.trim();
    if (description === '' || description.length > 200) throw new InvalidField(`items.${k}.description`, 'a description says what the document is, in at most 200 characters');
    return { kind, required: item.required, description };
  });
}

/** The latest version of a product's checklist, if it was ever set: what a new application is tied to. */
export async function latestChecklist(db: TenantDb | Tx, productId: string): Promise<ChecklistRow | null> {
  return db.productDocumentChecklist.findFirst({ where: { productId }, orderBy: { version: 'desc' } });
}

/** Sets a product's checklist: a new version, used by applications created from now on. */
export async function setProductChecklist(db: TenantDb, command: CommandContext, productCode: string, items: readonly ChecklistEntry[]): Promise<ChecklistRow> {
  const product = await db.loanProduct.findUnique({ where: { code: productCode } });
  if (!product) throw noSuchCode('productCode', 'no loan product with that code');
  const checked = checkedItems(items);
  return runCommand(db, { ...command, action: 'productDocumentChecklist.changed' }, async (tx) => {
    // Versions of one product are numbered one at a time.
    await tenantSql(tx, schemaForSlug(command.tenant)).query((schema) => `SELECT id::text FROM ${schema}.loan_product WHERE id = $1::uuid FOR UPDATE`, product.id);
    const previous = await latestChecklist(tx, product.id);
    const before = previous
      ? { version: previous.version, items: previous.items }
      : { version: 0, items: (await tx.productDocumentRequirement.findMany({ where: { productId: product.id }, orderBy: { kind: 'asc' } })).map((r) => ({ kind: r.kind, required: true, description: r.description })) };
    const row = await tx.productDocumentChecklist.create({
      data: { id: randomUUID(), productId: product.id, version: before.version + 1, items: checked as unknown as object, createdBy: command.actor.subject, createdAt: command.now },
    });
    const shown = { productCode, version: row.version, items: checked, createdBy: row.createdBy };
    return {
      result: row,
      audit: { entityType: 'ProductDocumentChecklist', entityId: row.id, before, after: shown },
      events: [{ type: 'productDocumentChecklist.changed', aggregateType: 'ProductDocumentChecklist', aggregateId: row.id, payload: { ...shown, previousVersion: previous?.version ?? null } }],
    };
  });
}
