import { open } from 'node:fs/promises';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The lines of a file from its last to its first, read in chunks from the end: memory is one chunk and the longest
 * line, whatever the file's size. Lines end at \n (a \r before it is dropped), as in readJsonl; a \n byte never
 * occurs inside a UTF-8 character, so splitting the bytes there is safe.
 */
export async function* linesBackwards(path: string, chunkSize = CHUNK): AsyncGenerator<string> {
  const file = await open(path, 'r');
  try {
    let pos = (await file.stat()).size;
    // The bytes of the line being read, before the \n that ends it (or the file's end: the last line need not end
    // in \n, and is a line only when not empty), as readJsonl reads it forwards.
    let tail = Buffer.alloc(0);
    let ended = false;
    while (pos > 0) {
      const size = Math.min(chunkSize, pos);
      pos -= size;
      const chunk = Buffer.alloc(size);
      await file.read(chunk, 0, size, pos);
      const buf = tail.length ? Buffer.concat([chunk, tail]) : chunk;
      let end = buf.length;
      for (let i = buf.length - 1; i >= 0; i--) {
        if (buf[i] !== NEWLINE) continue;
        if (ended || i + 1 < end) yield text(buf.subarray(i + 1, end));
        ended = true;
        end = i;
      }
      tail = Buffer.from(buf.subarray(0, end));
    }
    if (ended || tail.length) yield text(tail);
  } finally {
    await file.close();
  }
}

function text(bytes: Buffer): string {
  const s = bytes.toString('utf8');
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

/** How many lines a file has (the last one need not end in \n), read in chunks. */
export async function countLines(path: string): Promise<number> {
  const file = await open(path, 'r');
  try {
    let lines = 0;
    let last = NEWLINE;
    for await (const chunk of file.createReadStream({ highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
      if (chunk.length) last = chunk[chunk.length - 1]!;
    }
    return last === NEWLINE ? lines : lines + 1;
  } finally {
    await file.close();
  }
}
