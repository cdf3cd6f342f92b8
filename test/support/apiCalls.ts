// Calls the walks through the API make again and again: a query that must succeed, a mutation with its refusals,
// and a sandbox lender's clock moved on.
import { expect } from 'vitest';
import { gql, userErrors, USER_ERRORS, type TestServer } from './harness.js';

export function apiCalls(server: () => TestServer) {
  /** The data of a query that must answer without errors. */
  const call = async (token: string, document: string, variables: Record<string, unknown> = {}) => {
    const response = await gql(server().gateway, document, { token, variables });
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    return response.data!;
  };
  /** A mutation's refusals (its userErrors) and its payload. */
  const mutate = async (token: string, name: string, document: string, input: Record<string, unknown>) => {
    const response = await gql(server().gateway, document, { token, variables: { input } });
    return { errors: userErrors(response, name), data: response.data?.[name] };
  };
  /** A sandbox lender's clock moved on by `days`, end of day run for each. */
  const advance = async (token: string, days: number) => {
    const { errors } = await mutate(token, 'advanceSandboxClock', `mutation($input: AdvanceSandboxClockInput!) { advanceSandboxClock(input: $input) { tenant { businessDate } ${USER_ERRORS} } }`, { days });
    expect(errors).toEqual([]);
  };
  return { call, mutate, advance };
}
