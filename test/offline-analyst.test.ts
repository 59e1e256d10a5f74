import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadCatalogue, PROMPTS_DIR } from '../src/analyse/catalogue';
import { loadOfflineTemplates, OfflineAnalyst, situationOf, type OfflineTemplates } from '../src/analyse/offline';
import { findPromise } from '../src/analyse/guard';
import { eligibleGestures, type GestureUsage } from '../src/analyse/policy';
import { render, TemplateError, variablesOf } from '../src/analyse/template';
import { staticContext } from '../src/detect/context';
import { detectLanguage } from '../src/detect/lang';
import { createTriager } from '../src/detect/triage';
import { X_MAX_CHARS } from '../src/domain/analysis';
import type { Post } from '../src/domain/post';
import type { Signal } from '../src/domain/verdict';
import { detectionReading } from '../src/detect/reading';

const catalogue = loadCatalogue();
const brand = { name: 'Oranje Air' };
const noUsage = () => () => 0;
const analyst = new OfflineAnalyst({ reading: detectionReading, catalogue, brand, usage: noUsage });
const triage = createTriager(staticContext({ ...brand, handles: ['OranjeAir'], terms: ['Oranje Air', 'OranjeAir'] }));

/** Each situation the templates are written for, with the signals that make it that situation. */
const CASES: { kind: 'opportunity' | 'risk'; signals: Signal[] }[] = [
  { kind: 'opportunity', signals: ['dilemma', 'cultural-event'] },
  { kind: 'opportunity', signals: ['life-event', 'at-stake', 'complaint'] },
  { kind: 'opportunity', signals: ['fan-creation'] },
  { kind: 'opportunity', signals: ['gratitude-story'] },
  { kind: 'opportunity', signals: ['milestone', 'reach'] },
  { kind: 'opportunity', signals: ['life-event', 'rising-moment', 'watch-term'] },
  { kind: 'opportunity', signals: [] },
  { kind: 'risk', signals: ['discrimination', 'reach', 'velocity'] },
  { kind: 'risk', signals: ['safety'] },
  { kind: 'risk', signals: ['assault', 'safety', 'complaint'] },
  { kind: 'risk', signals: ['health-emergency', 'complaint'] },
  { kind: 'risk', signals: ['data-breach', 'complaint'] },
  { kind: 'risk', signals: ['legal', 'complaint', 'reach'] },
  { kind: 'risk', signals: ['press', 'accusation'] },
  { kind: 'risk', signals: ['call-to-spread', 'accusation', 'velocity'] },
  { kind: 'risk', signals: ['compassion', 'accusation', 'reach'] },
  { kind: 'risk', signals: ['accusation'] },
  { kind: 'risk', signals: ['complaint', 'velocity'] },
  { kind: 'risk', signals: [] },
];

function post(text: string, author: Partial<Post['author']> = {}): Post {
  return {
    id: '1',
    platform: 'x',
    author: { handle: 'skater_anna', name: 'Anna de Vries', followers: 12_345, ...author },
    text,
    createdAt: '2026-02-02T10:00:00Z',
    metrics: { likes: 10, reposts: 300, replies: 4, quotes: 20 },
  };
}

const STORY = post('Our non-flexible ticket falls on the same day as the Elfstedentocht. Torn between the two!');

/** The risks that count from any account, 0 followers included, in the order a card is written for them. */
const SEVERE_RISKS: Signal[] = ['discrimination', 'assault', 'safety', 'health-emergency', 'data-breach', 'legal', 'press', 'call-to-spread'];
const NEW_RISKS: Signal[] = ['assault', 'health-emergency', 'data-breach', 'legal', 'press', 'call-to-spread'];
/** What a risk reply must never say: money, perks, or an admission of fault. */
const NO_PROMISE_OR_FAULT =
  /refund|reimburs|compensat|voucher|upgrade|free|gratis|miles|vergoed|terugbetal|tegoed|our (?:fault|mistake)|we (?:were|are) (?:wrong|at fault)|onze (?:fout|schuld)|liab|aansprakelijk/i;
