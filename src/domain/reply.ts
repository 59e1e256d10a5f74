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
