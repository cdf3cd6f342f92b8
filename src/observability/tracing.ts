// OpenTelemetry tracing for the process: spans exported over OTLP/HTTP (protobuf) to the collector
// OTEL_EXPORTER_OTLP_ENDPOINT names, W3C `traceparent` honoured on incoming requests, the active span carried
// by AsyncLocalStorage. Off unless an endpoint is set: then nothing is started, `tracer()` is undefined, and every
// place that would make a span (traced, the request and SQL spans) does the work directly, without wrapping it.
//
// No module hooks: OpenTelemetry's automatic instrumentations patch modules as they load, which under ESM needs
// `--import` of a loader hook (import-in-the-middle) before the application, and under vitest does not reach the
// modules at all. The spans here are made by the code that does the work (observability/*.ts), which works the same
// under `node dist/main.js`, tsx and vitest.
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler,
  type Sampler, type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ATTR_ERROR_TYPE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Config } from '../config.js';

export type TracingSettings = Pick<Config, 'tracesUrl' | 'OTEL_SERVICE_NAME' | 'OTEL_TRACES_SAMPLER' | 'OTEL_TRACES_SAMPLER_ARG'>;

export interface Tracing {
  /** Exports what is still buffered and stops tracing in this process. */
  shutdown(): Promise<void>;
}

let active: Tracer | undefined;

/** The process's tracer while tracing is on; undefined when off. */
export function tracer(): Tracer | undefined {
  return active;
}

function samplerFor(settings: TracingSettings): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(settings.OTEL_TRACES_SAMPLER_ARG);
  switch (settings.OTEL_TRACES_SAMPLER) {
    case 'always_on': return new AlwaysOnSampler();
    case 'always_off': return new AlwaysOffSampler();
    case 'traceidratio': return ratio();
    case 'parentbased_always_on': return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off': return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio': return new ParentBasedSampler({ root: ratio() });
  }
}

/**
 * Starts tracing when the settings name a collector (or `processors` are given: tests keep spans in memory);
 * returns null, and starts nothing, otherwise. Call before the runtime opens its pool and before the gateway starts:
 * both decide once, when they start, whether to make spans.
 */
export function startTracing(settings: TracingSettings, processors?: SpanProcessor[]): Tracing | null {
  const spanProcessors = processors ?? (settings.tracesUrl ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }))] : []);
  if (spanProcessors.length === 0) return null;
  if (active) throw new Error('tracing is already started in this process');
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.OTEL_SERVICE_NAME })),
    sampler: samplerFor(settings),
    spanProcessors,
  });
  // AsyncLocalStorage for the active span; W3C trace context (and baggage) for `traceparent`.
  provider.register();
  active = provider.getTracer('lendgraph');
  return {
    async shutdown() {
      active = undefined;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** What a failed span says about its failure: the kind of error, never its message (it may carry a customer's data). */
export function markFailed(span: Span, error: unknown): void {
  const kind = (error as { code?: unknown }).code;
  const type = typeof kind === 'string' ? kind : error instanceof Error ? error.name : 'Error';
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** Runs `work` in a span of its own (a child of the active one) when tracing is on; directly when it is off. */
export function traced<T>(name: string, attributes: Attributes, work: () => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  if (!active) return work();
  return active.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
