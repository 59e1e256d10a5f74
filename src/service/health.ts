import type { HttpService } from './http';

/** One thing Kairos needs to be of use: the store, Discord, each source. Answers null when fine, else why not. */
export type Check = () => Promise<string | null> | string | null;

/** Every check at once: null for each that passes, else why not (a check that throws says its error). */
export async function runChecks(checks: Record<string, Check>): Promise<Record<string, string | null>> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        return [name, await check()] as const;
      } catch (err) {
        return [name, err instanceof Error ? err.message : String(err)] as const;
      }
    }),
  );
  return Object.fromEntries(results);
}

/**
 * GET /healthz: 200 when every check passes, 503 otherwise, with each check's state in a small JSON body, so
 * an orchestrator knows the bot is ready and a person knows what is not.
 */
export function serveHealth(http: HttpService, checks: Record<string, Check>): void {
  http.route('GET', '/healthz', async (_req, res) => {
    const results = Object.entries(await runChecks(checks));
    const failing = results.filter(([, why]) => why !== null);
    res.writeHead(failing.length ? 503 : 200, { 'content-type': 'application/json' });
    res.end(
      `${JSON.stringify({
        status: failing.length ? 'not ready' : 'ok',
        checks: Object.fromEntries(results.map(([name, why]) => [name, why ?? 'ok'])),
      })}\n`,
    );
  });
}
