import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread's module beside the caller: the build's JavaScript (`name.js`) when the caller is compiled, the
 * sources (`name.ts`) when it runs from them (tsx, tests).
 */
export function besideModule(name: string, callerUrl: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

/**
 * Starts a worker thread on a module. From the sources it first registers tsx's loader in the worker: Node 20
 * carries neither a loader nor `--import` into a worker thread.
 */
export function startWorker(script: URL, options: WorkerOptions): Worker {
  if (!script.pathname.endsWith('.ts')) return new Worker(script, options);
  const code = `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}); register(); await import(${JSON.stringify(script.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), options);
}
