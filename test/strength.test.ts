import { describe, expect, it } from 'vitest';
import { staticContext } from '../src/detect/context';
import { momentStrength } from '../src/detect/strength';
import { createTriager } from '../src/detect/triage';
import type { Post } from '../src/domain/post';

const triage = createTriager(staticContext({ name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air', 'OranjeAir'] }));
const post = (text: string): Post => ({ id: '1', platform: 'x', author: { handle: 'fan', followers: 0 }, text, createdAt: '2026-02-02T10:00:00Z' });

describe('how clear a moment is', () => {
  it.each([
    "@OranjeAir my parents fly to Lima on OA77 tomorrow for their 40th anniversary. could you do something special for them? they'd never expect it",
    '@OranjeAir captain de Vries flies his last flight today after 38 years, the whole cabin clapped at the gate!',
    '@OranjeAir huge thanks to the crew on OA212 for looking after my 7 year old daughter on her first flight alone ❤️',
    '@OranjeAir my son made a cardboard model of your 787 for his school project, 2 weeks of work. he wanted you to see it',
  ])('clear: "%s"', (text) => {
    const t = triage(post(text));
    expect(t.kind).toBe('opportunity');
    expect(t.strength).toBe('clear');
  });

  it('reads the words in any case: the patterns run on the text lower-cased', () => {
    expect(momentStrength('@OranjeAir CAPTAIN DE VRIES FLIES HIS LAST FLIGHT TODAY', [])).toBe('clear');
    expect(momentStrength('@OranjeAir Could You Do Something Special For Them?', [])).toBe('clear');
    expect(momentStrength('@OranjeAir Off To Bali On Our Honeymoon', [])).toBe('mild');
  });

  it.each([
    '@OranjeAir off to bali on our honeymoon with you tomorrow!! so excited #justmarried',
    "@OranjeAir it's my 30th birthday on friday and i'm flying with you to Rome, any chance of an upgrade? 🙏",
  ])('mild: "%s"', (text) => {
    const t = triage(post(text));
    expect(t.kind).toBe('opportunity');
    expect(t.strength).toBe('mild');
  });

  it('only opportunities carry a strength', () => {
    const t = triage(post('@OranjeAir how many bags can I take on a flight to Oslo?'));
    expect(t.kind).toBe('service');
    expect(t.strength).toBeUndefined();
  });

  it('an upgrade asked for is not an ask for something special', () => {
    expect(momentStrength('@OranjeAir honeymoon next week, any chance of an upgrade?', ['life-event'])).toBe('mild');
    expect(momentStrength('@OranjeAir honeymoon next week, anything special you could do for my wife?', ['life-event'])).toBe('clear');
  });
});
