import { describe, expect, it } from 'vitest';
import { normalise } from '../src/detect/evidence';
import { staticContext } from '../src/detect/context';
import { createTriager } from '../src/detect/triage';
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
    expect(normalise('Off to Oslo! #ElfstedenTocht #HoneymoonTime')).toBe('off to oslo! elfstedentocht honeymoontime honeymoon time ');
  });

  it('normalise leaves one plain space between words: an unwrapped tag, a line break, a tab or a double space', () => {
    expect(normalise('no support for #disabled people')).toBe('no support for disabled people');
    expect(normalise('on our\nhoneymoon\t now  and  #here')).toBe('on our honeymoon now and here ');
    expect(normalise('see https://t.co/x  there')).toBe('see there');
  });

  it('a phrase the rules know still reads across a hashtag or a line break', () => {
    const triage = createTriager(staticContext({ name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air'] }));
    const post = (text: string) => ({ id: 'p', text, author: { handle: 'fan', followers: 0 }, createdAt: '2026-12-01T10:00:00Z', platform: 'x' as const });
    for (const text of ['@OranjeAir the lack of support for #disabled flyers at the gate today', '@OranjeAir the lack of support for\ndisabled flyers at the gate today']) {
      const v = triage(post(text));
      expect(v.signals, text).toContain('discrimination');
      expect(v.kind, text).toBe('risk');
    }
  });
});
