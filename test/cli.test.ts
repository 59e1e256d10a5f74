import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS, ROOT, runCli } from './support/cli';

/** classify reading a pipe that stays open, as a live stream feeds it. */
function liveClassify() {
  const child = spawn('node_modules/.bin/tsx', [...NODE_FLAGS, 'src/cli.ts', 'classify'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  /** Resolves once `n` whole lines have come out. */
  const lines = async (n: number) => {
    while (stdout.split('\n').length - 1 < n) await new Promise<void>((resolve) => waiters.push(resolve));
    return stdout.split('\n').slice(0, n);
  };
  return { child, lines, exit, stderr: () => stderr };
}

const line = (o: unknown) => JSON.stringify(o);
const POST = (id: string | number, text: string, extra: Record<string, unknown> = {}) =>
  line({ id, platform: 'x', author: { handle: `fan${id}`, followers: 300 }, text, createdAt: '2026-02-02T10:00:00Z', ...extra });

// Each case spawns a process; they run side by side to keep the file quick.
describe.concurrent('kairos cli', () => {
  describe('kairos classify', () => {
    it('writes exactly one line per input line, in order, with an error line for a bad or blank line', async () => {
      const input = [
        POST('a1', '@OranjeAir how many bags can I take on a flight to Oslo?'),
        '{"id": "broken", "platform": ',
        '',
        POST(
          'a2',
          '@OranjeAir we booked our honeymoon on a non-flexible ticket and now the Elfstedentocht falls on the same day. Torn between the trip and the race of a lifetime 😭',
        ),
        line({ id: 'a3', platform: 'x', text: 'no author or date' }),
        POST(77, 'Mijn koffer is kwijt na de vlucht uit Rome, wie kan helpen?'),
        '',
      ].join('\n');
      const { code, stdout, stderr } = await runCli(['classify'], `${input}\n`);
      expect(code, stderr).toBe(0);
      const out = stdout.split('\n');
      expect(out.pop()).toBe('');
      const inputLines = input.split('\n');
      expect(out).toHaveLength(inputLines.length);
      const rows = out.map((l) => JSON.parse(l) as Record<string, unknown>);

      expect(rows[0]).toMatchObject({ id: 'a1', kind: 'service', lang: 'en' });
      expect(rows[1]).toMatchObject({ id: null, line: 2, error: expect.stringMatching(/JSON/) });
      expect(rows[2]).toMatchObject({ id: null, line: 3 });
      expect(rows[3]).toMatchObject({ id: 'a2', kind: 'opportunity', signals: expect.arrayContaining(['dilemma', 'cultural-event']) });
      expect(rows[3]?.gesture).toMatchObject({ id: 'flexible-rebooking' });
      expect(rows[3]?.drafts).toMatchObject({ reply: expect.stringContaining('Elfstedentocht') });
      expect(rows[4]).toMatchObject({ id: null, line: 5, error: expect.stringMatching(/author/) });
      expect(rows[5]).toMatchObject({ id: '77', lang: 'nl' });
      expect(rows[6]).toMatchObject({ id: null, line: 7 });
      for (const r of rows) {
        if (r.id === null) expect(typeof r.error).toBe('string');
        else {
          expect(['opportunity', 'risk', 'service', 'noise']).toContain(r.kind);
          expect(r.score).toBeGreaterThanOrEqual(0);
          expect(r.score).toBeLessThanOrEqual(1);
        }
      }
    });

    it('answers each line of a pipe that stays open as it comes, not when the input ends', async () => {
      const live = liveClassify();
      live.child.stdin.write(`${POST('p1', '@OranjeAir where is my bag?')}\n`);
      const [first] = await live.lines(1);
      expect(JSON.parse(first as string)).toMatchObject({ id: 'p1' });
      live.child.stdin.write(`${POST('p2', 'Waar is mijn koffer, @OranjeAir?')}\n`);
      const second = (await live.lines(2))[1];
      expect(JSON.parse(second as string)).toMatchObject({ id: 'p2', lang: 'nl' });
      live.child.stdin.end();
      expect(await live.exit).toBe(0);
    });

    it('ends quietly with exit 0 when its output is closed (classify | head -1)', async () => {
      const live = liveClassify();
      live.child.stdin.write(`${POST('h1', '@OranjeAir hello')}\n`);
      await live.lines(1);
      // The reader goes away; the writer keeps the input open and writes on.
      live.child.stdout.destroy();
      const more = Array.from({ length: 2000 }, (_, i) => POST(`h${i + 2}`, '@OranjeAir my flight is late again')).join('\n');
      live.child.stdin.on('error', () => {});
      live.child.stdin.write(`${more}\n`);
      expect(await live.exit).toBe(0);
      expect(live.stderr()).toBe('');
    });

    it('loads the language detector when a post needs it, and only then', async () => {
      // Function words settle the first post; the second is Spanish with English function words in it.
      const input = [
        POST('l1', '@OranjeAir where is my bag?'),
        POST('l2', '@OranjeAir vuelo a Boston con retraso de dos horas, no hay nadie en el mostrador para ayudar'),
      ].join('\n');
      const { code, stdout, stderr } = await runCli(['classify'], `${input}\n`);
      expect(code, stderr).toBe(0);
      expect(stdout.trim().split('\n').map((l) => (JSON.parse(l) as { lang: string }).lang)).toEqual(['en', 'es']);
    });

    it("stops before any verdict, naming the file, when the team's brand pack is broken (drafts are otherwise read at the first card)", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kairos-pack-'));
      writeFileSync(join(dir, 'offline.yaml'), 'situations: [unclosed\n');
      const { code, stdout, stderr } = await runCli(['classify'], `${POST('b1', '@OranjeAir where is my bag?')}\n`, { KAIROS_BRAND_DIR: dir });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(join(dir, 'offline.yaml'));
    });

    it('answers a file long enough for worker threads line for line, in order, as a short one', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kairos-long-'));
      const file = join(dir, 'posts.jsonl');
      const texts = ['@OranjeAir where is my bag?', 'Mijn koffer is kwijt na de vlucht uit Rome, wie kan helpen?', '@OranjeAir vuelo a Boston con retraso de dos horas'];
      const input = Array.from({ length: 6000 }, (_, i) => (i % 1000 === 999 ? '{"id": "broken"' : POST(`f${i + 1}`, texts[i % 3]!)));
      writeFileSync(file, `${input.join('\n')}\n`);
      // On worker threads when the machine has a core to spare (by its load), else in one thread: the same lines.
      const { code, stdout, stderr } = await runCli(['classify', '--input', file]);
      expect(code, stderr).toBe(0);
      const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string | null; line?: number; lang?: string });
      expect(rows.map((r) => r.id ?? `line ${r.line}`)).toEqual(input.map((_, i) => (i % 1000 === 999 ? `line ${i + 1}` : `f${i + 1}`)));
      // Each post's language, the n-gram detector's included (loaded in each thread that needs it).
      expect(rows.every((r, i) => r.id === null || r.lang === ['en', 'nl', 'es'][i % 3])).toBe(true);
    });

    it('writes nothing for empty input', async () => {
      const { code, stdout } = await runCli(['classify'], '');
      expect(code).toBe(0);
      expect(stdout).toBe('');
    });
  });

  describe('kairos eval', () => {
    it('prints precision, recall and F1 per kind and a confusion matrix', async () => {
      const { code, stdout, stderr } = await runCli(['eval']);
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/precision\s+recall\s+f1/);
      for (const kind of ['opportunity', 'risk', 'service', 'noise']) expect(stdout).toMatch(new RegExp(`^${kind}\\s+[\\d.]+\\s+[\\d.]+\\s+[\\d.]+`, 'm'));
      expect(stdout).toMatch(/confusion/);
      const posts = Number(/posts: (\d+)/.exec(stdout)?.[1]);
      expect(posts).toBeGreaterThan(100);
      // The confusion rows add up to the number of labelled posts.
      const rows = stdout.split('\n').filter((l) => /^(opportunity|risk|service|noise)\s+\d+\s+\d+\s+\d+\s+\d+\s*$/.test(l));
      expect(rows).toHaveLength(4);
      const sum = rows.flatMap((l) => l.trim().split(/\s+/).slice(1).map(Number)).reduce((a, b) => a + b, 0);
      expect(sum).toBe(posts);
    });

    it('exits 2 and names a missing labels file', async () => {
      const { code, stderr } = await runCli(['eval', '--labels', 'test/fixtures/eval/nope.jsonl']);
      expect(code).toBe(2);
      expect(stderr).toContain('nope.jsonl');
    });
  });

  describe('kairos with a wrong command', () => {
    it('exits 2 and shows the help', async () => {
      const { code, stdout, stderr } = await runCli(['classfy']);
      expect(code).toBe(2);
      expect(stderr).toContain('Unknown command "classfy"');
      expect(stderr).toContain('classify');
      expect(stdout).toBe('');
    });
  });
});
