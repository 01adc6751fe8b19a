// OpenTelemetry tracing. Must start before pg and redis are first required: the
// instrumentations patch those modules through require hooks (CommonJS). Each request's own
// span is started by the request observer (src/http/request-observer.ts).
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { RedisInstrumentation } from '@opentelemetry/instrumentation-redis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
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
  /**
   * Share (0…1) of new traces that are recorded and exported (TRACE_SAMPLE_RATIO, validated
   * by loadConfig); a request with a sampled `traceparent` is always recorded (parent-based).
   */
  traceSampleRatio: number;
}

export interface Tracing {
  shutdown(): Promise<void>;
}

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
  const ratio = settings.traceSampleRatio;
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: 'payflow-api',
    [ATTR_SERVICE_VERSION]: settings.appVersion,
    'deployment.environment': settings.appEnv,
    'deployment.environment.name': settings.appEnv,
  });
  // Spans are queued and exported in batches off the request path, never one export per span.
  // A POST makes about four spans: 8192 queued spans hold a second or more of full load if
  // the collector stalls (beyond that spans are dropped, never the requests). A batch goes out
  // every second or as soon as 512 spans wait; bigger batches block the event loop longer
  // while they are serialized (tail latency).
  const spanProcessor = new BatchSpanProcessor(
    settings.otlpTracesUrl
      ? new OTLPTraceExporter({ url: settings.otlpTracesUrl })
      : new StdoutSpanExporter(logger),
    { maxQueueSize: 8192, maxExportBatchSize: 512, scheduledDelayMillis: 1000 },
  );
  const provider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: [spanProcessor],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // One span per query; no span for taking a pooled connection, and no SQL parameter
      // values on the spans (enhancedDatabaseReporting off: they would carry payment data).
      new PgInstrumentation({
        requireParentSpan: true,
        ignoreConnectSpans: true,
        enhancedDatabaseReporting: false,
      }),
      new RedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  logger.info(
    {
      exporter: settings.otlpTracesUrl ? 'otlp-http' : 'stdout',
      url: settings.otlpTracesUrl,
      sample_ratio: ratio,
    },
    'tracing started',
  );
  return {
    async shutdown() {
      await provider.shutdown();
    },
  };
}
