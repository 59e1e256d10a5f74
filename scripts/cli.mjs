// npm run cli: the command line as built (node dist/src/cli.js, a third quicker to start) when `npm run build` is
// newer than every source, else the sources themselves through tsx. Either way the same code runs.
import { fileURLToPath } from 'node:url';
import { freshBuild } from './lib/fresh-build.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const built = freshBuild(root);
// cli.ts runs its command when it is the program (argv[1]): it is, from here.
if (built) {
  process.argv[1] = built;
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  process.argv[1] = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  await import(process.argv[1]);
}
