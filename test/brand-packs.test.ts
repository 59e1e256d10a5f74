import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BrandPackError, DEMO_BRAND_DIR, loadBrandPack } from '../src/analyse/brand-pack';
import { offlineAnalystFor } from '../src/app';
import { ConfigError, loadConfig } from '../src/config';
import { staticContext } from '../src/detect/context';
import { detectLanguage } from '../src/detect/lang';
import { createTriager } from '../src/detect/triage';
import type { Analysis } from '../src/domain/analysis';
import { parsePostLine, type Post } from '../src/domain/post';
import { isCardKind, type Triage } from '../src/domain/verdict';
import { detectionReading } from '../src/detect/reading';
import { loadCalendar } from '../src/detect/events';

/**
 * Cards for brands that are not the demo's, from posts written for these tests (test/brand-packs/<brand>/posts.jsonl):
 * RailNoord, a Dutch rail operator speaking Dutch and English with bilingual public posts, and Brightwell, an
 * English department store with its own gestures. Triage decides what is a card; these tests read the drafts.
 */

const PACKS = fileURLToPath(new URL('./brand-packs/', import.meta.url));

interface Card {
  post: Post;
  triage: Triage;
  a: Analysis;
}

function cardsFor(env: Record<string, string>, postsFile: string): Map<string, Card> {
  const config = loadConfig(env);
  const triage = createTriager(staticContext(config.brand));
  const analyst = offlineAnalystFor(config, loadBrandPack(config.brand.dir), {
    usage: () => () => 0,
    triage,
    events: loadCalendar(config.eventsFile),
    reading: detectionReading,
  });
  const out = new Map<string, Card>();
  for (const line of readFileSync(postsFile, 'utf8').split('\n').filter(Boolean)) {
    const parsed = parsePostLine(line);
    if (!parsed.ok) throw new Error(parsed.error);
    const t = triage(parsed.post);
    if (!isCardKind(t.kind)) continue;
    out.set(parsed.post.id.slice(-2), { post: parsed.post, triage: t, a: analyst.write(parsed.post, t.kind, t.signals, t.lang) });
  }
  return out;
}

const rail = cardsFor({ KAIROS_BRAND_DIR: join(PACKS, 'railnoord') }, join(PACKS, 'railnoord', 'posts.jsonl'));
const shop = cardsFor({ KAIROS_BRAND_DIR: join(PACKS, 'brightwell') }, join(PACKS, 'brightwell', 'posts.jsonl'));
const get = (cards: Map<string, Card>, id: string): Card => {
  const c = cards.get(id);
  if (!c) throw new Error(`post ${id} is no card (triage: see the posts file)`);
  return c;
};

/** What only one pack says: its emoji, its name, its words. None may show up in another brand's drafts. */
const MARKS: Record<string, RegExp> = {
  'Oranje Air': /🧡|💙|⛸️|Oranje|boekingscode|booking reference|This is why we fly|Hier doen we het voor|pers@oranjeair/i,
  RailNoord: /💚|RailNoord|ticketnummer|ticket number|Goede reis|Have a good trip|woordvoering|pers@railnoord/i,
  Brightwell: /💛|Brightwell|order number|With love|shop floor|tearoom|press@brightwell/i,
};
const fanText = (a: Analysis) => [a.reply, a.publicPost ?? ''].join('\n');
const CONGRATULATING = /congratulat|gefeliciteerd|celebrat|feest|what a moment|wat een moment/i;
const ASKS_FOR_A_BOOKING = /booking|boeking|ticket|order|reference|referentie/i;

