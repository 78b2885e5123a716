import type { ReplyMessage } from './reply-message.js';

/** What receives a reply handed over in memory: the API's reply reader. */
export interface ReplyInbox {
  deliver(requestId: string, message: ReplyMessage): void;
}

/**
 * The reply path inside one process (`npm start`, where the API and the key workers run
 * together): a worker answering a request that waits in this same process hands the message to
 * the API's reader directly instead of through the reply stream in Redis, which saves a Redis
 * write and a blocking read's wake-up on every reply. Replies for other API processes still go
 * through their streams. The worker writes what rides along with a reply (usage, generation
 * owners, the stream-started mark) to Redis first either way.
 */
export class LocalReplies {
  private readonly inboxes = new Map<string, ReplyInbox>();

  /** The API process `instanceId` (its reply stream's id) waits here; the returned function undoes it. */
  attach(instanceId: string, inbox: ReplyInbox): () => void {
    this.inboxes.set(instanceId, inbox);
    return () => {
      if (this.inboxes.get(instanceId) === inbox) this.inboxes.delete(instanceId);
    };
  }

  /** The inbox of `replyTo` when that API process is this one. */
  inboxOf(replyTo: string): ReplyInbox | undefined {
    return this.inboxes.get(replyTo);
  }
}
