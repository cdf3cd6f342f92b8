// The server as an operator starts it (src/main.ts in a process of its own), pointed at an OTLP collector by
// OTEL_EXPORTER_OTLP_ENDPOINT and scraped on METRICS_PORT: an operation shows in /metrics, and its span reaches the
// collector over OTLP/HTTP (protobuf), at the latest when SIGTERM drains the process. The collector is a plain HTTP
// receiver on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { runScript, startServer, tempDataDir } from '../support/process.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { until } from '../support/ws.js';
import { scrape, valueOf } from './scrape.js';

let collector: Receiver;

beforeAll(async () => {
  collector = await startReceiver();
});
afterAll(async () => {
  await collector.close();
});

describe('a server started with OTEL_EXPORTER_OTLP_ENDPOINT and METRICS_PORT', () => {
  it('counts the operation for Prometheus and exports its span to the collector, the last ones on SIGTERM', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const env = {
      DATABASE_URL: inject('databaseUrl'), DATA_DIR: tempDataDir(), PORT: String(port), LOG_LEVEL: 'info',
      METRICS_PORT: String(metricsPort), OTEL_EXPORTER_OTLP_ENDPOINT: collector.url(''), OTEL_SERVICE_NAME: 'lendgraph-exported',
    };
    const server = await startServer(env);
    try {
      expect(server.logs.find((line) => line['msg'] === 'Lendgraph is serving')).toMatchObject({ metrics: `http://127.0.0.1:${metricsPort}/metrics`, tracing: true });
      const token = (await runScript('src/cli/token.ts', ['--role', 'platform-admin'], env)).stdout.trim();
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'exported-1' },
        body: JSON.stringify({ query: 'query ExportedViewer { viewer { subject } }' }),
      });
      expect(response.status).toBe(200);

      const scraped = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(valueOf(scraped, 'lendgraph_graphql_operation_duration_seconds_count', { operation_name: 'ExportedViewer', operation_type: 'query' })).toBe(1);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      await until(() => server.logs.some((line) => line['requestId'] === 'exported-1'));
      const line = server.logs.find((entry) => entry['requestId'] === 'exported-1' && entry['msg'] === 'graphql operation');
      expect(line?.['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect((await server.exited).code).toBe(0);

    const exports = collector.received.filter((request) => request.path === '/v1/traces');
    expect(exports.length).toBeGreaterThan(0);
    expect(exports[0]!.headers['content-type']).toBe('application/x-protobuf');
    // Protobuf keeps strings as they are: the service's name and the operation's span are in what was sent.
    const sent = exports.map((request) => request.body).join('');
    expect(sent).toContain('lendgraph-exported');
    expect(sent).toContain('query ExportedViewer');
  });
});
