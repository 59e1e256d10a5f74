import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The two signatures Kairos checks on what is pushed in. Both are HMAC-SHA256 in hex behind "sha256=", compared in
 * constant time over the raw bytes of the body.
 */

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/** True when `header` is "sha256=<hex HMAC-SHA256 of payload with secret>". A missing, malformed or truncated one is false. */
export function hmacMatches(secret: string, payload: Buffer, header: string | undefined): boolean {
  const m = SIGNATURE.exec(header?.trim() ?? '');
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(payload).digest();
  const given = Buffer.from(m[1] as string, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function hmacHeader(secret: string, payload: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
}

/** How far a sender's clock (X-Kairos-Timestamp) may be from ours: a request captured and sent later is refused. */
export const TIMESTAMP_TOLERANCE_S = 300;

/** What /ingest signs: "<timestamp>.<raw body>". */
export function ingestPayload(timestamp: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
}

/** The headers a sender puts on a POST /ingest (used by the tests, the benchmark and the README's example). */
export function signIngest(secret: string, body: string, now = new Date()): { 'x-kairos-timestamp': string; 'x-kairos-signature': string } {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { 'x-kairos-timestamp': timestamp, 'x-kairos-signature': hmacHeader(secret, ingestPayload(timestamp, body)) };
}

export type IngestAuth = { ok: true } | { ok: false; error: string };

/** Checks an /ingest request's timestamp and signature; the error says which failed, never the expected value. */
export function verifyIngest(secret: string, body: Buffer, timestamp: string | undefined, signature: string | undefined, now = new Date()): IngestAuth {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, error: 'X-Kairos-Timestamp is missing or not Unix seconds' };
  if (!hmacMatches(secret, ingestPayload(timestamp, body), signature)) return { ok: false, error: 'X-Kairos-Signature does not match' };
  // After the signature, so an unsigned request learns nothing about our clock.
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > TIMESTAMP_TOLERANCE_S) return { ok: false, error: `X-Kairos-Timestamp is ${Math.round(skew)} s from now (at most ${TIMESTAMP_TOLERANCE_S} s allowed)` };
  return { ok: true };
}
