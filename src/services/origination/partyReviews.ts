// Staff resolving a possible duplicate (docs/origination-rules.md, "Parties"): a submission that resembled an
// existing party became a party of its own, held for review. Staff decide: the two are distinct people (the review
// closes, nothing moves), or the same person (the new party's roles, documents, checks, loans and the identifiers
// the other lacks move to the existing party; the new party stays as the empty record of what was submitted).
// Each application keeps the copy of what its submitter sent, so a merge never shows a partner anything new.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, statusInWords } from '../../errors.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import type { Tx } from '../../tenancy/tenantClients.js';

export type ReviewResolution = 'distinct' | 'same_person';

async function merge(tx: Tx, from: string, into: string, command: CommandContext): Promise<{ applications: number; identifiers: number }> {
  const links = await tx.applicationParty.findMany({ where: { partyId: from } });
  for (const link of links) {
    const clash = await tx.applicationParty.findUnique({ where: { applicationId_partyId_role: { applicationId: link.applicationId, partyId: into, role: link.role } } });
    if (clash) continue;
    await tx.applicationParty.update({ where: { applicationId_partyId_role: { applicationId: link.applicationId, partyId: from, role: link.role } }, data: { partyId: into } });
  }
  const held = await tx.partyIdentifier.findMany({ where: { partyId: into } });
  const moving = (await tx.partyIdentifier.findMany({ where: { partyId: from } }))
    .filter((i) => !held.some((h) => h.kind === i.kind && h.country === i.country));
  if (moving.length > 0) await tx.partyIdentifier.updateMany({ where: { id: { in: moving.map((i) => i.id) } }, data: { partyId: into } });
  await tx.applicationDocument.updateMany({ where: { partyId: from }, data: { partyId: into } });
  await tx.applicationCheck.updateMany({ where: { partyId: from }, data: { partyId: into } });
  // The loans' borrower changed: a partner or dashboard syncing by updatedSince must see them again.
  await tx.loan.updateMany({ where: { borrowerPartyId: from }, data: { borrowerPartyId: into, updatedAt: command.now } });
  await tx.partyMatch.create({
    data: { id: randomUUID(), partyId: into, reason: 'review', detail: `same person as party ${from}, by review`, channel: 'staff', matchedBy: command.actor.subject, matchedAt: command.now },
  });
  return { applications: links.length, identifiers: moving.length };
}

export async function resolvePartyMatchReview(db: TenantDb, command: CommandContext, reviewId: string, resolution: ReviewResolution, note: string) {
  const reason = note.trim();
  if (reason.length < 3 || reason.length > 1_000) throw new InvalidField('note', 'note must say why, in 3–1,000 characters');
  return runCommand(db, { ...command, action: 'party.review.resolve' }, async (tx) => {
    const review = await tx.partyMatchReview.findUnique({ where: { id: reviewId } });
    if (!review) throw new InvalidField('reviewId', 'no review with that id');
    // Only from open: two people resolving one review at once cannot both succeed.
    const moved = await tx.partyMatchReview.updateMany({
      where: { id: reviewId, status: 'open' },
      data: { status: resolution, resolutionNote: reason, resolvedBy: command.actor.subject, resolvedAt: command.now },
    });
    if (moved.count !== 1) throw new AppError('CONFLICT', `the review was already resolved (${statusInWords(review.status)})`, { field: inputPath('reviewId') });
    const merged = resolution === 'same_person' ? await merge(tx, review.partyId, review.candidatePartyId, command) : null;
    return {
      result: { reviewId },
      audit: [{ entityType: 'PartyMatchReview', entityId: reviewId, before: { status: 'open' }, after: { status: resolution, note: reason, ...(merged ? { mergedInto: review.candidatePartyId, ...merged } : {}) } }],
      // Staff work on parties: nothing for partners' streams.
      events: [],
    };
  });
}
