// Assessing an application as the caller: the checks through the providers, then the credit policy
// (src/services/origination/assessment.ts). Shared by submission, which assesses at once, and assessApplication.
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { assessApplication, SANDBOX_PROVIDERS } from '../services/origination/assessment.js';
import { schedulePendingChecks } from '../services/origination/pendingChecks.js';

export function assessAs(context: GraphContext, applicationId: string): Promise<{ status: string }> {
  const { runtime } = context;
  const command = commandOf(context);
  const policy = { sandboxCallbackDelayMs: runtime.config.SANDBOX_CALLBACK_DELAY_MS, callbackTimeoutSeconds: runtime.config.PROVIDER_CALLBACK_TIMEOUT_SECONDS };
  return assessApplication(commandDbOf(context), {
    dataKey: runtime.dataKey,
    providers: SANDBOX_PROVIDERS,
    followUpPending: (tx, pending) => schedulePendingChecks(runtime.webhooks.queue, tx, command.tenant, pending, policy, command.now),
  }, command, context.tenant!.businessDate, applicationId, context.principal!.partner?.id ?? null);
}