/** What a celebration says, and a moment at stake must not. */
const CELEBRATING = /congratulat|gefeliciteerd|trip to remember|bijzondere reis|celebrat|feest/i;

describe('OfflineAnalyst', () => {
  describe.each(['en', 'nl'])('in %s', (lang) => {
    it.each(CASES.map((c) => [`${c.kind} ${situationOf(c.kind, c.signals)} [${c.signals.join(', ')}]`, c] as const))(
      'renders every field of %s with no template variable left over',
      (_label, { kind, signals }) => {
        const a = analyst.write(STORY, kind, signals, lang);
        const text = [a.summary, a.why, a.reply, a.publicPost ?? '', a.gesture?.fairness ?? '', ...a.verifyFirst, ...a.risks].join('\n');
        expect(text).not.toMatch(/\{\{|\}\}/);
        expect(text).not.toContain('undefined');
        expect(a.summary.length).toBeGreaterThan(10);
        expect(a.reply.length).toBeGreaterThan(10);
        expect(a.verifyFirst.length).toBeGreaterThan(0);
        expect(a.analyst).toBe('offline');
        expect(a.reply).toContain('Anna');
      },
    );
  });

  it.each(CASES.map((c) => [`${c.kind} [${c.signals.join(', ')}]`, c] as const))(
    'proposes only a gesture from the catalogue that policy allows: %s',
    (_label, { kind, signals }) => {
      const a = analyst.write(STORY, kind, signals, 'en');
      if (a.gesture === null) {
        expect(eligibleGestures(catalogue, { kind, signals, usage: () => 0 })).toEqual([]);
        return;
      }
      const fromCatalogue = catalogue.find((g) => g.id === a.gesture?.id);
      expect(fromCatalogue).toBeDefined();
      expect(a.gesture).toMatchObject({
        name: fromCatalogue?.name,
        costEur: fromCatalogue?.costEur,
        needsApproval: fromCatalogue?.needsApproval,
      });
      expect(eligibleGestures(catalogue, { kind, signals, usage: () => 0 }).map((g) => g.id)).toContain(a.gesture.id);
    },
  );

  it('keeps the reply within X’s limit even for a very long author name and handle', () => {
    const long = post(STORY.text, { name: `${'Bartholomeus'.repeat(10)} van der Heijden-Oppenheimer`, handle: 'h'.repeat(64) });
    for (const { kind, signals } of CASES) {
      for (const lang of ['en', 'nl']) {
        const a = analyst.write(long, kind, signals, lang);
        expect([...a.reply].length).toBeLessThanOrEqual(X_MAX_CHARS);
        if (a.publicPost) expect([...a.publicPost].length).toBeLessThanOrEqual(X_MAX_CHARS);
      }
    }
  });

  it('never lets a display name smuggle a mention or markup into the reply', () => {
    const a = analyst.write(post(STORY.text, { name: '@everyone <@&123456789012345678>' }), 'opportunity', ['dilemma'], 'en');
    expect(a.reply).not.toContain('@everyone');
    expect(a.reply).not.toContain('<@');
  });

  it('answers a Dutch post in Dutch and an English post in English, through the real triage', async () => {
    const nl = post(
      '@OranjeAir ons niet-wijzigbare ticket naar Bali gaat precies op de dag van de Elfstedentocht. Moeten we kiezen tussen onze huwelijksreis en de tocht der tochten? 😭',
    );
    const en = post(
      '@OranjeAir we booked our honeymoon on a non-flexible ticket and now the Elfstedentocht falls on the same day. Torn between the trip and the race of a lifetime 😭',
    );
    for (const [p, lang] of [
      [nl, 'nl'],
      [en, 'en'],
    ] as const) {
      const t = triage(p);
      expect(t.kind).toBe('opportunity');
      const a = await analyst.analyse({ post: p, triage: { ...t, kind: 'opportunity' } });
      expect(detectLanguage(a.reply)).toBe(lang);
      expect(a.reply).toContain('Elfstedentocht');
    }
  });

  it('answers a language it has no templates for in English', () => {
    const a = analyst.write(STORY, 'opportunity', ['dilemma'], 'es');
    expect(detectLanguage(a.reply)).toBe('en');
  });

  it('never writes a public post for a risk, whatever its signals', () => {
    const everything: Signal[] = [...SEVERE_RISKS, 'compassion', 'accusation', 'complaint', 'milestone', 'life-event', 'at-stake', 'reach'];
    for (const { signals } of CASES) {
      for (const lang of ['en', 'nl']) expect(analyst.write(STORY, 'risk', signals, lang).publicPost).toBeNull();
    }
    expect(analyst.write(STORY, 'risk', everything, 'en').publicPost).toBeNull();
  });

  it('does not propose a gesture that reached its monthly cap', () => {
    const signals: Signal[] = ['dilemma', 'cultural-event'];
    const first = analyst.write(STORY, 'opportunity', signals, 'en').gesture;
    expect(first).not.toBeNull();
    const cap = catalogue.find((g) => g.id === first?.id)?.capPerMonth ?? 0;
    const usedUp: GestureUsage = (id) => (id === first?.id ? cap : 0);
    const capped = new OfflineAnalyst({ reading: detectionReading, catalogue, brand, usage: () => usedUp });
    const second = capped.write(STORY, 'opportunity', signals, 'en').gesture;
    expect(second?.id).not.toBe(first?.id);

    const allUsed = new OfflineAnalyst({
      reading: detectionReading,
      catalogue,
      brand,
      usage: () => (id) => catalogue.find((g) => g.id === id)?.capPerMonth ?? 0,
    });
    for (const { kind, signals: s } of CASES) expect(allUsed.write(STORY, kind, s, 'en').gesture).toBeNull();
  });

  it('gives a dilemma the rebooking, not the cheapest gesture that fits a side signal such as a honeymoon', () => {
    const signals: Signal[] = ['cultural-event', 'life-event', 'dilemma'];
    const a = analyst.write(STORY, 'opportunity', signals, 'en');
    expect(a.gesture?.id).toBe('flexible-rebooking');
    // The story of one fan, told after they agreed: no blanket promise to everyone before anyone counted them.
    expect(a.publicPost).toContain('@skater_anna');
    expect(a.publicPost).not.toMatch(/for free|everyone|all of you|talk to us/i);
  });

  describe('a moment at stake', () => {
    const WEDDING = post("@OranjeAir flight cancelled and my sister's wedding is saturday. What now?!", { followers: 80 });
    const signals: Signal[] = ['life-event', 'at-stake', 'complaint'];

    it.each(['en', 'nl'])('is written as a rescue, not a congratulation, even when life-event fires too (%s)', (lang) => {
      expect(situationOf('opportunity', signals)).toBe('at-stake');
      const a = analyst.write(WEDDING, 'opportunity', signals, lang);
      expect(a.reply).not.toMatch(CELEBRATING);
      expect(a.summary).not.toMatch(CELEBRATING);
      expect(a.summary).toMatch(/at stake/i);
      expect([...a.verifyFirst, ...a.risks].join('\n')).not.toMatch(/\{\{/);
      expect(detectLanguage(a.reply)).toBe(lang);
      // The gesture rescues the trip: one made for a moment at stake, never a crew card or a gift for a party.
      const gesture = catalogue.find((g) => g.id === a.gesture?.id);
      expect(gesture?.signals).toContain('at-stake');
      // The story is theirs and the rescue may still fail: no public post.
      expect(a.publicPost).toBeNull();
    });

    it('gets no celebration gesture when the rescue gestures are over their cap, and no public post with the rebooking', () => {
      const rescues = catalogue.filter((g) => g.signals.includes('at-stake')).map((g) => g.id);
      expect(rescues.length).toBeGreaterThan(0);
      const capped = new OfflineAnalyst({ reading: detectionReading, catalogue, brand, usage: () => (id) => (rescues.includes(id) ? 1_000 : 0) });
      const a = capped.write(WEDDING, 'opportunity', ['life-event', 'milestone', 'at-stake'], 'en');
      expect(a.gesture).toBeNull();
      expect(a.reply).not.toMatch(CELEBRATING);

      // Only the rebooking left: it may be offered, but the public promise of the dilemma card must not come with it.
      const onlyRebooking = new OfflineAnalyst({
        reading: detectionReading,
        catalogue,
        brand,
        usage: () => (id) => (rescues.includes(id) && id !== 'flexible-rebooking' ? 1_000 : 0),
      });
      const b = onlyRebooking.write(WEDDING, 'opportunity', signals, 'en');
      expect(b.gesture?.id).toBe('flexible-rebooking');
      expect(b.publicPost).toBeNull();
    });

    it('keeps the celebration for a real celebration', () => {
      const a = analyst.write(post('Flying to our wedding in Bali with @OranjeAir tomorrow!'), 'opportunity', ['life-event'], 'en');
      expect(a.reply).toMatch(/congratulat/i);
    });
  });

  describe.each(NEW_RISKS.map((s) => [s] as const))('the %s risk', (signal) => {
    const fan = post('@OranjeAir this happened on my flight yesterday', { followers: 0 });
    const signals: Signal[] = [signal, 'complaint', 'accusation'];

    it.each(['en', 'nl'])('is its own card in %s: filled, in the fan’s language, moved to DM, with a gesture from the catalogue', (lang) => {
      expect(situationOf('risk', signals)).toBe(signal);
      const a = analyst.write(fan, 'risk', signals, lang);
      const text = [a.summary, a.why, a.reply, a.gesture?.fairness ?? '', ...a.verifyFirst, ...a.risks].join('\n');
      expect(text).not.toMatch(/\{\{|\}\}|undefined/);
      expect(detectLanguage(a.reply)).toBe(lang);
      expect(a.reply).toContain('Anna');
      expect(a.reply).toMatch(/\bDM\b/);
      expect(a.reply).toMatch(/serious|serieus/i);
      expect(a.verifyFirst.length).toBeGreaterThan(0);
      expect(a.risks.length).toBeGreaterThan(0);
      expect(a.publicPost).toBeNull();
      // Answered for its own signal, not only for the complaint beside it.
      const gesture = catalogue.find((g) => g.id === a.gesture?.id);
      expect(gesture).toBeDefined();
      expect(gesture?.kinds).toContain('risk');
      expect(gesture?.signals).toContain(signal);
    });

    it.each(['en', 'nl'])('promises nothing and admits nothing in %s', (lang) => {
      const { reply } = analyst.write(fan, 'risk', [signal], lang);
      expect(reply).not.toMatch(NO_PROMISE_OR_FAULT);
      expect(findPromise(reply, { upgradeAllowed: false }).problem).toBeNull();
    });
  });

  it.each(['assault', 'safety', 'health-emergency'] as const)('asks whether the person is OK now after a %s report', (signal) => {
    expect(analyst.write(STORY, 'risk', [signal], 'en').reply).toMatch(/\b(?:OK|safe)\b[^.!]*\?/);
    expect(analyst.write(STORY, 'risk', [signal], 'nl').reply).toMatch(/(?:gaat het|oké|veilig)[^.!]*\?/i);
  });

  it.each(SEVERE_RISKS.map((s) => [s] as const))('does not weigh a %s report by its followers, even from 0 followers', (signal) => {
    const nobody = post('@OranjeAir this happened to me', { followers: 0, handle: 'new_account' });
    for (const lang of ['en', 'nl']) {
      const { summary } = analyst.write(nobody, 'risk', [signal], lang);
      expect(summary).toContain('@new_account');
      expect(summary).not.toMatch(/follower|volger|\b0\b/i);
    }
  });

  it('does not promise a free rebooking in public when the rebooking is over its cap', () => {
    const signals: Signal[] = ['cultural-event', 'life-event', 'dilemma'];
    const capped = new OfflineAnalyst({
      reading: detectionReading,
      catalogue,
      brand,
      usage: () => (id) => (id === 'flexible-rebooking' ? 1_000 : 0),
    });
    const a = capped.write(STORY, 'opportunity', signals, 'en');
    expect(a.gesture?.id).not.toBe('flexible-rebooking');
    expect(a.publicPost ?? '').not.toMatch(/rebook/);
  });

  it('reads usage per card, so a cap reached during a run is respected at once', () => {
    let used = 0;
    const counting = new OfflineAnalyst({ reading: detectionReading, catalogue, brand, usage: () => () => used });
    expect(counting.write(STORY, 'risk', ['complaint'], 'en').gesture).not.toBeNull();
    used = 10_000;
    expect(counting.write(STORY, 'risk', ['complaint'], 'en').gesture).toBeNull();
  });

  it('drafts a generic reply in the asked language when the text is no card', async () => {
    const drafting = new OfflineAnalyst({ reading: detectionReading, catalogue, brand, usage: noUsage, triage });
    const nl = await drafting.draft({ text: 'Hoe laat gaat de balie open?', kind: 'reply', lang: 'nl' });
    expect(detectLanguage(nl.reply)).toBe('nl');
    expect(nl.publicPost).toBeNull();
    const announcement = await drafting.draft({ text: 'Our new route to Oslo', kind: 'announcement', lang: 'en' });
    expect(announcement.publicPost).toContain('Oranje Air');
    expect(announcement.publicPost).not.toMatch(/\{\{/);
  });
});

describe('templates', () => {
  it('render fills variables and throws naming each one that is missing', () => {
    expect(render('Hi {{ name }}, from {{brand}}', { name: 'Anna', brand: 'Oranje Air' })).toBe('Hi Anna, from Oranje Air');
    expect(() => render('Hi {{name}} at {{event}} and {{gate}}', { name: 'Anna' }, 'reply.dilemma')).toThrow(TemplateError);
    expect(() => render('Hi {{name}} at {{event}} and {{gate}}', { name: 'Anna' }, 'reply.dilemma')).toThrow(
      /reply\.dilemma.*event, gate/,
    );
  });

  it('render treats zero and the empty string as given', () => {
    expect(render('{{n}} reposts{{s}}', { n: 0, s: '' })).toBe('0 reposts');
  });

  /** Every string in prompts/offline.yaml, wherever it sits. */
  function strings(node: unknown): string[] {
    if (typeof node === 'string') return [node];
    if (Array.isArray(node)) return node.flatMap(strings);
    if (node && typeof node === 'object') return Object.values(node).flatMap(strings);
    return [];
  }

  it('every {{variable}} in prompts/offline.yaml is one the analyst supplies', () => {
    const used = [...new Set(strings(parse(readFileSync(`${PROMPTS_DIR}offline.yaml`, 'utf8'))).flatMap(variablesOf))];
    expect(used.length).toBeGreaterThan(3);
    // Put every variable the file uses into one template and let the analyst render it: any it does not supply throws.
    const base = loadOfflineTemplates();
    const probe: OfflineTemplates = {
      ...base,
      summary: { ...base.summary, dilemma: used.map((v) => `{{${v}}}`).join(' ') },
    };
    const a = new OfflineAnalyst({ reading: detectionReading, catalogue, brand, usage: noUsage, templates: probe }).write(STORY, 'opportunity', ['dilemma'], 'en');
    expect(a.summary).not.toMatch(/\{\{/);
    expect(a.summary).toContain('Oranje Air');
  });

  it('a template error names the template it is in', () => {
    const base = loadOfflineTemplates();
    const broken: OfflineTemplates = { ...base, why: { ...base.why, dilemma: 'needs {{nothing}}' } };
    const broke = new OfflineAnalyst({ reading: detectionReading, catalogue, brand, usage: noUsage, templates: broken });
    // 'question' has no why template, so it comes first in signals but must not be the one blamed.
    expect(() => broke.write(STORY, 'opportunity', ['question', 'dilemma'], 'en')).toThrow(/why\.dilemma: missing variable\(s\) nothing/);
  });
});
