import pino from 'pino';
import pretty from 'pino-pretty';

/**
 * One logger for the whole process, writing JSON lines to stderr (stdout belongs to command output such as
 * `classify`). Known secret fields are censored wherever they appear in a logged object.
 */
export type Logger = pino.Logger;

export const REDACT_PATHS = [
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'bearerToken',
  '*.bearerToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'accessToken',
  '*.accessToken',
  'accessSecret',
  '*.accessSecret',
  'appSecret',
  '*.appSecret',
];

export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * JSON lines for machines; on a terminal (format auto) short readable lines instead, so the demo and a bot run
 * by hand read well. Secrets are censored either way.
 */
export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
  format: LogFormat = 'auto',
): Logger {
  const readable = format === 'pretty' || (format === 'auto' && !destination && process.stderr.isTTY);
  const out = destination ?? (readable ? pretty({ destination: 2, sync: true, ignore: 'pid,hostname,app', translateTime: 'SYS:HH:MM:ss' }) : pino.destination(2));
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[secret]' }, base: { app: 'kairos' } }, out);
}
