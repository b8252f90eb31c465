/** A background job; `name` is `<module>:<verb-noun>`; `every` (human interval or cron) makes it recurring. */
export interface JobDefinition {
  name: string;
  every?: string;
  /** Time zone of a cron `every` (default: the server's). */
  timezone?: string;
  run(data: Record<string, unknown>): Promise<unknown>;
}
