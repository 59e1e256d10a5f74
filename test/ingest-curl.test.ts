import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import type { Inbox } from '../src/ingress/inbox';
import { mountIngress } from '../src/ingress/mount';
import { startHttp, type HttpService } from '../src/service/http';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore } from '../src/store/sql-store';
import { ROOT } from './support/cli';
import { captureLogger, pushedInbox } from './support/x';

/** The README's shell lines that sign and send a post to /ingest, as written there. */
function readmeLines(): string {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const m = /From a shell:\n\n```sh\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no "From a shell:" block for /ingest');
  return m[1] as string;
}

describe("the README's curl line for /ingest", () => {
  let http: HttpService;
  let store: SqlStore;
  let inbox: Inbox;
  const secret = 'readme-secret-for-tests-0001';

  beforeAll(async () => {
    const cap = captureLogger();
    store = openSqlite(':memory:');
    inbox = pushedInbox(cap.log, store).inbox;
    http = await startHttp({ host: '127.0.0.1', port: 0, log: cap.log });
    mountIngress(http, { config: loadConfig({ KAIROS_WEBHOOK_SECRET: secret, KAIROS_HTTP_PORT: '0' }), store, inbox, log: cap.log });
  });

  afterAll(async () => {
    await http.close();
    await inbox.stop();
    await store.close();
  });

  it('signs with openssl and is accepted by the real server (202, the post stored)', async () => {
    const script = readmeLines()
      .replace('SECRET=your-webhook-secret', `SECRET=${secret}`)
      .replace('http://127.0.0.1:8080', http.url);
    expect(script).toContain(http.url);
    const out = await new Promise<string>((resolve, reject) =>
      execFile('bash', ['-euo', 'pipefail', '-c', `${script}\n`], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    expect(JSON.parse(out)).toEqual({ stored: ['form-1042'], duplicates: [] });
    await inbox.idle();
    expect((await store.hasPost({ platform: 'form', id: 'form-1042' }))).toBe(true);
  });
});
