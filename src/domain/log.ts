/**
 * What the core logs through: the part of pino's logger that detection and the analysts use. The process's
 * logger (src/log.ts, pino) is one and more; the composition root hands it in.
 */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds these fields to every line (e.g. `{ component: 'llm' }`). */
  child(bindings: Record<string, unknown>): Logger;
}
