/** A reply to a fan sent (or being sent) on the post's platform for an approved card. */
export interface ReplyRecord {
  opportunityId: number;
  status: 'sending' | 'sent';
  inReplyTo: string;
  tweetId: string | null;
  url: string | null;
  text: string;
  actorId: string;
  at: string;
}

export interface ReplyClaim {
  opportunityId: number;
  inReplyTo: string;
  text: string;
  actorId: string;
  at: string;
}

/** The reply may not be sent (not approved, not on this platform, empty or too long): nothing was sent. */
export class ReplyRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyRefused';
  }
}

/** The platform did not take the reply, or its outcome is unknown; the message is safe to show (never the credentials). */
export class ReplyFailed extends Error {
  constructor(
    message: string,
    /** True when the platform may have posted it: the next attempt checks there before sending again. */
    readonly uncertain: boolean,
  ) {
    super(message);
    this.name = 'ReplyFailed';
  }
}
