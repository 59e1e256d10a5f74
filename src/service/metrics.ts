import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { OutboxStats } from '../domain/ports';
import type { HttpService } from './http';

/**
 * What an operator watches, in the Prometheus text format (prom-client): posts read by source and kind, cards,
 * the outbox's depth and its oldest item's age, failed deliveries, model calls, source reconnects, and the
 * process's own memory and event-loop figures.
 */
export interface Metrics {
  registry: Registry;
  postsRead: Counter<'source' | 'kind'>;
  cards: Counter<'kind'>;
  deliveriesFailed: Counter<'queue' | 'sink' | 'permanent'>;
  modelCalls: Counter<'purpose' | 'outcome'>;
  sourceReconnects: Counter<'source'>;
}

export interface MetricsSources {
  outbox: () => Promise<OutboxStats[]>;
  /** Reconnects so far per source, read when scraped (the X stream counts its own). */
  reconnects?: () => Record<string, number>;
  now?: () => Date;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kairos_' });
  return {
    registry,
    postsRead: new Counter({ name: 'kairos_posts_read_total', help: 'Posts read, by source and the kind triage gave them (duplicate: seen before)', labelNames: ['source', 'kind'], registers: [registry] }),
    cards: new Counter({ name: 'kairos_cards_total', help: 'Cards made, by kind', labelNames: ['kind'], registers: [registry] }),
    deliveriesFailed: new Counter({
      name: 'kairos_deliveries_failed_total',
      help: 'Delivery attempts that failed, by queue and sink; permanent="true" when the item was given up',
      labelNames: ['queue', 'sink', 'permanent'],
      registers: [registry],
    }),
    modelCalls: new Counter({ name: 'kairos_model_calls_total', help: 'Model calls, by purpose and outcome', labelNames: ['purpose', 'outcome'], registers: [registry] }),
    sourceReconnects: new Counter({ name: 'kairos_source_reconnects_total', help: 'Reconnects of a live source', labelNames: ['source'], registers: [registry] }),
  };
}

/** Gauges read from the store when scraped, and the routes: GET /metrics. */
export function serveMetrics(http: HttpService, m: Metrics, from: MetricsSources): void {
  const now = from.now ?? (() => new Date());
  const depth = new Gauge({ name: 'kairos_outbox_depth', help: 'Items waiting in the outbox, by queue and sink', labelNames: ['queue', 'sink'], registers: [m.registry] });
  const age = new Gauge({ name: 'kairos_outbox_oldest_age_seconds', help: 'Age of the oldest item waiting, by queue and sink', labelNames: ['queue', 'sink'], registers: [m.registry] });
  const seen = new Map<string, number>();
  http.route('GET', '/metrics', async (_req, res) => {
    depth.reset();
    age.reset();
    for (const s of await from.outbox()) {
      depth.set({ queue: s.queue, sink: s.sink }, s.pending);
      age.set({ queue: s.queue, sink: s.sink }, s.oldest ? Math.max(0, (now().getTime() - Date.parse(s.oldest)) / 1000) : 0);
    }
    for (const [source, total] of Object.entries(from.reconnects?.() ?? {})) {
      const more = total - (seen.get(source) ?? 0);
      if (more > 0) m.sourceReconnects.inc({ source }, more);
      seen.set(source, total);
    }
    res.writeHead(200, { 'content-type': m.registry.contentType });
    res.end(await m.registry.metrics());
  });
}
