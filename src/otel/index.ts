export type { OtelConfig, OtelTracer } from './OtelConfig';
