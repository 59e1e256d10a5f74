import pino from 'pino';
import pretty from 'pino-pretty';

/**
 * One logger for the whole process, writing JSON lines to stderr (stdout belongs to command output such as
 * `classify`). Known secret fields are censored wherever they appear in a logged object, and the values of the
 * environment's secrets are scrubbed from every line (a token quoted in an error message, a stack, a cause).
 */
export type Logger = pino.Logger;

const SECRET_KEYS = ['token', 'apiKey', 'bearerToken', 'authorization', 'accessToken', 'accessSecret', 'appKey', 'appSecret', 'password'];

/**
 * Secret fields at any depth up to five (the config logged as `{ config }` puts the X reply keys at
 * config.x.replies.appKey; an error carrying a request puts the header at err.request.headers.authorization).
 */
export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [0, 1, 2, 3, 4].map((depth) => [...Array<string>(depth).fill('*'), key].join('.')));

/** Values of the environment's secret variables, which the logger scrubs from every line however they got there. */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const named = Object.entries(env)
    .filter(([name, v]) => /(?:TOKEN|SECRET|API_KEY|APP_KEY|PASSWORD)$/.test(name) && v !== undefined && v.trim().length >= 8)
    .map(([, v]) => (v as string).trim());
  // Credentials written into a URL setting (https://user:secret@host, postgres://kairos:pw@db): the user
  // information as a whole, and the password alone, wherever a line quotes them.
  const inUrls = Object.entries(env)
    .filter(([name, v]) => /_URL$/.test(name) && v)
    .flatMap(([, v]) => {
      const m = /^[a-z][a-z0-9+.-]*:\/\/([^/@\s]+)@/i.exec((v as string).trim());
      if (!m) return [];
      const info = m[1] as string;
      const password = info.includes(':') ? info.slice(info.indexOf(':') + 1) : '';
      return [info, decodeURIComponentSafe(info), password, decodeURIComponentSafe(password)].filter((x) => x.length >= 4);
    });
  return [...named, ...inUrls];
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Replaces each secret (and its JSON-escaped form) in a written line: catches one inside a message or a stack. */
function scrubber(secrets: readonly string[]): ((line: string) => string) | undefined {
  // Longest first, so a password inside a longer user:password is not half-replaced.
  const forms = [...new Set(secrets.filter((s) => s.length >= 4).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  if (!forms.length) return undefined;
  return (line) => forms.reduce((out, f) => (out.includes(f) ? out.split(f).join('[secret]') : out), line);
}

export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * JSON lines for machines; on a terminal (format auto) short readable lines instead, so the demo and a bot run
 * by hand read well. Secrets are censored either way.
 */
export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
  format: LogFormat = 'auto',
  secrets: readonly string[] = secretValues(),
): Logger {
  const readable = format === 'pretty' || (format === 'auto' && !destination && process.stderr.isTTY);
  const out = destination ?? (readable ? pretty({ destination: 2, sync: true, ignore: 'pid,hostname,app', translateTime: 'SYS:HH:MM:ss' }) : pino.destination(2));
  const scrub = scrubber(secrets);
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[secret]' }, base: { app: 'kairos' }, ...(scrub ? { hooks: { streamWrite: scrub } } : {}) }, out);
}
