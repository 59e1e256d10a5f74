import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalogue, type Gesture } from '../src/analyse/catalogue';
import { chooseGesture, eligibleGestures, enforceGesture, type PolicyContext } from '../src/analyse/policy';

const catalogue = loadCatalogue();
const byId = (id: string): Gesture => {
  const g = catalogue.find((x) => x.id === id);
  if (!g) throw new Error(`${id} is not in prompts/gestures.yaml`);
  return g;
};
const fallback = (g: Gesture) => `fallback fairness for ${g.id}`;
const dilemma: PolicyContext = { kind: 'opportunity', signals: ['dilemma', 'cultural-event'], usage: () => 0 };
const complaintRisk: PolicyContext = { kind: 'risk', signals: ['complaint', 'reach'], usage: () => 0 };

describe('eligibleGestures', () => {
  it('keeps only gestures of the card’s kind with a matching signal', () => {
    const ids = eligibleGestures(catalogue, complaintRisk).map((g) => g.id);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const g = byId(id);
      expect(g.kinds).toContain('risk');
      expect(g.signals).toContain('complaint');
    }
    expect(ids).not.toContain('flexible-rebooking');
  });

  it('drops a gesture at its monthly cap', () => {
    const cap = byId('flexible-rebooking').capPerMonth;
    const below = eligibleGestures(catalogue, { ...dilemma, usage: (id) => (id === 'flexible-rebooking' ? cap - 1 : 0) });
    const at = eligibleGestures(catalogue, { ...dilemma, usage: (id) => (id === 'flexible-rebooking' ? cap : 0) });
    expect(below.map((g) => g.id)).toContain('flexible-rebooking');
    expect(at.map((g) => g.id)).not.toContain('flexible-rebooking');
  });

  it('offers nothing for a card with no signal a gesture fits', () => {
    expect(eligibleGestures(catalogue, { kind: 'opportunity', signals: ['praise'], usage: () => 0 })).toEqual([]);
    expect(chooseGesture(catalogue, { kind: 'opportunity', signals: ['praise'], usage: () => 0 })).toBeNull();
  });
});

describe('chooseGesture', () => {
  it('prefers the gesture matching most signals, then the cheaper one', () => {
    // milestone + life-event: crew-card (5), small-gift (25), lounge (60), upgrade (400) all match both: cheapest wins.
    const g = chooseGesture(catalogue, { kind: 'opportunity', signals: ['milestone', 'life-event'], usage: () => 0 });
    expect(g?.id).toBe('crew-card');
    // compassion + complaint on a risk: personal-callback and lounge-access match both; the call-back is cheaper.
    expect(chooseGesture(catalogue, { kind: 'risk', signals: ['compassion', 'complaint'], usage: () => 0 })?.id).toBe(
      'personal-callback',
    );
  });
});

describe('enforceGesture', () => {
  it('passes a fitting gesture, with cost, name and approval from the catalogue, not the proposal', () => {
    const proposal = {
      id: 'flexible-rebooking',
      fairness: 'Few fans share this exact clash.',
      name: 'Free flights for life',
      costEur: 0,
      needsApproval: false,
    };
    const out = enforceGesture(catalogue, dilemma, proposal, fallback);
    const g = byId('flexible-rebooking');
    expect(out.replaced).toBeUndefined();
    expect(out.gesture).toEqual({
      id: g.id,
      name: g.name,
      costEur: g.costEur,
      needsApproval: g.needsApproval,
      fairness: 'Few fans share this exact clash.',
    });
  });

  it('takes the approval flag from the catalogue even when the proposal says none is needed', () => {
    const ctx: PolicyContext = { kind: 'risk', signals: ['compassion'], usage: () => 0 };
    const out = enforceGesture(catalogue, ctx, { id: 'upgrade-with-approval', needsApproval: false } as { id: string }, fallback);
    expect(out.gesture?.needsApproval).toBe(true);
  });

  it('replaces an unknown gesture by the policy’s own choice and says so', () => {
    const out = enforceGesture(catalogue, dilemma, { id: 'free-business-class-for-life', fairness: 'because I said so' }, fallback);
    const own = chooseGesture(catalogue, dilemma);
    expect(own).not.toBeNull();
    expect(out.gesture?.id).toBe(own?.id);
    expect(out.gesture?.fairness).toBe(fallback(own as Gesture));
    expect(out.replaced).toMatch(/not in the catalogue/);
    expect(out.replaced).toContain('free-business-class-for-life');
  });

  it('cuts a very long unknown id in the note, so a model cannot fill the card with it', () => {
    const out = enforceGesture(catalogue, dilemma, { id: `x${'A'.repeat(5000)}` }, fallback);
    expect(out.replaced?.length).toBeLessThan(200);
  });

  it('replaces a known gesture that does not fit the card, and says why', () => {
    // flexible-rebooking is for opportunities with a dilemma; this is a complaint risk.
    const out = enforceGesture(catalogue, complaintRisk, { id: 'flexible-rebooking', fairness: 'x' }, fallback);
    expect(out.gesture?.id).not.toBe('flexible-rebooking');
    expect(eligibleGestures(catalogue, complaintRisk).map((g) => g.id)).toContain(out.gesture?.id);
    expect(out.replaced).toMatch(/does not fit|monthly cap/);
  });

  it('replaces a fitting gesture that is over its cap', () => {
    const ctx: PolicyContext = { ...dilemma, usage: (id) => (id === 'flexible-rebooking' ? 1000 : 0) };
    const out = enforceGesture(catalogue, ctx, { id: 'flexible-rebooking' }, fallback);
    expect(out.gesture?.id).not.toBe('flexible-rebooking');
    expect(out.replaced).toBeDefined();
  });

  it('gives no gesture when the replacement has nothing eligible either', () => {
    const ctx: PolicyContext = { kind: 'opportunity', signals: ['praise'], usage: () => 0 };
    const out = enforceGesture(catalogue, ctx, { id: 'upgrade-with-approval' }, fallback);
    expect(out.gesture).toBeNull();
    expect(out.replaced).toBeDefined();
  });

  it('keeps "no gesture" as no gesture', () => {
    expect(enforceGesture(catalogue, dilemma, null, fallback)).toEqual({ gesture: null });
  });

  it('uses the fallback fairness when the proposal gives none or only spaces', () => {
    const out = enforceGesture(catalogue, dilemma, { id: 'flexible-rebooking', fairness: '   ' }, fallback);
    expect(out.gesture?.fairness).toBe('fallback fairness for flexible-rebooking');
  });
});

describe('catalogue', () => {
  it('rejects a catalogue file that breaks its schema, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-catalogue-'));
    try {
      const file = join(dir, 'gestures.yaml');
      writeFileSync(file, 'gestures:\n  - id: Free Money\n    name: x\n');
      expect(() => loadCatalogue(file)).toThrow(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
