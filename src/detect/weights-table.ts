import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

// The shipped model as `npm run build` packs it beside the compiled model file, keyed by a hash of that file:
// its weights as they are used (model.ts's bytes table, each weight a byte of its class's palette) and as an array.
// Made at run time, the table takes about 100 ms at the first prediction and the JSON's parse about 60 ms at start
// on these machines: a stall of some twenty lines in a live pipe's first second, paid again by every worker thread.
// A model file with no table of its own (the sources, a team's learned model) is parsed and tabled as before.

/** The parts a bytes table is made of; its quads and thousandths are derived from them (model.ts, bytesTable). */
export interface WeightsTableParts {
  codes: Uint8Array;
  palette: Float64Array;
  /** Position (feature × classes + class) → index into rareValues. */
  rare: Map<number, number>;
  rareValues: Float64Array;
}
/** What the table holds: the model's small fields (as the model file has them, validated by the caller), its weights and their bytes table. */
export interface PackedModel {
  header: unknown;
  weights: Float64Array;
  parts: WeightsTableParts;
}

const MAGIC = 0x3254574b; // "KWT2"
const KEY_BYTES = 32;
/** Magic, header bytes, weights, codes, palette entries, rare weights; then the key. */
const HEADER = 6 * 4 + KEY_BYTES;

/** Where the table of a model file is: triage-model.json → triage-model.table. */
export const weightsTableUrl = (model: URL) => new URL(model.href.replace(/\.json$/, '') + '.table');
const keyOf = (modelFile: Buffer) => createHash('sha256').update(modelFile).digest();
/** Sections start at multiples of 8, so each can be read as its own typed array. */
const pad8 = (n: number) => (n + 7) & ~7;

export function packWeightsTable(model: PackedModel, modelFile: Buffer): Buffer {
  const { codes, palette, rare, rareValues } = model.parts;
  const header = Buffer.from(JSON.stringify(model.header));
  const sections = [header, model.weights, codes, palette, Uint32Array.from(rare.keys()), Uint32Array.from(rare.values()), rareValues].map(
    (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
  );
  const out = Buffer.alloc(HEADER + sections.reduce((n, s) => n + pad8(s.length), 0));
  [MAGIC, header.length, model.weights.length, codes.length, palette.length, rare.size].forEach((n, i) => out.writeUInt32LE(n, 4 * i));
  keyOf(modelFile).copy(out, 24);
  let at = HEADER;
  for (const s of sections) {
    out.set(s, at);
    at += pad8(s.length);
  }
  return out;
}

/**
 * The table packed for this model file, or null when there is none, it was packed for another file, or its sizes do
 * not fit `classes` classes of `features` features (the model is then read from its file).
 */
export function readWeightsTable(modelUrl: URL, modelFile: Buffer, classes: number, features: number): PackedModel | null {
  let buf: Buffer;
  try {
    buf = readFileSync(weightsTableUrl(modelUrl));
  } catch {
    return null;
  }
  if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC) return null;
  const [headerBytes, weightCount, codeCount, paletteCount, rareCount] = [1, 2, 3, 4, 5].map((i) => buf.readUInt32LE(4 * i)) as [number, number, number, number, number];
  if (weightCount !== features * classes || codeCount !== weightCount || paletteCount !== 256 * classes || rareCount > codeCount) return null;
  const sizes = [headerBytes, weightCount * 8, codeCount, paletteCount * 8, rareCount * 4, rareCount * 4, rareCount * 8];
  if (buf.length !== HEADER + sizes.reduce((n, s) => n + pad8(s), 0)) return null;
  if (!buf.subarray(24, HEADER).equals(keyOf(modelFile))) return null;
  // Each section copied out into a buffer of its own, so that every typed array is aligned.
  let at = HEADER;
  const [header, weights, codes, palette, rareAt, rareIndex, rareValues] = sizes.map((size) => {
    const bytes = new Uint8Array(buf.subarray(at, at + size));
    at += pad8(size);
    return bytes.buffer;
  }) as ArrayBuffer[];
  let parsedHeader: unknown;
  try {
    parsedHeader = JSON.parse(Buffer.from(header!).toString('utf8'));
  } catch {
    return null;
  }
  const at32 = new Uint32Array(rareAt!);
  const index32 = new Uint32Array(rareIndex!);
  const rare = new Map<number, number>();
  for (let i = 0; i < rareCount; i++) {
    if (at32[i]! >= codeCount || index32[i]! >= rareCount) return null;
    rare.set(at32[i]!, index32[i]!);
  }
  return {
    header: parsedHeader,
    weights: new Float64Array(weights!),
    parts: { codes: new Uint8Array(codes!), palette: new Float64Array(palette!), rare, rareValues: new Float64Array(rareValues!) },
  };
}
