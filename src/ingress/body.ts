import type { IncomingMessage, ServerResponse } from 'node:http';

/** The largest request body any ingress accepts: Meta's notifications are a few KB; /ingest takes batches. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/**
 * The request body as the exact bytes sent (a signature is over these bytes, not over a re-serialised JSON),
 * capped: a declared length over the cap is refused before anything is read, and a streamed body stops being
 * buffered the moment it passes the cap.
 */
export function readRawBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        parts.length = 0;
        reject(new BodyTooLarge(limit));
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(parts, size));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

/** A JSON answer; every ingress answer is one, so a sender's log shows why. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * 413, then the connection is closed: the rest of an oversized body is not read (nor kept), and a client still
 * sending it sees the answer first.
 */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  sendJson(res, 413, { error: `request body too large (the limit is ${limit} bytes)` }, { connection: 'close' });
  res.on('finish', () => req.socket.destroySoon?.());
  req.resume();
}

/** The raw body, or null once a body over the limit was answered 413. */
export async function bodyOr413(req: IncomingMessage, res: ServerResponse, limit = MAX_BODY_BYTES): Promise<Buffer | null> {
  try {
    return await readRawBody(req, limit);
  } catch (err) {
    if (!(err instanceof BodyTooLarge)) throw err;
    refuseTooLarge(req, res, limit);
    return null;
  }
}
