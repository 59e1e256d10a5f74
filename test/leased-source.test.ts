import { afterAll, describe, expect, it } from 'vitest';
import type { LeaseStore } from '../src/domain/ports';
import type { Post } from '../src/domain/post';
import { LeasedSource } from '../src/sources/leased';
import type { Source } from '../src/sources/source';
import { storeHarnesses } from './support/stores';

/** A live source standing in for the X stream: a post every few ms while it runs; `running` says who runs one. */
function liveSource(worker: string, running: Set<string>, opened: string[], frozen: () => boolean): Source {
  let timer: NodeJS.Timeout | undefined;
  let done: () => void = () => {};
  let n = 0;
  return {
    name: 'live',
    start(emit) {
      running.add(worker);
      opened.push(worker);
      return new Promise<void>((resolve) => {
        done = resolve;
        timer = setInterval(() => {
          if (frozen()) return;
          const post: Post = { id: `${worker}-${n++}`, platform: 'x', author: { handle: 'fan', followers: 1 }, text: 'hi', createdAt: new Date().toISOString() };
          void emit(post);
        }, 5);
      });
    },
    async stop() {
      clearInterval(timer);
      running.delete(worker);
      done();
    },
  };
}

/** The lease store as one worker reaches it; a worker that died reaches nothing any more (its calls never return). */
function reach(store: LeaseStore, dead: () => boolean): LeaseStore {
  const never = new Promise<never>(() => {});
  return {
    acquireLease: (...a) => (dead() ? never : store.acquireLease(...a)),
    releaseLease: (...a) => (dead() ? never : store.releaseLease(...a)),
  };
}

describe.each(storeHarnesses())('a live source leased on a $name store', (harness) => {
  afterAll(() => harness.close());

  it('runs on one worker at a time, and on the other once the holder died', async () => {
    const store = await harness.open();
    const running = new Set<string>();
    const opened: string[] = [];
    const posts: string[] = [];
    let aDead = false;
    const worker = (name: string, dead: () => boolean) =>
      new LeasedSource(() => liveSource(name, running, opened, dead), { leases: reach(store, dead), name: 'source:x:stream', holder: name, ttlMs: 300 });
    const a = worker('a', () => aDead);
    const b = worker('b', () => false);
    const emit = async (p: Post) => void posts.push(p.id);
    const runA = a.start(emit);
    await new Promise((r) => setTimeout(r, 50));
    const runB = b.start(emit);
    let overlap = false;
    const watch = setInterval(() => (overlap ||= running.size > 1 && !aDead), 5);

    await new Promise((r) => setTimeout(r, 400));
    expect(opened).toEqual(['a']); // b waited: a renews its lease
    expect(b.active).toBeNull();

    aDead = true; // kill -9: a stops posting and renewing, and never says so
    running.delete('a');
    const diedAt = Date.now();
    while (!running.has('b') && Date.now() - diedAt < 3_000) await new Promise((r) => setTimeout(r, 10));
    expect(opened).toEqual(['a', 'b']);
    expect(Date.now() - diedAt).toBeLessThan(1_000); // within the lease (300 ms) and one try (100 ms)
    const before = posts.filter((p) => p.startsWith('b-')).length;
    await new Promise((r) => setTimeout(r, 60));
    expect(posts.filter((p) => p.startsWith('b-')).length).toBeGreaterThan(before);

    clearInterval(watch);
    expect(overlap).toBe(false);
    await b.stop();
    await runB;
    void runA;
    // b gave the lease back when it stopped: a new worker gets it at once.
    expect(await store.acquireLease('source:x:stream', 'c', 300)).toBe(true);
    await store.close();
  });
});
