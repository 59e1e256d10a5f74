import { describe, expect, it } from 'vitest';
import { normalise } from '../src/detect/evidence';
import { hashtagWords } from '../src/detect/hashtags';

describe('hashtagWords', () => {
  it.each([
    ['HoneymoonPart3', 'HoneymoonPart3 honeymoon part 3'],
    ['30thbirthdaydreams', '30thbirthdaydreams 30th birthday dreams'],
    ['MyKidsFirstFlight', 'MyKidsFirstFlight my kids first flight'],
    ['DL747Farewell', 'DL747Farewell dl 747 farewell'],
    ['lastflightwithus', 'lastflightwithus last flight withus'],
    ['10yearanniversary', '10yearanniversary 10 year anniversary'],
  ])('a tag with a moment word, "%s", is read as its words too', (tag, read) => {
    expect(hashtagWords(tag)).toBe(read);
  });

  it.each(['Elfstedentocht', 'ElfstedenTocht2026', 'FirstClass', 'lastminute', 'blastoff', 'honeymoon', 'COVID19'])(
    'a tag without one, or that is one, "%s", stays as written',
    (tag) => {
      expect(hashtagWords(tag)).toBe(tag);
    },
  );

  it('normalise keeps the tag as written beside its words, so a watched tag still matches', () => {
    expect(normalise('Off to Oslo! #ElfstedenTocht #HoneymoonTime')).toBe('off to oslo!  elfstedentocht   honeymoontime honeymoon time ');
  });
});
