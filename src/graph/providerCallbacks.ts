// Asynchronous check providers report back here: POST /providers/<tenant>/<provider>/callbacks, signed with
// HMAC-SHA256 over timestamp and body (src/domain/origination/checks/callbacks.ts) under a secret per tenant and
// provider derived from the data key (given to the provider when it is configured). What a verified callback
// does is origination's (recordProviderCallback); the raw body is kept because the signature covers its bytes.
import express, { type Request, type Response } from 'express';
import { replyWithError } from './httpRoutes.js';
import { CALLBACK_SIGNATURE_HEADER } from '../domain/origination/checks/callbacks.js';
import type { Runtime } from '../runtime.js';
import { recordProviderCallback } from '../services/origination/pendingChecks.js';

export const PROVIDER_CALLBACK_PATH = '/providers/:tenant/:provider/callbacks';

export function providerCallbacks(runtime: Runtime) {
  const handle = async (req: Request, res: Response) => {
    try {
      const header = req.headers[CALLBACK_SIGNATURE_HEADER];
      const status = await recordProviderCallback(runtime, {
        tenant: String(req.params['tenant'] ?? ''),
        provider: String(req.params['provider'] ?? ''),
        body: Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '',
        signature: typeof header === 'string' ? header : undefined,
      });
      res.status(200).json({ status });
    } catch (error) {
      replyWithError(runtime, res, error, 'provider callback');
    }
  };
  return [express.raw({ type: '*/*', limit: '1mb' }), handle] as const;
}
