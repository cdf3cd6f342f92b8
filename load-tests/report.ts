// What one Artillery run amounts to, read from its JSON report: per request name how many were answered and with
// which statuses, their latency, what failed and why, and for dashboards how many events arrived and how late.
// The smoke test asserts on these figures (never on latencies); `npm run load` prints them and `npm run load:full`
// writes them into docs/benchmarks.md.
import type { ArtilleryReport, ArtilleryRun } from './artillery.js';

const BY_ENDPOINT = 'plugins.metrics-by-endpoint.';

export interface Latency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RequestFigures {
  name: string;
  /** Answers by HTTP status. */
  codes: Record<string, number>;
  answered: number;
  latency: Latency | null;
}

export interface RunFigures {
  script: string;
  exitCode: number | null;
  seconds: number;
  vusers: { created: number; completed: number; failed: number };
  httpRequests: number;
  httpResponses: number;
  requests: RequestFigures[];
  /** `errors.<what>` counters: what failed a virtual user, by name. */
  errors: Record<string, number>;
  graphqlErrors: number;
  userErrors: number;
  websocket: { sent: number; received: number };
  eventsReceived: number;
  eventDelivery: Latency | null;
  paymentsInFiles: number;
  /** Lines the engine printed about its `ensure` checks (`ok: …`, `fail: …`). */
  checks: string[];
  /** Connections the loopback guard refused (none, or something tried to leave the machine). */
  refusedConnections: string[];
}

function latency(summary: ArtilleryReport['aggregate']['summaries'][string] | undefined): Latency | null {
  return summary ? { count: summary.count, p50: summary.p50, p95: summary.p95, p99: summary.p99, max: summary.max } : null;
}

export function figuresOf(run: ArtilleryRun): RunFigures {
  const counters = run.report?.aggregate.counters ?? {};
  const summaries = run.report?.aggregate.summaries ?? {};
  const names = new Set<string>();
  for (const key of Object.keys(summaries)) if (key.startsWith(`${BY_ENDPOINT}response_time.`)) names.add(key.slice(`${BY_ENDPOINT}response_time.`.length));
  for (const key of Object.keys(counters)) {
    const match = key.startsWith(BY_ENDPOINT) ? /^(.+)\.codes\.\d+$/.exec(key.slice(BY_ENDPOINT.length)) : null;
    if (match) names.add(match[1]!);
  }
  const requests = [...names].sort().map((name): RequestFigures => {
    const codes: Record<string, number> = {};
    for (const [key, value] of Object.entries(counters)) {
      const prefix = `${BY_ENDPOINT}${name}.codes.`;
      if (key.startsWith(prefix)) codes[key.slice(prefix.length)] = value;
    }
    return { name, codes, answered: Object.values(codes).reduce((a, b) => a + b, 0), latency: latency(summaries[`${BY_ENDPOINT}response_time.${name}`]) };
  });
  const errors: Record<string, number> = {};
  for (const [key, value] of Object.entries(counters)) if (key.startsWith('errors.')) errors[key.slice('errors.'.length)] = value;
  const first = run.report?.aggregate.firstMetricAt;
  const last = run.report?.aggregate.lastMetricAt;
  return {
    script: run.script,
    exitCode: run.exitCode,
    seconds: first && last ? (last - first) / 1000 : 0,
    vusers: { created: counters['vusers.created'] ?? 0, completed: counters['vusers.completed'] ?? 0, failed: counters['vusers.failed'] ?? 0 },
    httpRequests: counters['http.requests'] ?? 0,
    httpResponses: counters['http.responses'] ?? 0,
    requests,
    errors,
    graphqlErrors: counters['lendgraph.graphql_errors'] ?? 0,
    userErrors: counters['lendgraph.user_errors'] ?? 0,
    websocket: { sent: counters['websocket.messages_sent'] ?? 0, received: counters['websocket.messages_received'] ?? 0 },
    eventsReceived: counters['lendgraph.events_received'] ?? 0,
    eventDelivery: latency(summaries['lendgraph.event_delivery_ms']),
    paymentsInFiles: counters['lendgraph.payments_in_files'] ?? 0,
    checks: run.output.split('\n').map((line) => line.trim()).filter((line) => /^(ok|fail): /.test(line)),
    refusedConnections: run.output.split('\n').filter((line) => line.startsWith('loopback-only: refused')),
  };
}

const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;

/** A few lines a person reads after a run. */
export function describeRun(figures: RunFigures): string {
  const lines = [`${figures.script}: exit ${figures.exitCode}, ${figures.vusers.created} virtual users (${figures.vusers.failed} failed) over ${figures.seconds.toFixed(0)} s`];
  for (const request of figures.requests) {
    const rate = figures.seconds > 0 ? `, ${(request.answered / figures.seconds).toFixed(1)}/s` : '';
    const timing = request.latency ? `; p50 ${ms(request.latency.p50)}, p95 ${ms(request.latency.p95)}, p99 ${ms(request.latency.p99)}` : '';
    lines.push(`  ${request.name}: ${request.answered} answered ${JSON.stringify(request.codes)}${rate}${timing}`);
  }
  if (figures.websocket.sent > 0) {
    const delivery = figures.eventDelivery ? `; from commit to dashboard p50 ${ms(figures.eventDelivery.p50)}, p99 ${ms(figures.eventDelivery.p99)}` : '';
    lines.push(`  dashboards: ${figures.eventsReceived} loan events received${delivery}`);
  }
  if (figures.paymentsInFiles > 0) lines.push(`  payments sent in files: ${figures.paymentsInFiles}`);
  if (Object.keys(figures.errors).length > 0) lines.push(`  errors: ${JSON.stringify(figures.errors)}`);
  for (const check of figures.checks) lines.push(`  ${check}`);
  for (const refused of figures.refusedConnections) lines.push(`  ${refused}`);
  return lines.join('\n');
}
