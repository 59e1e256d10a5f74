import { createColors } from 'picocolors';
import type { Opportunity } from '../domain/opportunity';
import { whyWithFacts } from '../discord/card';
import type { CardSink } from '../outbox/courier';
import type { OutboxItem } from '../domain/outbox';
import { grouped } from '../domain/numbers';

type Colors = ReturnType<typeof createColors>;

/** A card as terminal text: a pure function, coloured only when asked (a TTY). */
export function formatCard(o: Opportunity, c: Colors): string {
  const a = o.analysis;
  const head = o.kind === 'risk' ? c.red(c.bold(' RISK ')) : c.green(c.bold(' OPPORTUNITY '));
  const author = `@${terminalSafe(o.post.author.handle)} · ${grouped(o.post.author.followers)} followers`;
  const line = c.dim('─'.repeat(78));
  const field = (label: string, value: string) => `${c.bold(label.padEnd(13))}${indent(terminalSafe(value))}`;
  const parts = [
    line,
    `${head} ${c.bold(terminalSafe(a.summary))}  ${c.dim(`score ${o.score.toFixed(2)} · card #${o.id}`)}`,
    c.dim(`${author} · ${terminalSafe(o.post.createdAt)}${o.post.url ? ` · ${terminalSafe(o.post.url)}` : ''}`),
    `${c.italic(quote(terminalSafe(o.post.text)))}`,
    field('Why', whyWithFacts(a)),
    field(
      'Gesture',
      a.gesture
        ? `${a.gesture.name} (≈ €${a.gesture.costEur}${a.gesture.needsApproval ? ', needs a lead’s approval' : ''}). ${a.gesture.fairness}`
        : 'None: a personal answer is the gesture.',
    ),
    field('Reply draft', a.reply),
    ...(a.publicPost ? [field('Public post', `(draft: post only after the fan agrees)\n${a.publicPost}`)] : []),
    field('Verify first', a.verifyFirst.map((v) => `• ${v}`).join('\n')),
    field('Risks', a.risks.map((v) => `• ${v}`).join('\n')),
    ...(a.notes.length ? [field('Notes', a.notes.join('\n'))] : []),
    field('Signals', o.signals.join(', ')),
  ];
  return `${parts.join('\n')}\n`;
}

/**
 * Untrusted text (the fan's post, name, url, and drafts built from them) as inert characters: a post holding
 * "\u001b[2J" must not clear the team's screen, "\r" must not overwrite a line, and bidi overrides must not make
 * a line read differently from what it holds. Newlines stay (fields are multi-line); tabs become spaces.
 */
export function terminalSafe(text: string): string {
  return text.replace(/\t/g, ' ').replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

function indent(text: string): string {
  return text.split('\n').join(`\n${' '.repeat(13)}`);
}

function quote(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^/, '“')
    .concat('”');
}

/** With no Discord configured, cards print to the terminal, through the same outbox as everywhere. */
export class ConsoleSink implements CardSink {
  readonly name = 'console';
  /** It prints: several cards are written down together (a crash may print a few of them again). */
  readonly batch = 64;
  private readonly colors: Colors;

  constructor(
    private readonly out: NodeJS.WritableStream = process.stdout,
    color = Boolean((out as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR,
  ) {
    this.colors = createColors(color);
  }

  async deliver(opportunity: Opportunity, item: OutboxItem): Promise<{ messageId: string }> {
    this.out.write(formatCard(opportunity, this.colors));
    return { messageId: `console-${item.id}` };
  }
}