describe('drafts for a Dutch rail operator (RailNoord) and an English department store (Brightwell)', () => {
  it('are cards for the posts written as moments and risks (triage reads them as such)', () => {
    // Triage may find more (its rules move); these are the ones the tests below read.
    expect([...rail.keys()]).toEqual(expect.arrayContaining(['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11']));
    expect([...shop.keys()]).toEqual(expect.arrayContaining(['01', '03', '04', '05', '06', '07', '08', '09']));
  });

  it("write every reply in the fan's language when the brand speaks it, else in the brand's language", () => {
    for (const { post, a } of rail.values()) {
      expect(detectLanguage(a.reply), a.reply).toBe(post.lang);
      expect(a.lang).toBe(post.lang);
    }
    // Brightwell speaks English only: a Dutch mother gets an English reply, and the card says why.
    for (const { a } of shop.values()) expect(detectLanguage(a.reply), a.reply).toBe('en');
    const dutch = get(shop, '07');
    expect(dutch.post.lang).toBe('nl');
    expect(dutch.a.notes.join(' ')).toMatch(/in nl; the drafts are in en/);
  });

  it("write a public post in the fan's language, and for a bilingual brand the other language after it", () => {
    const henk = get(rail, '01').a.publicPost ?? '';
    const [first, second] = henk.split('\n\n');
    expect(detectLanguage(first ?? '')).toBe('nl');
    expect(detectLanguage(second ?? '')).toBe('en');
    const ans = get(rail, '11').a.publicPost ?? '';
    expect(detectLanguage(ans.split('\n\n')[0] ?? '')).toBe('en');
    expect(detectLanguage(ans.split('\n\n')[1] ?? '')).toBe('nl');
    // Brightwell is not bilingual: one post, in English.
    expect(get(shop, '01').a.publicPost).not.toContain('\n\n');
  });

  it('name the person whose moment it is, not the one who told us', () => {
    const henk = get(rail, '01').a;
    expect(henk.summary).toContain("@marieke_dijk's grandad Henk (92)");
    expect(henk.reply).toMatch(/^Marieke, .*je opa Henk/);
    expect(henk.reply).toContain('hem');
    expect(henk.publicPost).toContain('Henk');
    const margaret = get(shop, '01').a;
    expect(margaret.reply).toMatch(/your nan Margaret/);
    expect(margaret.reply).toMatch(/for her\b/);
    expect(margaret.facts).toContain('person: nan Margaret (100)');
    expect(get(shop, '07').a.reply).toMatch(/your daughter.*thank her/);
  });

  it('keep a surprise a surprise: the reply goes to the teller, quietly, and no public post before it happened', () => {
    for (const { a } of [get(rail, '03'), get(shop, '08')]) {
      expect(a.publicPost).toBeNull();
      expect(a.reply).toMatch(/verrassing|surprise/i);
      expect(a.reply).toMatch(/DM/);
      expect(a.verifyFirst[0]).toMatch(/^A surprise: speak only to @/);
    }
    expect(get(rail, '03').a.reply).toContain('je vader');
  });

  it('never congratulate a complaint, even one that speaks of a first, a wedding or a birthday', () => {
    const complaints = [...rail.values(), ...shop.values()].filter((c) => c.triage.signals.includes('complaint') || c.triage.kind === 'risk');
    expect(complaints.length).toBeGreaterThanOrEqual(8);
    for (const { a } of complaints) expect(fanText(a)).not.toMatch(CONGRATULATING);
    // A sister's wedding at stake is a rescue: whose wedding it is, and no party.
    expect(get(rail, '10').a.reply).toContain("your sister's wedding");
    // Triage may read a wedding whose dress never shipped as a life event; the words of the grievance still win.
    const dress = get(shop, '02');
    expect(dress.triage.signals).not.toContain('complaint');
    expect(fanText(dress.a)).not.toMatch(CONGRATULATING);
    expect(dress.a.reply).toMatch(/the wedding matters/);
    expect(dress.a.publicPost).toBeNull();
  });

  it('give no risk a public post', () => {
    const risks = [...rail.values(), ...shop.values()].filter((c) => c.triage.kind === 'risk');
    expect(risks.length).toBeGreaterThanOrEqual(8);
    for (const { a } of risks) expect(a.publicPost).toBeNull();
  });

  it("route journalists to the press office with a holding statement, and ask no one who isn't a customer for a booking", () => {
    for (const card of [get(rail, '06'), get(shop, '06')]) {
      expect(card.a.routes?.[0]).toMatch(/^(?:press office|press team) \(/);
      expect(card.a.reply).toMatch(/pers@railnoord\.example|press@brightwell\.example/);
      expect(card.a.reply).not.toMatch(ASKS_FOR_A_BOOKING);
      expect(card.a.verifyFirst[0]).toMatch(/^Not a customer/);
    }
    // A columnist speaking up for someone else's case is thanked, and the case is taken up with that person.
    for (const columnist of [get(rail, '09').a, get(shop, '10').a]) {
      expect(columnist.reply).not.toMatch(ASKS_FOR_A_BOOKING);
      expect(columnist.reply).toMatch(/persoon zelf|the person directly/);
      expect(columnist.publicPost).toBeNull();
      expect(columnist.summary).toMatch(/^Speaks up for someone else's case/);
    }
  });

  it('route a legal threat to legal and a safety report to safety, each with its holding statement', () => {
    const legal = get(rail, '07').a;
    expect(legal.routes).toContain('legal team');
    expect(legal.reply).toMatch(/juridische afdeling/);
    const smoke = get(rail, '08').a;
    expect(smoke.routes).toContain('safety desk');
    expect(smoke.reply).toMatch(/veiligheidsdienst/);
    expect(smoke.reply).toMatch(/oké\?/);
    expect(get(shop, '04').a.routes).toContain('privacy officer');
  });

  it("put the fan's own figure beside ours in the gesture's fairness line", () => {
    const cup = get(rail, '02').a;
    expect(cup.gesture?.id).toBe('flexible-rebooking');
    expect(cup.gesture?.fairness).toMatch(/€240 \(“Omboeken kost ons €240”\); our cost ≈ €40\./);
  });

  it("use the event's own spelling, from the brand's calendar", () => {
    const cup = get(rail, '02').a;
    expect(cup.summary).toContain('KNVB Bekerfinale');
    expect(cup.reply).toContain('KNVB Bekerfinale');
  });

  it("use each brand's own words, emoji, sign-off and gestures, and nothing of another brand's pack", () => {
    for (const [brand, cards] of [['RailNoord', rail], ['Brightwell', shop]] as const) {
      for (const { a } of cards.values()) {
        for (const [other, mark] of Object.entries(MARKS)) {
          if (other !== brand) expect(fanText(a), `${brand} draft shows ${other}'s pack`).not.toMatch(mark);
        }
      }
    }
    expect(get(rail, '02').a.reply).toContain('ticketnummer');
    expect(get(rail, '01').a.reply).toContain('💚');
    expect(get(rail, '02').a.publicPost).toContain('Goede reis!');
    expect(get(shop, '01').a.gesture?.id).toBe('afternoon-tea');
    expect(get(shop, '09').a.reply).toContain('order number');
  });

  it("give a brand with no pack the brand-neutral defaults: nothing of the demo's or any other pack", () => {
    const neutral = cardsFor({ BRAND_NAME: 'RailNoord', BRAND_HANDLES: 'RailNoord' }, join(PACKS, 'railnoord', 'posts.jsonl'));
    expect(neutral.size).toBeGreaterThan(5);
    for (const { a } of neutral.values()) {
      expect(fanText(a)).not.toMatch(MARKS['Oranje Air'] as RegExp);
      expect(fanText(a)).not.toMatch(/💚|💛|ticketnummer|Goede reis|With love/);
      expect(a.gesture?.id ?? '').not.toBe('lounge-access');
    }
  });

  it("keep the demo's own voice in the demo's pack", () => {
    const demo = cardsFor({}, join(PACKS, 'railnoord', 'posts.jsonl'));
    // The demo brand reads RailNoord's posts as not about it; a post to it gets its words.
    expect(demo.size).toBe(0);
    const pack = loadBrandPack(DEMO_BRAND_DIR);
    expect(pack.settings.words.nl?.reference).toBe('boekingscode');
    expect(pack.catalogue.some((g) => g.id === 'lounge-access')).toBe(true);
  });
});

describe('brand pack files', () => {
  function packWith(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-pack-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  it('a wrong brand.yaml stops start-up with a message naming the file and the field', () => {
    const dir = packWith({ 'brand.yaml': 'languages: [English]\nemoji: 5\n' });
    let err: unknown;
    try {
      loadConfig({ KAIROS_BRAND_DIR: dir });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(join(dir, 'brand.yaml'));
    expect((err as ConfigError).message).toMatch(/languages\.0/);
  });

  it('a folder that does not exist is named', () => {
    expect(() => loadConfig({ KAIROS_BRAND_DIR: '/nowhere/brand' })).toThrow(/KAIROS_BRAND_DIR: \/nowhere\/brand: not a folder/);
  });

  it('templates that leave a language out, or a gesture without its fairness line, name the pack file', () => {
    const german = packWith({ 'offline.yaml': 'reply:\n  generic:\n    de: "Hallo {{name}}"\n' });
    expect(() => loadBrandPack(german)).toThrow(BrandPackError);
    expect(() => loadBrandPack(german)).toThrow(new RegExp(`${join(german, 'offline.yaml')}: reply\\.dilemma: no text in de`));
    const gestures = readFileSync(join(PACKS, 'brightwell', 'gestures.yaml'), 'utf8');
    const noFairness = packWith({ 'gestures.yaml': gestures });
    expect(() => loadBrandPack(noFairness)).toThrow(/fairness: no line for gesture\(s\) afternoon-tea, express-delivery/);
  });

  it('a pack gives only what differs: the rest comes from the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-pack-'));
    cpSync(join(PACKS, 'brightwell', 'brand.yaml'), join(dir, 'brand.yaml'));
    const pack = loadBrandPack(dir);
    expect(pack.settings.words.en?.reference).toBe('order number');
    expect(pack.settings.words.nl?.reference).toBe('order- of boekingsnummer');
    expect(pack.catalogue.map((g) => g.id)).toContain('personal-callback');
    expect(pack.voice).toContain('{{brand}}');
    expect(pack.eventsFile).toBeUndefined();
  });
});
