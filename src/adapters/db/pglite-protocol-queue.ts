import type { PGlite } from '@electric-sql/pglite';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(err: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueryQueue {
  db: PGlite;
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

// Extended-protocol messages that leave an unnamed statement/portal behind until the client's Sync.
const PARSE = 0x50, BIND = 0x42, DESCRIBE = 0x44, EXECUTE = 0x45, CLOSE = 0x43, FLUSH = 0x48;
const EXTENDED = new Set([PARSE, BIND, DESCRIBE, EXECUTE, CLOSE, FLUSH]);

/**
 * pglite-socket multiplexes many client connections onto PGlite's single backend, one protocol message at
 * a time. It keeps a connection's messages together inside a transaction, but not inside one extended-query
 * exchange (Parse/Bind/Execute…Sync), so two concurrent parameterised queries clobber each other's unnamed
 * portal ("portal does not exist"). This queue also pins the backend to a connection from its first
 * extended-protocol message until its Sync, and frees it when that connection goes away.
 */
export function pinExtendedQueries(queryQueue: unknown): void {
  const q = queryQueue as QueryQueue;
  let pinned: number | null = null;

  q.processQueue = async function processQueue(this: QueryQueue): Promise<void> {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = pinned ?? (this.db.isInTransaction() ? this.lastHandlerId : null);
        const index = owner === null ? 0 : this.queue.findIndex((m) => m.handlerId === owner);
        if (index === -1) break; // wait for the owner's next message
        const [item] = this.queue.splice(index, 1);
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (err) {
          pinned = null;
          item.reject(err);
          continue;
        }
        this.lastHandlerId = item.handlerId;
        pinned = EXTENDED.has(item.message[0]) ? item.handlerId : null;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }.bind(q);

  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number) => {
    if (pinned === handlerId) pinned = null;
    clear(handlerId);
    void q.processQueue();
  };
}
