// `npm run bench:hostile`: how responsive /healthz stays while hostile GraphQL requests arrive. A gateway process
// of its own (on an embedded PostgreSQL) is sent, from several concurrent loops, 100,000 aliases of `__typename`
// without a token and 2,000 aliases of `auditChainVerification` with an auditor's token, while /healthz is polled;
// its latency is recorded idle and under attack in docs/benchmarks.md. The address rate limit is turned off so
// every hostile request reaches the parser and the limits (the worst case); with it on most are refused sooner.
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateDevKey, signDevToken } from '../src/authz/devIssuer.js';
import { benchDatabase } from './benchDatabase.js';
import { cleanUp, startGatewayProcess } from './gatewayProcess.js';
import { machine, percentile, recordSection } from './record.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' }, concurrency: { type: 'string', default: '8' }, 'no-record': { type: 'boolean', default: false } } });
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TENANT = 'bench-hostile';

try {
  const { root, server } = await benchDatabase('hostile', { slug: TENANT, displayName: 'Bench hostile' });
  const dataDir = path.join(root, 'gateway');
  const key = await loadOrCreateDevKey(dataDir, 'test');
  // As deployed (NODE_ENV=production, tokens from an issuer outside it), but with the rate limits off.
  const gateway = await startGatewayProcess({
    dataDir, databaseUrl: server.url, production: true, env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_TENANT_PER_MINUTE: '0', QUERY_COST_PER_MINUTE: '0' },
  });
  const auditor = await signDevToken(key, { issuer: gateway.issuer, audience: 'lendgraph-api', role: 'auditor', tenant: TENANT, now: new Date() });

  const typenames = JSON.stringify({ query: `{ ${Array.from({ length: 100_000 }, (_, i) => `a${i}: __typename`).join(' ')} }` });
  const audits = JSON.stringify({ query: `{ ${Array.from({ length: 2_000 }, (_, i) => `v${i}: auditChainVerification { intact }`).join(' ')} }` });

  async function healthLatencies(durationMs: number, stop?: () => boolean): Promise<number[]> {
    const latencies: number[] = [];
    for (const end = Date.now() + durationMs; Date.now() < end && !stop?.(); await sleep(20)) {
      const started = performance.now();
      const response = await fetch(`${gateway.base}/healthz`);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
    }
    return latencies.sort((a, b) => a - b);
  }

  const load = loadavg()[0]!.toFixed(1);
  const idle = await healthLatencies(3_000);

  const statuses: Record<string, number> = {};
  const answerMs: number[] = [];
  let attacking = true;
  const attackers = Array.from({ length: concurrency }, async (_, n) => {
    while (attacking) {
      const [body, token, kind] = n % 2 === 0 ? [typenames, undefined, '100,000 × __typename, no token'] : [audits, auditor, '2,000 × auditChainVerification, auditor'];
      const started = performance.now();
      const response = await fetch(`${gateway.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
      });
      const answer = (await response.json()) as { errors?: { extensions?: { reason?: string } }[] };
      answerMs.push(performance.now() - started);
      const label = `${kind}: HTTP ${response.status} ${answer.errors?.[0]?.extensions?.reason ?? ''}`.trim();
      statuses[label] = (statuses[label] ?? 0) + 1;
    }
  });
  const underAttack = await healthLatencies(seconds * 1000);
  attacking = false;
  await Promise.all(attackers);
  answerMs.sort((a, b) => a - b);

  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const row = (label: string, sorted: number[]) => `| ${label} | ${sorted.length} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | ${ms(sorted.at(-1) ?? Number.NaN)} |`;
  const body = [
    '## Hostile requests (`npm run bench:hostile`)',
    '',
    `${new Date().toISOString().slice(0, 10)} on ${machine()}. One gateway process as deployed (\`dist/main.js\`, \`NODE_ENV=production\`,`,
    `its tokens from an issuer outside it; embedded PostgreSQL), address and principal rate limits off so every request reaches the parser`,
    `and the limits; ${concurrency} concurrent loops for`,
    `${seconds} s, half sending 100,000 aliases of \`__typename\` without a token (${(typenames.length / 1e6).toFixed(1)} MB), half 2,000 aliases of`,
    '`auditChainVerification` with an auditor\'s token; `/healthz` polled every 20 ms from one client. The client runs on the',
    `same machine; the 1-minute load average when it started was ${load} (other work shares the machine).`,
    '',
    '| /healthz | samples | p50 | p99 | max |',
    '| --- | --- | --- | --- | --- |',
    row('idle', idle),
    row('under attack', underAttack),
    '',
    `Hostile requests answered: ${answerMs.length} (answer time p50 ${ms(percentile(answerMs, 50))}, p99 ${ms(percentile(answerMs, 99))}).`,
    '',
    '| request: answer | count |',
    '| --- | --- |',
    ...Object.entries(statuses).map(([label, count]) => `| ${label} | ${count} |`),
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (!values['no-record']) recordSection('hostile', body);
} finally {
  await cleanUp();
}
