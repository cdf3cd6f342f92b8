// Co-lending arrangements (docs/co-lending.md): the terms on which a co-lending partner takes shares of the
// lender's loans. Terms are versions: one person proposes a version, another decides it (four eyes); approved, it
// is in force from then on and the version it replaces is superseded, while loans keep the version they were
// assigned under. Every version is checked against the lender's co-lending rules (the Reserve Bank of India's 2025
// values until the lender sets its own). The partner's accounts in the lender's books open with its first
// approved arrangement.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, noSuchCode, statusInWords } from '../../errors.js';
import { Decimal, isCurrency } from '../../domain/money.js';
import { checkArrangementTerms, MAX_ARRANGEMENT_VERSIONS, RBI_2025_RULES, type ArrangementTerms, type CoLendingRules } from '../../domain/servicing/coLending.js';
import { refuseMakerAsChecker } from '../../commands/pendingRequests.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { isUuid } from '../../domain/globalId.js';

export type ArrangementVersionRow = Awaited<ReturnType<TenantDb['coLendingArrangementVersion']['findUniqueOrThrow']>>;

/** The lender's co-lending rules: its own when set, else the Reserve Bank of India's 2025 values. */
export async function coLendingRules(db: TenantDb | Tx): Promise<CoLendingRules & { own: boolean }> {
  const row = await db.coLendingRules.findFirst({ where: { id: true } });
  if (!row) return { ...RBI_2025_RULES, own: false };
  return {
    minimumRetentionPercent: new Decimal(row.minimumRetentionPercent.toString()),
    maximumGuaranteePercent: new Decimal(row.maximumGuaranteePercent.toString()),
    assignmentWindowDays: row.assignmentWindowDays,
    own: true,
  };
}

/** Sets the lender's own rules; arrangements already in force keep their terms, new versions are held to these. */
export async function setCoLendingRules(db: TenantDb, command: CommandContext, rules: CoLendingRules) {
  if (rules.minimumRetentionPercent.isNegative() || rules.minimumRetentionPercent.gte(100)) throw new InvalidField('minimumRetentionPercent', 'minimumRetentionPercent must be from 0 to less than 100');
  if (rules.maximumGuaranteePercent.isNegative() || rules.maximumGuaranteePercent.gt(100)) throw new InvalidField('maximumGuaranteePercent', 'maximumGuaranteePercent must be from 0 to 100');
  if (!Number.isInteger(rules.assignmentWindowDays) || rules.assignmentWindowDays < 0 || rules.assignmentWindowDays > 365) {
    throw new InvalidField('assignmentWindowDays', 'assignmentWindowDays must be a whole number of days from 0 to 365');
  }
  return runCommand(db, { ...command, action: 'coLending.setRules' }, async (tx) => {
    const before = await coLendingRules(tx);
    const data = {
      minimumRetentionPercent: rules.minimumRetentionPercent.toFixed(), maximumGuaranteePercent: rules.maximumGuaranteePercent.toFixed(),
      assignmentWindowDays: rules.assignmentWindowDays, changedBy: command.actor.subject, changedAt: command.now,
    };
    await tx.coLendingRules.upsert({ where: { id: true }, create: { id: true, ...data }, update: data });
    const after = await coLendingRules(tx);
    const shown = (r: CoLendingRules) => ({
      minimumRetentionPercent: r.minimumRetentionPercent.toFixed(), maximumGuaranteePercent: r.maximumGuaranteePercent.toFixed(), assignmentWindowDays: r.assignmentWindowDays,
    });
    return {
      result: after,
      audit: { entityType: 'CoLendingRules', entityId: 'rules', before: shown(before), after: shown(after) },
      events: [],
    };
  });
}

export interface ArrangementProposal {
  /** A new version of this arrangement; absent: a new arrangement with `partnerCode`, `name` and `currency`. */
  arrangementId?: string | null;
  partnerCode?: string | null;
  name?: string | null;
  currency?: string | null;
  terms: ArrangementTerms;
}

