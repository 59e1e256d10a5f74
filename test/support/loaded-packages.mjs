// Preloaded (NODE_OPTIONS=--import) into a child process by test/replay-imports.test.ts: at exit, writes the npm
// packages the process loaded through require (discord.js, pg and the other CommonJS ones) to stderr, one line.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    if (m) packages.add(m[1]);
  }
  process.stderr.write(`\nloaded packages: ${[...packages].sort().join(' ')}\n`);
});
