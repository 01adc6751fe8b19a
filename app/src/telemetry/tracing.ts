// OpenTelemetry tracing. Must start before express, pg, redis and http are first required:
// the instrumentations patch those modules through require hooks (CommonJS).
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { RedisInstrumentation } from '@opentelemetry/instrumentation-redis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from './logger';

export interface TracingSettings {
  appVersion: string;
  appEnv: string;
  /** …/v1/traces; undefined → spans go to stdout. */
  otlpTracesUrl: string | undefined;
}

export interface Tracing {
  shutdown(): Promise<void>;
}

// Probes and scrapes arrive every few seconds and say nothing about the payments flow.
const untracedPaths = new Set(['/health', '/liveness', '/ready', '/readiness', '/metrics']);

/**
 * Without an OTLP endpoint, spans are written to stdout as one JSON line each (through the
 * process logger) rather than with the SDK's ConsoleSpanExporter, whose multi-line
 * util.inspect output would break the one-JSON-object-per-line log format.
 */
export class StdoutSpanExporter implements SpanExporter {
  constructor(private readonly logger: Logger) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const { traceId, spanId } = span.spanContext();
      this.logger.info(
        {
          trace_id: traceId,
          span_id: spanId,
          parent_span_id: span.parentSpanContext?.spanId,
          name: span.name,
          kind: SpanKind[span.kind],
          duration_ms: Math.round(hrTimeToMilliseconds(span.duration) * 1000) / 1000,
          attributes: span.attributes,
        },
        'span',
      );
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
}

export function startTracing(settings: TracingSettings, logger: Logger): Tracing {
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: 'payflow-api',
    [ATTR_SERVICE_VERSION]: settings.appVersion,
    'deployment.environment': settings.appEnv,
    'deployment.environment.name': settings.appEnv,
  });
  const spanProcessor = settings.otlpTracesUrl
    ? new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.otlpTracesUrl }), {
        scheduledDelayMillis: 1000,
      })
    : new SimpleSpanProcessor(new StdoutSpanExporter(logger));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) =>
          untracedPaths.has((request.url ?? '').split('?')[0] ?? ''),
      }),
      new ExpressInstrumentation({
        ignoreLayersType: [ExpressLayerType.MIDDLEWARE],
      }),
      new PgInstrumentation({ requireParentSpan: true }),
      new RedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  logger.info(
    { exporter: settings.otlpTracesUrl ? 'otlp-http' : 'stdout', url: settings.otlpTracesUrl },
    'tracing started',
  );
  return {
    async shutdown() {
      await provider.shutdown();
    },
  };
}
