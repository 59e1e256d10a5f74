import { describe, expect, it } from 'vitest';
import { coreMeter, type CoreCounters } from '../src/free-cores';

/** Counters a test moves by hand: two cores, a clock, this process's CPU time and the load average. */
function counters(cores = 2) {
  const state = { now: 0, idle: Array.from({ length: cores }, () => 1_000_000), own: 5_000, load: 0, allowed: cores };
  const read: CoreCounters = {
    cores: () => state.allowed,
    idleMs: () => [...state.idle],
    ownMs: () => state.own,
    loadavg: () => state.load,
    now: () => state.now,
  };
  return { state, read };
}

describe('free cores', () => {
  it('counts what the machine left idle and what this process used itself, not the last minute of load', () => {
    const { state, read } = counters();
    const free = coreMeter(read);
    // 400 ms: this process kept one core busy, the other core was idle; the load average still remembers an
    // earlier run on both.
    state.now += 400;
    state.own += 400;
    state.idle[1]! += 400;
    state.load = 1.9;
    expect(free()).toBeCloseTo(2, 5);
  });

  it('finds a core held by other work', () => {
    const { state, read } = counters();
    const free = coreMeter(read);
    // Another process held one core, this one the other.
    state.now += 500;
    state.own += 500;
    state.load = 0;
    expect(free()).toBeCloseTo(1, 5);
    // Both held by others, this process waiting for its turn: half a core.
    state.now += 500;
    state.own += 250;
    expect(free()).toBeCloseTo(0.75, 5);
  });

  it('falls back to the load average when the window is too short to read or the counters are not the cores it may use', () => {
    const { state, read } = counters();
    const free = coreMeter(read);
    state.now += 50;
    state.idle[0]! += 50;
    state.idle[1]! += 50;
    state.load = 1.5;
    expect(free()).toBeCloseTo(0.5, 5);
    // A CPU mask: the machine counts two cores, this process may use one.
    state.now += 500;
    state.allowed = 1;
    expect(free()).toBeCloseTo(-0.5, 5);
  });
});
