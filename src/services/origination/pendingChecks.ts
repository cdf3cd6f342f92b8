// Checks a provider took and will answer later ("pending"), followed up on the job queue so any replica can do it
// and a crash loses nothing (jobs are inserted in the same transaction that records the check as pending):
// - the sandbox's providers call back: after SANDBOX_CALLBACK_DELAY_MS a job POSTs the signed callback to this
//   platform's own callback endpoint (PUBLIC_URL/providers/<tenant>/<provider>/callbacks), exactly as a real
//   provider would, so the sandbox exercises the same path (docs/sandbox-providers.md);
// - every provider gets a deadline: PROVIDER_CALLBACK_TIMEOUT_SECONDS after the check was taken, a job records a
//   check still pending as timed out, and the application moves on as for any timed-out check (`checks_failed`,
//   saying which check and why; retryable), instead of waiting in `under_checks` for ever.
import { hkdfSync } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { CheckKind } from '../../domain/origination/checks/providers.js';
import { providerActor, SYSTEM_ACTORS } from '../../domain/actors.js';
import { SANDBOX_PROVIDER_NAMES, sandboxCallback } from '../../domain/origination/checks/sandbox.js';
import { CALLBACK_SIGNATURE_HEADER, callbackBody, readCallback, signCallback, verifyCallback } from '../../domain/origination/checks/callbacks.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { DataKey } from '../../tenancy/sealing.js';
import type { TenantRegistry } from '../../tenancy/registry.js';
import type { TenantClients } from '../../tenancy/tenantClients.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import { inTransaction, type JobQueue } from '../../events/jobs.js';
import { postpone } from '../../events/suspendedTenants.js';
import { observedJob } from '../../observability/backgroundWork.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { completeAssessment, recordCheckResult } from './assessment.js';

export const SANDBOX_CALLBACK_QUEUE = 'sandbox-check-callback';
export const CHECK_DEADLINE_QUEUE = 'check-deadline';
/** A deadline job's retries, when it is queued and when it is queued again past a suspension. */
const DEADLINE_RETRIES = { retryLimit: 10, retryDelay: 5, retryBackoff: true, expireInSeconds: 120 } as const;

/** The secret a provider signs its callbacks to one tenant with. */
export function providerCallbackSecret(dataKey: DataKey, tenant: string, provider: string): string {
  return callbackSecretUnder(dataKey.current.key, tenant, provider);
}

function callbackSecretUnder(key: Buffer, tenant: string, provider: string): string {
  return Buffer.from(hkdfSync('sha256', key, 'lendgraph', `provider-callback|${tenant}|${provider}`, 32)).toString('base64url');
}

/** During a key rotation a provider may still sign with the secret from the previous key: both verify until it is removed. */
function callbackSecretsInForce(dataKey: DataKey, tenant: string, provider: string): string[] {
  return [dataKey.current, ...dataKey.previous].map((k) => callbackSecretUnder(k.key, tenant, provider));
}

export interface PendingCheckPolicy {
  /** How long the sandbox waits before it calls back. */
  sandboxCallbackDelayMs: number;
  /** How long any provider has to call back before the check is recorded as timed out. */
  callbackTimeoutSeconds: number;
}

export interface PendingCheck {
  checkId: string;
  kind: CheckKind;
  provider: string;
  providerReference: string;
}

interface SandboxCallbackJob {
  tenant: string;
  provider: string;
  providerReference: string;
}

interface CheckDeadlineJob {
  tenant: string;
  checkId: string;
  /** Carried so the reason says the timeout the check was actually given, whatever this replica is configured with. */
  timeoutSeconds: number;
  /** How many times it was put off while its tenant was suspended. */
  postponed?: number;
}

/** Providers whose callbacks the sandbox sends itself. */
const CALLED_BACK_BY_SANDBOX = new Set(Object.values(SANDBOX_PROVIDER_NAMES));

/** The jobs that follow up pending checks; inserted by the transaction that records them as pending. */
export async function schedulePendingChecks(
  queue: JobQueue, tx: Tx, tenant: string, pending: readonly PendingCheck[], policy: PendingCheckPolicy, now: Date,
): Promise<void> {
  if (pending.length === 0) return;
  const jobs: PgBoss.JobInsert<SandboxCallbackJob | CheckDeadlineJob>[] = [];
  for (const check of pending) {
    if (CALLED_BACK_BY_SANDBOX.has(check.provider)) {
      jobs.push({
        name: SANDBOX_CALLBACK_QUEUE,
        data: { tenant, provider: check.provider, providerReference: check.providerReference },
        startAfter: new Date(now.getTime() + policy.sandboxCallbackDelayMs),
        // The endpoint may be briefly away (a deploy): try again, backing off, well within the deadline.
        retryLimit: 5, retryDelay: 2, retryBackoff: true, expireInSeconds: 60,
        singletonKey: `callback:${tenant}:${check.checkId}`,
      });
    }
    jobs.push({
      name: CHECK_DEADLINE_QUEUE,
      data: { tenant, checkId: check.checkId, timeoutSeconds: policy.callbackTimeoutSeconds },
      startAfter: new Date(now.getTime() + policy.callbackTimeoutSeconds * 1000),
      ...DEADLINE_RETRIES,
      singletonKey: `deadline:${tenant}:${check.checkId}`,
    });
  }
  await queue.boss.insert(jobs, { db: inTransaction(tx) });
}

