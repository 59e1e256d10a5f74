import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { staticContext } from '../src/detect/context';
import { createEvidence } from '../src/detect/evidence';
import { loadTriageModel, MODEL_FILE, packedModel, predictPost } from '../src/detect/model';
import { packWeightsTable, weightsTableUrl } from '../src/detect/weights-table';
import type { Post } from '../src/domain/post';

// Fictional posts written for this test.
const TEXTS = [
  'My grandad flies for the first time at 90 with @OranjeAir!',
  'Bag lost AGAIN @OranjeAir, flight 1234 cancelled and nobody answers. Never again',
  'Vlucht naar Lissabon vertraagd, koffer kwijt, geen informatie @OranjeAir 😡',
  '@OranjeAir Priya at the gate found my passport under seat 23C, what a star 🧡',
];
const post = (text: string): Post => ({ id: '1', platform: 'x', author: { handle: 'fan', followers: 300 }, text, createdAt: '2026-02-01T10:00:00Z' });
const read = createEvidence(staticContext({ name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air'] }));
const predictions = (model: NonNullable<ReturnType<typeof loadTriageModel>>) => TEXTS.map((t) => predictPost(model, read(post(t)), post(t)).p);

/** A copy of the shipped model file in a folder of its own, with the table the build would pack beside it. */
function packedCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-table-'));
  const file = join(dir, 'triage-model.json');
  copyFileSync(MODEL_FILE, file);
  const url = pathToFileURL(file);
  writeFileSync(weightsTableUrl(url), packWeightsTable(packedModel(loadTriageModel(url)!)!, readFileSync(file)));
  return { file, url, table: weightsTableUrl(url) };
}

describe('the packed model table', () => {
  it('loads the very model of its file, predicting bit for bit what the parsed file predicts', () => {
    const parsed = loadTriageModel()!;
    const { url } = packedCopy();
    const packed = loadTriageModel(url)!;
    expect(packed.weights).toEqual(parsed.weights);
    expect({ ...packed, weights: null }).toEqual({ ...parsed, weights: null });
    expect(predictions(packed)).toEqual(predictions(parsed));
  });

  it('is what loads when it was packed from the file: its own fields, not the JSON parsed again', () => {
    const { file, url, table } = packedCopy();
    const model = loadTriageModel(url)!;
    writeFileSync(table, packWeightsTable(packedModel({ ...model, bias: model.bias.map((b) => b + 1) })!, readFileSync(file)));
    expect(loadTriageModel(url)!.bias).toEqual(model.bias.map((b) => b + 1));
  });

  it('is read only for the file it was packed from: another model file is parsed, a damaged table ignored', () => {
    const { file, url } = packedCopy();
    // The same table beside a model whose bias differs: the file's own bias is what loads.
    const other = JSON.parse(readFileSync(file, 'utf8')) as { bias: number[] };
    other.bias = other.bias.map((b) => b + 1);
    writeFileSync(file, JSON.stringify(other));
    expect(loadTriageModel(url)!.bias).toEqual(other.bias);

    const fresh = packedCopy();
    const bytes = readFileSync(fresh.table);
    for (const damaged of [bytes.subarray(0, bytes.length - 8), Buffer.concat([bytes, Buffer.alloc(8)]), Buffer.from('not a table')]) {
      writeFileSync(fresh.table, damaged);
      expect(predictions(loadTriageModel(fresh.url)!)).toEqual(predictions(loadTriageModel()!));
    }
  });
});