function shownTerms(t: ArrangementTerms) {
  return {
    sharePercent: t.sharePercent.toFixed(), partnerRatePercent: t.partnerRatePercent.toFixed(), model: t.model, servicingFeePercent: t.servicingFeePercent.toFixed(),
    guarantee: t.guarantee && { capPercent: t.guarantee.capPercent.toFixed(), triggerDaysPastDue: t.guarantee.triggerDaysPastDue },
    sharesFees: t.sharesFees, sharesPenalties: t.sharesPenalties, productCodes: [...t.productCodes],
    maxLoanPrincipal: t.maxLoanPrincipal?.toFixed() ?? null, totalLimit: t.totalLimit?.toFixed() ?? null, validFrom: t.validFrom, validTo: t.validTo,
    borrowerData: t.borrowerData,
  };
}

/** The terms a stored version says. */
export function termsOfVersion(v: ArrangementVersionRow): ArrangementTerms {
  const dec = (x: { toString(): string }) => new Decimal(x.toString());
  return {
    sharePercent: dec(v.sharePercent), partnerRatePercent: dec(v.partnerRatePercent), model: v.model as ArrangementTerms['model'], servicingFeePercent: dec(v.servicingFeePercent),
    guarantee: v.guaranteeCapPercent === null ? null : { capPercent: dec(v.guaranteeCapPercent), triggerDaysPastDue: v.guaranteeTriggerDays! },
    sharesFees: v.sharesFees, sharesPenalties: v.sharesPenalties, productCodes: v.productCodes,
    maxLoanPrincipal: v.maxLoanPrincipal === null ? null : dec(v.maxLoanPrincipal), totalLimit: v.totalLimit === null ? null : dec(v.totalLimit),
    validFrom: businessDateOf(v.validFrom), validTo: v.validTo === null ? null : businessDateOf(v.validTo),
    borrowerData: v.borrowerData as ArrangementTerms['borrowerData'],
  };
}

