// What the load scenarios need before they run, prepared through the API itself as a lender would: a token for each
// actor, an origination partner, a book of active loans to pay and read, and the tenant's business date. Written as
// an Artillery script fragment (`config.target` and `config.variables`) that every scenario run is given with its
// own script. Tokens come from the gateway's development issuer (its signing key under the gateway's DATA_DIR, as
// `npm run token` signs them) or, for a deployed environment, from a file of real tokens.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { signDevToken, type DevSigningKey } from '../src/authz/devIssuer.js';
import type { Role } from '../src/authz/roles.js';
import { addDays } from '../src/domain/calendar.js';

/** Who each scenario acts as, and the role its token carries. */
export const ACTORS = {
  partner: 'origination-partner',
  servicing: 'servicing-agent',
  finance: 'finance',
  dashboard: 'loan-officer',
  admin: 'tenant-admin',
  disburser: 'disbursement-officer',
} as const satisfies Record<string, Role>;
export type Actor = keyof typeof ACTORS;

export type TokenSource =
  /** Sign with the development issuer's key in the gateway's DATA_DIR. */
  | { kind: 'development'; dataDir: string; audience: string }
  /** Tokens an identity provider issued, by role (`tenant-admin`, `servicing-agent`…). */
  | { kind: 'given'; byRole: Partial<Record<Role, string>> };

export interface TargetOptions {
  /** The gateway's base URL (`http://127.0.0.1:4000`); GraphQL is at `/graphql` on it, over HTTP and WebSocket. */
  target: string;
  tenant: string;
  tokens: TokenSource;
  /** Loans to book for the payment and read scenarios. */
  loans: number;
  /** The partner the submissions come from (registered when the tokens are the development issuer's). */
  partnerCode: string;
  /** Onboard the tenant as a sandbox when it does not exist (development issuer only: a platform admin's token). */
  createTenant: boolean;
  /** Lifetime of development tokens: long enough for the whole run. */
  tokenTtlSeconds: number;
  say?: (line: string) => void;
}

/** What `config.variables` holds for the scenarios (the names the YAML files use). */
export interface TargetVariables {
  wsTarget: string;
  tenant: string;
  businessDate: string;
  productCode: string;
  partnerToken: string;
  servicingToken: string;
  financeToken: string;
  dashboardToken: string;
  /** Artillery gives each virtual user one of these at random. */
  loanId: string[];
  /** Every loan, space-separated, for the payment files (an array would be sampled like `loanId`). */
  loanBook: string;
}

export interface PreparedTarget {
  config: { target: string; variables: TargetVariables };
}

const PRODUCT = 'PL-STD';
const PRINCIPAL = '50000.00';
const BOOKING_IN_FLIGHT = 8;

