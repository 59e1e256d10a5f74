/**
 * One delivering worker for scripts/bench-store.ts: opens the PostgreSQL at DATABASE_URL and drains the 'bench'
 * outbox with a courier whose sink POSTs each card to BENCH_SINK_URL. The benchmark kills it with kill -9.
 */
import { createLogger } from '../../src/log';
import { Courier, type CardSink } from '../../src/outbox/courier';
import { openPostgres } from '../../src/store/postgres';

const url = process.env.DATABASE_URL;
const sinkUrl = process.env.BENCH_SINK_URL;
if (!url || !sinkUrl) throw new Error('DATABASE_URL and BENCH_SINK_URL are required');
const store = await openPostgres(url);
const sink: CardSink = {
  name: 'bench',
  async deliver(o) {
    const res = await fetch(`${sinkUrl}/${o.id}?worker=${process.pid}`, { method: 'POST' });
    if (!res.ok) throw new Error(`sink ${res.status}`);
    return { messageId: `m${o.id}` };
  },
};
const courier = new Courier(store, sink, createLogger('silent'), undefined, {
  worker: `child-${process.pid}`,
  leaseMs: Number(process.env.BENCH_LEASE_MS ?? 2000),
  pollMs: 100,
});
void courier.kick();
process.stdout.write('ready\n');