/** The maker's half: a new arrangement, or a new version of one; nothing is in force until another person approves it. */
export async function proposeArrangement(db: TenantDb, command: CommandContext, proposal: ArrangementProposal) {
  const rules = await coLendingRules(db);
  checkArrangementTerms(proposal.terms, rules);
  return runCommand(db, { ...command, action: 'coLending.proposeArrangement' }, async (tx) => {
    const terms = proposal.terms;
    if (terms.productCodes.length > 0) {
      const known = new Set((await tx.loanProduct.findMany({ where: { code: { in: [...terms.productCodes] } }, select: { code: true } })).map((p) => p.code));
      const k = terms.productCodes.findIndex((code) => !known.has(code));
      if (k >= 0) throw noSuchCode(`productCodes.${k}`, `no loan product with the code ${terms.productCodes[k]}`);
    }
    let arrangement;
    if (proposal.arrangementId) {
      arrangement = isUuid(proposal.arrangementId) ? await tx.coLendingArrangement.findUnique({ where: { id: proposal.arrangementId } }) : null;
      if (!arrangement) throw new InvalidField('arrangementId', 'no co-lending arrangement with that id');
      // Versions are numbered one at a time per arrangement.
      await tenantSql(tx, schemaForSlug(command.tenant)).query((s) => `SELECT 1 FROM ${s}.colending_arrangement WHERE id = $1::uuid FOR UPDATE`, arrangement.id);
    } else {
      const partnerCode = proposal.partnerCode ?? '';
      const partner = await tx.partner.findUnique({ where: { code: partnerCode } });
      if (!partner || partner.kind !== 'colending') throw noSuchCode('partnerCode', 'no co-lending partner with that code');
      if (partner.status !== 'active') throw new AppError('CONFLICT', 'the partner is not active', { field: inputPath('partnerCode') });
      const name = (proposal.name ?? '').trim();
      if (name.length < 1 || name.length > 120) throw new InvalidField('name', 'name must be 1–120 characters');
      const currency = proposal.currency ?? '';
      if (!isCurrency(currency)) throw new InvalidField('currency', 'currency must be an ISO 4217 code of a currency in use');
      if (await tx.coLendingArrangement.findUnique({ where: { partnerCode_name: { partnerCode, name } } })) {
        throw new AppError('CONFLICT', 'the partner already has an arrangement of that name: propose a new version of it instead', { field: inputPath('name') });
      }
      arrangement = await tx.coLendingArrangement.create({ data: { id: randomUUID(), partnerCode, name, currency, createdBy: command.actor.subject, createdAt: command.now } });
    }
    const pending = await tx.coLendingArrangementVersion.findFirst({ where: { arrangementId: arrangement.id, status: 'pending' } });
    if (pending) throw new AppError('CONFLICT', `version ${pending.version} of the arrangement is waiting for a decision: decide it first`, { field: inputPath('arrangementId') });
    const last = await tx.coLendingArrangementVersion.findFirst({ where: { arrangementId: arrangement.id }, orderBy: { version: 'desc' } });
    if ((last?.version ?? 0) >= MAX_ARRANGEMENT_VERSIONS) {
      throw new InvalidField('arrangementId', `an arrangement has at most ${MAX_ARRANGEMENT_VERSIONS} versions and this one has them all: propose a new arrangement for the partner's further terms`);
    }
    const version = await tx.coLendingArrangementVersion.create({
      data: {
        arrangementId: arrangement.id, version: (last?.version ?? 0) + 1,
        sharePercent: terms.sharePercent.toFixed(), partnerRatePercent: terms.partnerRatePercent.toFixed(), model: terms.model, servicingFeePercent: terms.servicingFeePercent.toFixed(),
        guaranteeCapPercent: terms.guarantee?.capPercent.toFixed() ?? null, guaranteeTriggerDays: terms.guarantee?.triggerDaysPastDue ?? null,
        sharesFees: terms.sharesFees, sharesPenalties: terms.sharesPenalties, productCodes: [...terms.productCodes],
        maxLoanPrincipal: terms.maxLoanPrincipal?.toFixed() ?? null, totalLimit: terms.totalLimit?.toFixed() ?? null,
        validFrom: dateColumn(terms.validFrom), validTo: terms.validTo === null ? null : dateColumn(terms.validTo),
        borrowerData: terms.borrowerData, status: 'pending', proposedBy: command.actor.subject, proposedAt: command.now,
      },
    });
    const shown = { arrangementId: arrangement.id, partnerCode: arrangement.partnerCode, name: arrangement.name, version: version.version, ...shownTerms(terms) };
    return {
      result: version,
      audit: { entityType: 'CoLendingArrangement', entityId: arrangement.id, after: shown },
      events: [{
        type: 'coLendingArrangement.proposed', aggregateType: 'CoLendingArrangement', aggregateId: arrangement.id, partnerScope: null,
        payload: { arrangementId: arrangement.id, partnerCode: arrangement.partnerCode, version: version.version, proposedBy: command.actor.subject },
      }],
    };
  });
}

/** The partner's accounts in the lender's books, opened with its first approved arrangement. */
async function partnerLedger(tx: Tx, tenant: string, partnerCode: string, partnerName: string, now: Date, by: string) {
  const existing = await tx.coLendingPartnerLedger.findUnique({ where: { partnerCode } });
  if (existing) return existing;
  // Partners are numbered one at a time: account codes are 2200-<n>, 2210-<n> and 4400-<n>.
  await tenantSql(tx, schemaForSlug(tenant)).execute((s) => `LOCK TABLE ${s}.colending_partner_ledger IN SHARE ROW EXCLUSIVE MODE`);
  const last = await tx.coLendingPartnerLedger.findFirst({ orderBy: { number: 'desc' } });
  const number = (last?.number ?? 0) + 1;
  const accounts = [
    { code: `2200-${number}`, name: `Payable to co-lender ${partnerName}`.slice(0, 200), kind: 'liability' },
    { code: `2210-${number}`, name: `Co-lender ${partnerName}'s share of principal lent`.slice(0, 200), kind: 'liability' },
    { code: `4400-${number}`, name: `Servicing fees from co-lender ${partnerName}`.slice(0, 200), kind: 'income' },
  ];
  for (const account of accounts) {
    if (await tx.ledgerAccount.findUnique({ where: { code: account.code } })) {
      throw new AppError('CONFLICT', `the ledger already has an account ${account.code}: the co-lender's accounts cannot be opened`, { field: inputPath('arrangementId') });
    }
    await tx.ledgerAccount.create({ data: { ...account, role: null, createdBy: by, createdAt: now } });
  }
  return tx.coLendingPartnerLedger.create({
    data: { partnerCode, number, payableAccount: accounts[0]!.code, fundedAccount: accounts[1]!.code, servicingFeeAccount: accounts[2]!.code, openedAt: now },
  });
}

