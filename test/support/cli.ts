import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The node flags `npm run cli` starts with (package.json): the processes the tests start run under them too. */
export const NODE_FLAGS = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { cli: string } }).scripts.cli
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

/** Runs the CLI as a user would (tsx, repo root as cwd), with the given stdin; no network, no credentials. */
export function runCli(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runTsx(['src/cli.ts', ...args], stdin, env);
}

/** Runs a TypeScript program with tsx (and NODE_FLAGS) from the repo root, with the given stdin and a bare environment. */
export function runTsx(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/tsx', [...NODE_FLAGS, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