export interface PendingCheckDeps {
  registry: TenantRegistry;
  tenantClients: TenantClients;
  dataKey: DataKey;
  publicUrl: string;
  log: Logger;
  now: () => Date;
}

/** The sandbox provider calling back, signed, through the endpoint real providers use. */
export async function sendSandboxCallback(deps: PendingCheckDeps, job: SandboxCallbackJob): Promise<number> {
  const now = deps.now();
  const body = callbackBody(sandboxCallback(job.providerReference, now));
  const signature = signCallback(providerCallbackSecret(deps.dataKey, job.tenant, job.provider), body, now);
  const url = `${deps.publicUrl}/providers/${encodeURIComponent(job.tenant)}/${encodeURIComponent(job.provider)}/callbacks`;
  const response = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json', [CALLBACK_SIGNATURE_HEADER]: signature }, body, signal: AbortSignal.timeout(10_000),
  });
  await response.body?.cancel();
  // A tenant gone (or suspended) answers 401 like any unknown one, and so does a check no longer there (404):
  // nothing to retry. Anything else that is not a 2xx is tried again.
  if (!response.ok && response.status !== 401 && response.status !== 404) throw new Error(`the callback endpoint answered ${response.status}`);
  return response.status;
}

/**
 * A check still pending at its deadline is recorded as timed out, and the assessment completes as it would had
 * the provider answered "timeout": the application moves to `checks_failed`, the reason naming the check.
 */
export async function expireUnansweredCheck(deps: PendingCheckDeps, job: CheckDeadlineJob): Promise<'timed-out' | 'answered' | 'postponed'> {
  const tenant = await deps.registry.findBySlug(job.tenant);
  // A suspended tenant is not written to (a move freezes it so): its deadline is looked at again once it is back.
  if (tenant?.status === 'suspended') return 'postponed';
  if (!tenant || tenant.status !== 'active') return 'answered';
  const db = deps.tenantClients.forTenant(tenant);
  const check = await db.applicationCheck.findUnique({ where: { id: job.checkId } });
  if (!check || check.status !== 'pending') return 'answered';
  const now = deps.now();
  const command: CommandContext = {
    tenant: tenant.slug, now, actor: { subject: SYSTEM_ACTORS.checkDeadline, roles: [], partner: null, clientId: null, requestId: `deadline-${check.id}` },
  };
  return runCommand(db, { ...command, action: 'application.checkTimedOut' }, async (tx) => {
    const reason = `no callback within ${job.timeoutSeconds} s`;
    // Only if still pending: a callback that lands meanwhile wins, and this changes nothing.
    const timedOut = await tx.applicationCheck.updateMany({ where: { id: check.id, status: 'pending' }, data: { status: 'timeout', reason, completedAt: now } });
    if (timedOut.count === 0) return { result: 'answered' as const, audit: [], events: [] };
    // A job, not a caller: a move refused here names no field.
    const out = await completeAssessment(tx, command, tenant.businessDate, check.applicationId, null);
    const application = await tx.application.findUniqueOrThrow({ where: { id: check.applicationId } });
    return {
      result: 'timed-out' as const,
      audit: [{ entityType: 'Application', entityId: check.applicationId, after: { check: check.kind, status: 'timeout', reason } }, ...out.audit],
      events: [
        { type: 'application.checkAnswered', aggregateType: 'Application', aggregateId: check.applicationId, partnerScope: application.originationPartner, payload: { applicationId: check.applicationId, kind: check.kind, status: 'timeout' } },
        ...out.events,
      ],
    };
  });
}

export interface ProviderCallback {
  tenant: string;
  provider: string;
  /** The body exactly as received: the signature covers its bytes. */
  body: string;
  signature: string | undefined;
}

/**
 * A provider answering a pending check (POST /providers/<tenant>/<provider>/callbacks): verified against the
 * secret for that tenant and provider, recorded on the check, and — once every check has answered — the
 * application is decided, the same completion as a synchronous assessment or a deadline.
 */
