import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli';

/**
 * Memory stays flat because every way Kairos is run starts node with the same heap flags (the old space collects
 * before it passes them; the young one stays small). One launch that forgets them grows with its input. The same
 * launches compile each regex at its first run (no regex tier-up), so a live stream's first posts do not pay twice.
 */
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const flagsOf = (line: string) => (line.match(/--(?:max-[\w-]+=\d+|no-regexp-tier-up)(?=\s|$)/g) ?? []).sort();

describe('node flags', () => {
  const flags = flagsOf(scripts['start:prod']!);

  it('are set for production: an old-space ceiling, a small young space, regexes compiled at their first run', () => {
    expect(flags.map((f) => f.split('=')[0])).toEqual(['--max-old-space-size', '--max-semi-space-size', '--no-regexp-tier-up']);
  });

  it('are the same in npm start, npm run cli, the kairos command, the systemd unit and the image', () => {
    expect(flagsOf(scripts.start!)).toEqual(flags);
    expect(flagsOf(scripts.cli!)).toEqual(flags);
    // The kairos command (package.json's bin, the compiled src/cli.ts) starts node by its first line.
    expect(flagsOf(read('src/cli.ts').split('\n')[0]!)).toEqual(flags);
    expect(flagsOf(/^ExecStart=.*$/m.exec(read('deploy/kairos.service'))![0])).toEqual(flags);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(read('Dockerfile'))![1]!) as string[];
    expect(flagsOf(cmd.join(' '))).toEqual(flags);
  });
});
