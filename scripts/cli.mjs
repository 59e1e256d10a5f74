// npm run cli: the command line as built (node dist/src/cli.js, a third quicker to start) when `npm run build` is
// newer than every source, else the sources themselves through tsx. Either way the same code runs.
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { freshBuild } from './lib/fresh-build.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const built = freshBuild(root);
// cli.ts runs its command when it is the program (argv[1]): it is, from here.
if (built) {
  // Node 22.1+ keeps each module's compiled code on disk (the system's temp folder; NODE_DISABLE_COMPILE_CACHE=1
  // turns it off), so a start after the first compiles little; Node 20 has no such cache, and this does nothing.
  module.enableCompileCache?.();
  process.argv[1] = built;
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  process.argv[1] = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  await import(process.argv[1]);
}