export async function recordProviderCallback(
  deps: Pick<PendingCheckDeps, 'registry' | 'tenantClients' | 'dataKey' | 'now'>, callback: ProviderCallback,
): Promise<'recorded' | 'already-recorded'> {
  const { provider, body, signature } = callback;
  const tenant = /^[a-z0-9-]{1,63}$/.test(callback.tenant) ? await deps.registry.findBySlug(callback.tenant) : null;
  // Unknown tenants and bad signatures answer alike, so the endpoint tells a stranger nothing.
  const verified = tenant && tenant.status === 'active' && typeof signature === 'string'
    ? callbackSecretsInForce(deps.dataKey, tenant.slug, provider).map((secret) => verifyCallback(secret, signature, body, deps.now()))
      .reduce((first, next) => (first.ok ? first : next))
    : { ok: false as const, reason: 'bad-signature' as const };
  if (!tenant || !verified.ok) throw new AppError('UNAUTHENTICATED', `the callback's signature does not verify (${verified.ok ? 'unknown tenant' : verified.reason})`);
  const answer = readCallback(body);
  const db = deps.tenantClients.forTenant(tenant);
  const byProviderReference = await db.applicationCheck.findFirst({ where: { provider, providerReference: answer.providerReference } });
  const check = byProviderReference
    ?? await db.applicationCheck.findFirst({ where: { id: /^[0-9a-f-]{36}$/.test(answer.reference) ? answer.reference : '00000000-0000-0000-0000-000000000000', provider } });
  if (!check || check.kind !== answer.check) throw new AppError('NOT_FOUND', 'no check of this provider has that reference');
  // The callback's field that named the check, and so its application: what a move the application cannot make names.
  const namedBy = byProviderReference ? 'providerReference' : 'reference';
  if (check.status !== 'pending') return 'already-recorded';
  const command: CommandContext = {
    tenant: tenant.slug, now: deps.now(), actor: { subject: providerActor(provider), roles: [], partner: null, clientId: null, requestId: `callback-${check.id}` },
  };
  return runCommand(db, { ...command, action: 'application.checkCallback' }, async (tx) => {
    // Claimed only while still pending (the row lock orders it against the check's deadline, expireUnansweredCheck):
    // whichever commits first decides the check, and the other changes nothing.
    const claimed = await tx.applicationCheck.updateMany({ where: { id: check.id, status: 'pending' }, data: { completedAt: command.now } });
    if (claimed.count === 0) return { result: 'already-recorded' as const, audit: [], events: [] };
    await recordCheckResult(tx, check.id, answer.result, command.now);
    const out = await completeAssessment(tx, command, tenant.businessDate, check.applicationId, namedBy);
    const application = await tx.application.findUniqueOrThrow({ where: { id: check.applicationId } });
    return {
      result: 'recorded' as const,
      audit: [{ entityType: 'Application', entityId: check.applicationId, after: { check: check.kind, status: answer.result.status, via: 'callback' } }, ...out.audit],
      events: [
        { type: 'application.checkAnswered', aggregateType: 'Application', aggregateId: check.applicationId, partnerScope: application.originationPartner, payload: { applicationId: check.applicationId, kind: check.kind, status: answer.result.status } },
        ...out.events,
      ],
    };
  });
}

/** Creates the queues (every replica inserts into them) and, where jobs are worked, their workers. */
export async function startPendingChecks(queue: JobQueue, deps: PendingCheckDeps, workers: boolean): Promise<void> {
  await queue.ensureQueue({ name: SANDBOX_CALLBACK_QUEUE });
  await queue.ensureQueue({ name: CHECK_DEADLINE_QUEUE });
  if (!workers) return;
  await queue.boss.work<SandboxCallbackJob>(SANDBOX_CALLBACK_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, observedJob(SANDBOX_CALLBACK_QUEUE, async ([job]) => {
    try {
      await sendSandboxCallback(deps, job!.data);
    } catch (error) {
      deps.log.warn({ err: { message: (error as Error).message }, tenant: job!.data.tenant, provider: job!.data.provider }, 'sandbox callback failed');
      throw error;
    }
  }));
  await queue.boss.work<CheckDeadlineJob>(CHECK_DEADLINE_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, observedJob(CHECK_DEADLINE_QUEUE, async ([job]) => {
    if (await expireUnansweredCheck(deps, job!.data) !== 'postponed') return;
    await postpone(job!.data, deps.now(), (next, at) => queue.boss.send(CHECK_DEADLINE_QUEUE, next, { startAfter: at, ...DEADLINE_RETRIES }),
      () => deps.log.warn({ tenant: job!.data.tenant, check: job!.data.checkId }, 'check deadline dropped: its tenant stayed suspended; the check waits for its callback or a retry'));
  }));
}
