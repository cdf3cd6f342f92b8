// The observability settings: metrics on port 9464 unless told, tracing only with a collector to send to, each bad
// value refused naming its variable (test/config.test.ts, with the others); with tracing off nothing is started and work runs unwrapped.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startTracing, traced, tracer } from '../../src/observability/tracing.js';
import { traceFields } from '../../src/observability/logFields.js';

describe('observability settings', () => {
  it('serve metrics on 9464 and trace nothing by default', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ METRICS_PORT: 9464, OTEL_SERVICE_NAME: 'lendgraph', OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_TRACES_SAMPLER_ARG: 1, tracesUrl: null });
    expect(loadConfig({ METRICS_PORT: '0' }).METRICS_PORT).toBe(0);
  });

  it('send traces to OTEL_EXPORTER_OTLP_ENDPOINT\'s /v1/traces, or to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.observability:4318' }).tracesUrl).toBe('http://collector.observability:4318/v1/traces');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracesUrl).toBe('http://collector:4318/v1/traces');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.test/otlp' }).tracesUrl)
      .toBe('https://traces.example.test/otlp');
  });

  it('start no tracing without a collector: no tracer, work runs as it is, log lines get no ids', async () => {
    expect(startTracing(loadConfig({}))).toBeNull();
    expect(tracer()).toBeUndefined();
    expect(await traced('unseen', {}, async () => 42)).toBe(42);
    expect(traceFields()).toEqual({});
  });
});
