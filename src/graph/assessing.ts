// Assessing an application as the caller: the checks through the providers, then the credit policy
// (src/tenancy/origination/assessment.ts). Shared by submission, which assesses at once, and assessApplication.
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { assessApplication, SANDBOX_PROVIDERS } from '../tenancy/origination/assessment.js';

export function assessAs(context: GraphContext, applicationId: string): Promise<{ status: string }> {
  return assessApplication(commandDbOf(context), { dataKey: context.runtime.dataKey, providers: SANDBOX_PROVIDERS }, commandOf(context),
    context.tenant!.businessDate, applicationId, context.principal!.partner?.id ?? null);
}
