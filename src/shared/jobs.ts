/** A background job; `name` is `<module>:<verb-noun>`; `every` (human interval or cron) makes it recurring. */
export interface JobDefinition {
  name: string;
  every?: string;
  run(data: Record<string, unknown>): Promise<unknown>;
}
