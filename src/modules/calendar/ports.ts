import type { Channel } from '../studio/channels.js';

/** Where a content goes in time: the tenant's optimal free slots (in its time zone) and the rules a slot must follow. */
export interface SlotPlanner {
  /**
   * The next optimal slot for `channel` that no other content of the tenant holds too closely (channel spacing),
   * strictly after `after` (default now). With `onDate` (local `YYYY-MM-DD`), the best slot of that day, or the
   * first valid one after it when that day has none (SMS on a Sunday…).
   */
  nextFreeSlot(tenantId: string, channel: Channel, options?: { after?: Date; onDate?: string; excludeContentId?: string }): Promise<Date>;
  /** Throws `calendar.errors.*` (AppError 422) when the instant is in the past, too far ahead, or outside SMS hours. */
  assertSlot(tenantId: string, channel: Channel, instant: Date): Promise<void>;
}

/** The approval side of a content's life that the studio triggers (auto mode). */
export interface ApprovalGate {
  /**
   * Auto mode: records a system approval of `versionId` (actor `system`) and schedules the content on its slot
   * (slot `confirmed`, content `scheduled`), exactly as a human approval would. No-op unless the content is
   * `pending_approval` with that version current.
   */
  approveAutomatically(tenantId: string, contentId: string, versionId: string): Promise<void>;
}