/** The checker's half: another person approves the version (it is in force; the one before is superseded) or rejects it. */
export async function decideArrangement(db: TenantDb, command: CommandContext, input: { arrangementId: string; version: number; approve: boolean; reason: string | null }) {
  const action = input.approve ? 'coLending.approveArrangement' : 'coLending.rejectArrangement';
  return runCommand(db, { ...command, action }, async (tx) => {
    const [row] = isUuid(input.arrangementId) ? await tenantSql(tx, schemaForSlug(command.tenant)).query<{ status: string }[]>(
      (s) => `SELECT status FROM ${s}.colending_arrangement_version WHERE arrangement_id = $1::uuid AND version = $2 FOR UPDATE`, input.arrangementId, input.version) : [];
    if (!row) {
      // The arrangement first: a version of one the caller cannot see is no fault of the number.
      const known = isUuid(input.arrangementId) && await tx.coLendingArrangement.findUnique({ where: { id: input.arrangementId }, select: { id: true } });
      if (!known) throw new InvalidField('arrangementId', 'no co-lending arrangement with that id');
      throw new InvalidField('version', 'the arrangement has no version of that number');
    }
    if (row.status !== 'pending') throw new AppError('CONFLICT', `this version is already ${statusInWords(row.status)}`, { field: inputPath('version') });
    const key = { arrangementId_version: { arrangementId: input.arrangementId, version: input.version } };
    const version = await tx.coLendingArrangementVersion.findUniqueOrThrow({ where: key, include: { arrangement: true } });
    refuseMakerAsChecker(version.proposedBy, command.actor.subject, 'arrangement', inputPath('version'));
    if (input.approve) {
      // The rules may have changed since it was proposed: it is held to the rules in force when it takes effect.
      try {
        checkArrangementTerms(termsOfVersion(version), await coLendingRules(tx));
      } catch (error) {
        if (error instanceof InvalidField) throw new AppError('CONFLICT', `the terms no longer fit the lender's co-lending rules: ${error.message}`, { field: inputPath('version') });
        throw error;
      }
      await tx.coLendingArrangementVersion.updateMany({ where: { arrangementId: input.arrangementId, status: 'approved' }, data: { status: 'superseded' } });
      const partner = await tx.partner.findUniqueOrThrow({ where: { code: version.arrangement.partnerCode } });
      await partnerLedger(tx, command.tenant, partner.code, partner.name, command.now, command.actor.subject);
    }
    const status = input.approve ? 'approved' : 'rejected';
    const decided = await tx.coLendingArrangementVersion.update({
      where: key, data: { status, decidedBy: command.actor.subject, decidedAt: command.now, decisionReason: input.reason },
    });
    const payload = { arrangementId: input.arrangementId, partnerCode: version.arrangement.partnerCode, version: input.version, reason: input.reason };
    return {
      result: decided,
      audit: { entityType: 'CoLendingArrangement', entityId: input.arrangementId, before: { version: input.version, status: 'pending' }, after: { version: input.version, status, reason: input.reason } },
      events: [input.approve
        ? { type: 'coLendingArrangement.approved', aggregateType: 'CoLendingArrangement', aggregateId: input.arrangementId, partnerScope: version.arrangement.partnerCode, payload }
        : { type: 'coLendingArrangement.rejected', aggregateType: 'CoLendingArrangement', aggregateId: input.arrangementId, partnerScope: null, payload }],
    };
  });
}

/** The version of an arrangement in force, or null. */
export function versionInForce(tx: TenantDb | Tx, arrangementId: string) {
  return tx.coLendingArrangementVersion.findFirst({ where: { arrangementId, status: 'approved' }, include: { arrangement: true } });
}
