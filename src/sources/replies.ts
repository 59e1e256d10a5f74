import type { Actor } from '../domain/opportunity';
import type { CardStore } from '../domain/ports';
import { ReplyRefused } from '../domain/reply';

export interface PlatformSender {
  readonly platforms?: readonly string[];
  send(opportunityId: number, actor?: Actor): Promise<{ url: string; alreadySent?: boolean }>;
}

/**
 * One reply sender for the cards, handing each to the sender of its post's platform (X, Facebook, Instagram,
 * Bluesky, Mastodon). A
 * card on a platform no sender serves (a post pushed in through /ingest) is refused: its reply is copied by hand.
 */
export class ReplyRouter implements PlatformSender {
  readonly platforms: readonly string[];

  constructor(
    private readonly senders: readonly PlatformSender[],
    private readonly store: Pick<CardStore, 'getOpportunity'>,
  ) {
    this.platforms = senders.flatMap((s) => s.platforms ?? []);
  }

  async send(opportunityId: number, actor?: Actor): Promise<{ url: string; alreadySent?: boolean }> {
    const opp = await this.store.getOpportunity(opportunityId);
    if (!opp) throw new ReplyRefused(`card #${opportunityId} does not exist`);
    const sender = this.senders.find((s) => s.platforms?.includes(opp.post.platform));
    if (!sender) throw new ReplyRefused(`Kairos sends no replies on ${opp.post.platform}: copy the approved reply from the card`);
    return sender.send(opportunityId, actor);
  }
}

/** The router over the senders that are configured, or none when there is none. */
export function replyRouter(senders: readonly (PlatformSender | undefined)[], store: Pick<CardStore, 'getOpportunity'>): ReplyRouter | undefined {
  const present = senders.filter((s): s is PlatformSender => Boolean(s));
  return present.length ? new ReplyRouter(present, store) : undefined;
}
