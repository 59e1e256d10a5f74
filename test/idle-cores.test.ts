import { describe, expect, it } from 'vitest';
import { idleCoresGauge, type CpuMark } from '../src/idle-cores';

/** A machine's CPU counters as a list of readings, one a call (ms summed over its cores). */
function readings(marks: CpuMark[]) {
  let i = 0;
  return () => marks[Math.min(i++, marks.length - 1)]!;
}

describe('idle cores, from what the cores did lately', () => {
  it('says nothing until the window is long enough for the kernel ticks, then the idle share of the cores', () => {
    const gauge = idleCoresGauge({ idle: 0, total: 0 }, readings([{ idle: 30, total: 60 }, { idle: 100, total: 200 }]), 2);
    expect(gauge()).toBeUndefined();
    // 200 ms of CPU time on 2 cores, 100 of it idle: one core free.
    expect(gauge()).toBe(1);
  });

  it('follows the latest window, not the whole run: a machine that got busy reads as busy', () => {
    const gauge = idleCoresGauge(
      { idle: 0, total: 0 },
      readings([
        { idle: 100, total: 200 },
        { idle: 100, total: 350 },
        { idle: 100, total: 420 },
      ]),
      2,
    );
    expect(gauge()).toBe(1);
    // The next 150 ms had no idle time; a shorter window after it keeps that answer.
    expect(gauge()).toBe(0);
    expect(gauge()).toBe(0);
  });
});
