// `npm run load:setup -- --target URL [--tenant demo] [--data-dir .lendgraph | --tokens FILE] [--loans 200]`:
// prepares a gateway for the load scenarios (load-tests/target.ts) and writes what they are given,
// load-tests/.run/target.json by default. `npm run load` then runs the scenarios against it.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { isRole, type Role } from '../src/authz/roles.js';
import { prepareTarget, writeTarget, type TokenSource } from './target.js';
import { DEFAULT_TARGET_FILE } from './artillery.js';

const USAGE = `usage: npm run load:setup -- --target URL [--tenant SLUG] [--data-dir DIR | --tokens FILE] [--loans N] [--create-tenant] [--out FILE]

  --target URL      the gateway (default http://127.0.0.1:4000)
  --tenant SLUG     the lender the scenarios act for (default demo, the sandbox \`npm start\` makes)
  --data-dir DIR    the gateway's DATA_DIR, whose development issuer key signs the tokens (default .lendgraph)
  --tokens FILE     instead, real tokens: a JSON object by role, e.g. {"tenant-admin": "eyJ…", "origination-partner": "eyJ…"}
                    (tenant-admin stands in for any staff role missing; the partner must be registered already)
  --partner CODE    the origination partner submitting applications (default load-tests)
  --loans N         loans to book for payments and reads (default 200)
  --create-tenant   onboard --tenant as a sandbox when it does not exist (development issuer only)
  --ttl SECONDS     lifetime of development tokens (default 7200)
  --audience AUD    the audience development tokens are for: the gateway's AUTH_AUDIENCE (default lendgraph-api)
  --out FILE        where to write (default ${path.relative(process.cwd(), DEFAULT_TARGET_FILE)})
`;

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'http://127.0.0.1:4000' },
    tenant: { type: 'string', default: 'demo' },
    'data-dir': { type: 'string' },
    tokens: { type: 'string' },
    partner: { type: 'string', default: 'load-tests' },
    loans: { type: 'string', default: '200' },
    'create-tenant': { type: 'boolean', default: false },
    ttl: { type: 'string', default: '7200' },
    audience: { type: 'string', default: 'lendgraph-api' },
    out: { type: 'string', default: DEFAULT_TARGET_FILE },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function usage(problem: string): never {
  process.stderr.write(`${problem}\n\n${USAGE}`);
  process.exit(2);
}

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const loans = Number(values.loans);
if (!Number.isInteger(loans) || loans < 1) usage('--loans must be a whole number of loans, at least 1');
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl < 60) usage('--ttl must be a whole number of seconds, at least 60');
if (values.tokens && values['data-dir']) usage('--tokens and --data-dir are two sources of tokens: give one');
if (values.tokens && values['create-tenant']) usage('--create-tenant needs the development issuer (a platform admin\'s token): leave out --tokens');

let tokens: TokenSource;
if (values.tokens) {
  const parsed = JSON.parse(readFileSync(values.tokens, 'utf8')) as Record<string, unknown>;
  const byRole: Partial<Record<Role, string>> = {};
  for (const [role, token] of Object.entries(parsed)) {
    if (!isRole(role)) usage(`--tokens: ${role} is not a role`);
    if (typeof token !== 'string' || token.length === 0) usage(`--tokens: the ${role} token must be a string`);
    byRole[role] = token;
  }
  tokens = { kind: 'given', byRole };
} else {
  tokens = { kind: 'development', dataDir: path.resolve(values['data-dir'] ?? '.lendgraph'), audience: values.audience };
}

try {
  const prepared = await prepareTarget({
    target: values.target, tenant: values.tenant, tokens, loans, partnerCode: values.partner, createTenant: values['create-tenant'],
    tokenTtlSeconds: ttl, say: (line) => process.stdout.write(`${line}\n`),
  });
  writeTarget(prepared, values.out);
  process.stdout.write(`written ${values.out}: run the scenarios with npm run load -- --env smoke (or full)\n`);
} catch (error) {
  process.stderr.write(`load setup failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
