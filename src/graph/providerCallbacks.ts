// Asynchronous check providers report back here: POST /providers/<tenant>/<provider>/callbacks, signed with
// HMAC-SHA256 over timestamp and body (src/domain/origination/checks/callbacks.ts) under a secret per tenant and
// provider derived from the data key (given to the provider when it is configured). A verified callback records
// the check's answer and, once every check has answered, the application is decided — the same completion as a
// synchronous assessment.
import express, { type Request, type Response } from 'express';
import { AppError } from '../errors.js';
import { replyWithError } from './httpRoutes.js';
import { CALLBACK_SIGNATURE_HEADER, readCallback, verifyCallback } from '../domain/origination/checks/callbacks.js';
import type { Runtime } from '../runtime.js';
import { providerCallbackSecret } from '../services/origination/pendingChecks.js';
import { runCommand } from '../commands/runCommand.js';
import { completeAssessment, recordCheckResult } from '../services/origination/assessment.js';

export const PROVIDER_CALLBACK_PATH = '/providers/:tenant/:provider/callbacks';

export { providerCallbackSecret };

export function providerCallbacks(runtime: Runtime) {
  const handle = async (req: Request, res: Response) => {
    try {
      const tenantSlug = String(req.params['tenant'] ?? '');
      const provider = String(req.params['provider'] ?? '');
      const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const header = req.headers[CALLBACK_SIGNATURE_HEADER];
      const tenant = /^[a-z0-9-]{1,63}$/.test(tenantSlug) ? await runtime.registry.findBySlug(tenantSlug) : null;
      // Unknown tenants and bad signatures answer alike, so the endpoint tells a stranger nothing.
      const verified = tenant && tenant.status === 'active' && typeof header === 'string'
        ? verifyCallback(providerCallbackSecret(runtime.dataKey, tenant.slug, provider), header, body, runtime.now())
        : { ok: false as const, reason: 'bad-signature' as const };
      if (!tenant || !verified.ok) throw new AppError('UNAUTHENTICATED', `the callback's signature does not verify (${verified.ok ? 'unknown tenant' : verified.reason})`);
      const callback = readCallback(body);
      const db = runtime.tenantClients.forSchema(tenant.schemaName);
      const check = await db.applicationCheck.findFirst({ where: { provider, providerReference: callback.providerReference } })
        ?? await db.applicationCheck.findFirst({ where: { id: /^[0-9a-f-]{36}$/.test(callback.reference) ? callback.reference : '00000000-0000-0000-0000-000000000000', provider } });
      if (!check || check.kind !== callback.check) throw new AppError('NOT_FOUND', 'no check of this provider has that reference');
      if (check.status !== 'pending') {
        res.status(200).json({ status: 'already-recorded' });
        return;
      }
      const command = { tenant: tenant.slug, actor: { subject: `provider:${provider}`, roles: [], partner: null, clientId: null, requestId: `callback-${check.id}` }, now: runtime.now() };
      const outcome = await runCommand(db, { ...command, action: 'application.checkCallback' }, async (tx) => {
        // Claimed only while still pending (the row lock orders it against the check's deadline, pendingChecks.ts):
        // whichever commits first decides the check, and the other changes nothing.
        const claimed = await tx.applicationCheck.updateMany({ where: { id: check.id, status: 'pending' }, data: { completedAt: command.now } });
        if (claimed.count === 0) return { result: 'already-recorded' as const, audit: [], events: [] };
        await recordCheckResult(tx, check.id, callback.result, command.now);
        const out = await completeAssessment(tx, command, tenant.businessDate, check.applicationId);
        const application = await tx.application.findUniqueOrThrow({ where: { id: check.applicationId } });
        return {
          result: 'recorded' as const,
          audit: [{ entityType: 'Application', entityId: check.applicationId, after: { check: check.kind, status: callback.result.status, via: 'callback' } }, ...out.audit],
          events: [
            { type: 'application.checkAnswered', aggregateType: 'Application', aggregateId: check.applicationId, partnerScope: application.originationPartner, payload: { applicationId: check.applicationId, kind: check.kind, status: callback.result.status } },
            ...out.events,
          ],
        };
      }, undefined);
      res.status(200).json({ status: outcome });
    } catch (error) {
      replyWithError(runtime, res, error, 'provider callback');
    }
  };
  return [express.raw({ type: '*/*', limit: '1mb' }), handle] as const;
}
