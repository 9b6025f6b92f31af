/**
 * The OpenTelemetry example of docs/opentelemetry.md, runnable:
 * `npx tsc -p tsconfig.run.json && node build/examples/opentelemetry.js`.
 * An application's usual SDK set-up (here with the in-memory exporter, to print what a backend
 * would receive), a workflow run inside a request span with `otel: { spans: true }`, then the
 * spans and the rows side by side.
 */
import 'reflect-metadata';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow } from '../src';

// The application's tracing, as it would set it up for any backend.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
const tracer = trace.getTracer('shop');

class HttpNode {
  readonly type = 'http';
  constructor(readonly id: string) {}

  @LoggedNode()
  async execute(input: { url: string }) {
    // A span of the application's own: it nests under the step's.
    return tracer.startActiveSpan(`GET ${input.url}`, async (span) => {
      span.end();
      return { status: 200 };
    });
  }
}

class OrderSync {
  readonly id = 'order-sync';
  readonly name = 'Order sync';

  @LoggedWorkflow({ triggerType: 'webhook' })
  async run(trigger: { orderId: number }) {
    return new HttpNode('fetch').execute({ url: `/orders/${trigger.orderId}` });
  }
}

async function main() {
  const store = await ExecutionStore.open({ database: '.flowtrail/otel-example.sqlite' });
  const logger = new ExecutionLogger(store, { otel: { spans: true } });
  ExecutionLogger.setDefault(logger);

  await tracer.startActiveSpan('POST /webhooks/orders', async (span) => {
    await new OrderSync().run({ orderId: 7 });
    span.end();
  });
  await logger.shutdown();

  for (const span of exporter.getFinishedSpans()) {
    const { spanId, traceId } = span.spanContext();
    console.log(`${traceId} ${spanId} <- ${span.parentSpanContext?.spanId ?? 'root            '}  ${span.name}`);
    for (const [key, value] of Object.entries(span.attributes)) console.log(`${' '.repeat(70)}${key}=${String(value)}`);
  }
  const traceId = exporter.getFinishedSpans()[0]!.spanContext().traceId;
  const [run] = (await store.listExecutions({ traceId })).items;
  const execution = (await store.getExecution(run!.id, { steps: true }))!;
  console.log({
    execution: { id: execution.id, traceId: execution.traceId, spanId: execution.spanId },
    steps: execution.steps!.map((step) => ({ id: step.id, traceId: step.traceId, spanId: step.spanId })),
  });
  await store.close();
  await provider.shutdown();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
