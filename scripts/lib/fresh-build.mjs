// Whether the compiled build (npm run build → dist/) is as new as what it was built from, so that running it is
// running the checkout: no source, prompt, script or fixture it copies changed since. Plain JavaScript: the command
// line's launcher (scripts/cli.mjs) runs it before anything is transpiled.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the build compiles or copies (see scripts/build.mjs). */
const INPUTS = ['src', 'commands', 'prompts', 'scripts', 'test/fixtures/eval', 'test/fixtures/real-dev', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let most = 0;
  for (const name of readdirSync(path)) most = Math.max(most, newest(join(path, name)));
  return most;
}

/** dist/src/cli.js when it is newer than every input of the build, else null. */
export function freshBuild(root) {
  const cli = join(root, 'dist/src/cli.js');
  if (!existsSync(cli)) return null;
  const built = statSync(cli).mtimeMs;
  return INPUTS.every((input) => newest(join(root, input)) <= built) ? cli : null;
}