interface GraphQLAnswer {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function graphql(base: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const response = await fetch(new URL('/graphql', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let answer: GraphQLAnswer;
  try {
    answer = JSON.parse(text) as GraphQLAnswer;
  } catch {
    throw new Error(`${base}/graphql answered HTTP ${response.status} that is not JSON: ${text.slice(0, 300)}`);
  }
  if (answer.errors?.length || !answer.data) {
    const first = answer.errors?.[0];
    throw new Error(`${base}/graphql answered ${first?.extensions?.code ?? `HTTP ${response.status}`}: ${first?.message ?? text.slice(0, 300)}`);
  }
  return answer.data;
}

/** A mutation's payload, or an error naming its refusal. */
function payloadOf(data: Record<string, any>, mutation: string): Record<string, any> {
  const payload = data[mutation] as { userErrors?: { code: string; field?: string | null; message: string }[] } | null;
  const refusal = payload?.userErrors?.[0];
  if (!payload || refusal) throw new Error(`${mutation} refused: ${refusal ? `${refusal.code} ${refusal.field ?? ''} ${refusal.message}` : 'no payload'}`);
  return payload;
}

/** The development issuer's key as the gateway holds it, checked against the keys it publishes. */
async function developmentKey(base: string, dataDir: string): Promise<{ key: DevSigningKey; issuer: string }> {
  const discovery = await fetch(new URL('/dev-issuer/.well-known/openid-configuration', base));
  if (!discovery.ok) throw new Error(`${base} has no development issuer (HTTP ${discovery.status}): give real tokens with --tokens FILE`);
  const { issuer, jwks_uri: jwksUri } = (await discovery.json()) as { issuer: string; jwks_uri: string };
  const file = path.join(dataDir, 'dev-issuer', 'signing-key.json');
  if (!existsSync(file)) throw new Error(`no development issuer key at ${file}: pass --data-dir, the gateway's DATA_DIR`);
  const key = JSON.parse(readFileSync(file, 'utf8')) as DevSigningKey;
  const published = (await (await fetch(new URL(new URL(jwksUri).pathname, base))).json()) as { keys: { kid?: string }[] };
  if (!published.keys.some((k) => k.kid === key.kid)) throw new Error(`the key at ${file} is not the one ${base} verifies with: pass --data-dir, that gateway's DATA_DIR`);
  return { key, issuer };
}

export async function prepareTarget(options: TargetOptions): Promise<PreparedTarget> {
  const say = options.say ?? (() => {});
  const base = options.target.replace(/\/$/, '');
  const run = randomBytes(4).toString('hex');

  let tokenFor: (actor: Actor) => Promise<string>;
  if (options.tokens.kind === 'development') {
    const { key, issuer } = await developmentKey(base, options.tokens.dataDir);
    const audience = options.tokens.audience;
    const sign = (role: Role, extra: { tenant?: string; partner?: { id: string; kind: 'origination' } } = {}) =>
      signDevToken(key, { issuer, audience, role, ...extra, ttlSeconds: options.tokenTtlSeconds, now: new Date() });
    if (options.createTenant) {
      const created = payloadOf(await graphql(base, await sign('platform-admin'), `mutation Onboard($input: CreateTenantInput!) {
        createTenant(input: $input) { created tenant { slug status } userErrors { code field message } } }`,
      { input: { slug: options.tenant, displayName: `Load tests ${options.tenant}`, currency: 'USD', timeZone: 'UTC', sandbox: true } }), 'createTenant');
      say(`tenant ${options.tenant}: ${created['created'] ? 'onboarded as a sandbox' : 'already there'} (${created['tenant'].status})`);
    }
    const admin = await sign('tenant-admin', { tenant: options.tenant });
    // The same key each time: a second setup finds the partner registered by the first.
    payloadOf(await graphql(base, admin, `mutation Register($input: RegisterPartnerInput!) {
      registerPartner(input: $input) { partner { code kind active } userErrors { code field message } } }`,
    { input: { code: options.partnerCode, name: 'Load tests marketplace', kind: 'ORIGINATION', idempotencyKey: `load-tests-partner-${options.partnerCode}` } }), 'registerPartner');
    tokenFor = (actor) => actor === 'partner'
      ? sign(ACTORS.partner, { tenant: options.tenant, partner: { id: options.partnerCode, kind: 'origination' } })
      : sign(ACTORS[actor], { tenant: options.tenant });
  } else {
    const byRole = options.tokens.byRole;
    tokenFor = async (actor) => {
      // The lender's admin may stand in for any of its staff; a partner's submissions need the partner's own token.
      const token = byRole[ACTORS[actor]] ?? (actor === 'partner' ? undefined : byRole['tenant-admin']);
      if (!token) throw new Error(`the tokens file has no ${ACTORS[actor]} token${actor === 'partner' ? '' : ' (nor a tenant-admin one to stand in)'}`);
      return token;
    };
  }

  const [partnerToken, servicingToken, financeToken, dashboardToken, disburserToken] = await Promise.all(
    (['partner', 'servicing', 'finance', 'dashboard', 'disburser'] as const).map((actor) => tokenFor(actor)));
  const tenant = (await graphql(base, dashboardToken!, '{ currentTenant { slug businessDate } }'))['currentTenant'] as { slug: string; businessDate: string };
  if (tenant.slug !== options.tenant) throw new Error(`the tokens act for tenant ${tenant.slug}, not ${options.tenant}`);
  // The partner's token must act for the same lender, as that partner.
  const viewer = (await graphql(base, partnerToken!, '{ viewer { partner { kind } } currentTenant { slug } }')) as { viewer: { partner: { kind: string } | null }; currentTenant: { slug: string } };
  if (!viewer.viewer.partner || viewer.currentTenant.slug !== options.tenant) throw new Error(`the partner token is not an origination partner's of tenant ${options.tenant}`);

  // Loans paid out 90 days ago, so instalments are already due when the payments arrive; each run books its own.
  const disbursementDate = addDays(tenant.businessDate, -90);
  const loanIds: string[] = [];
  const booking = performance.now();
  for (let start = 0; start < options.loans; start += BOOKING_IN_FLIGHT) {
    await Promise.all(Array.from({ length: Math.min(BOOKING_IN_FLIGHT, options.loans - start) }, async (_, k) => {
      const i = start + k;
      const booked = payloadOf(await graphql(base, disburserToken!, `mutation Book($input: DisburseLoanInput!) {
        disburseLoan(input: $input) { loan { id } userErrors { code field message } } }`, {
        input: {
          idempotencyKey: `load-tests-${run}-loan-${i}`, productCode: PRODUCT, principal: PRINCIPAL, numberOfRepayments: 24,
          disbursementDate, firstRepaymentDate: addDays(disbursementDate, 30), externalReference: `LOAD-${run}-${i}`,
        },
      }), 'disburseLoan');
      loanIds[i] = booked['loan'].id as string;
    }));
  }
  say(`booked ${loanIds.length} loans of ${PRINCIPAL} (${PRODUCT}) in ${((performance.now() - booking) / 1000).toFixed(1)} s; business date ${tenant.businessDate}`);

  const ws = new URL('/graphql', base);
  ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
  return {
    config: {
      target: base,
      variables: {
        wsTarget: ws.href, tenant: options.tenant, businessDate: tenant.businessDate, productCode: PRODUCT,
        partnerToken: partnerToken!, servicingToken: servicingToken!, financeToken: financeToken!, dashboardToken: dashboardToken!,
        loanId: loanIds, loanBook: loanIds.join(' '),
      },
    },
  };
}

/** Writes the fragment (it holds bearer tokens: readable by its owner only). */
export function writeTarget(prepared: PreparedTarget, file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(prepared, null, 2)}\n`, { mode: 0o600 });
}
