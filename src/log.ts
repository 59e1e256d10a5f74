import pino from 'pino';

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

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination = pino.destination(2)): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[secret]' }, base: { app: 'kairos' } }, destination);
}
