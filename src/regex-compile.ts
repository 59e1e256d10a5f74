import { setFlagsFromString } from 'node:v8';

// Imported first by each entry point (cli.ts, main.ts), before any pattern runs; V8's flags are the process's, so
// worker threads share it. By default V8 first interprets a regex and compiles it to machine code at its second
// run. Triage runs most of the lexicon's large patterns on nearly every post, so the first posts of a process pay
// for both; compiling each at its first run halves the longest waits of a live pipe's first second (its slowest
// line 37–90 ms against 107–323, alternated, 3 December) and changes neither a match nor the throughput.
setFlagsFromString('--no-regexp-tier-up');
