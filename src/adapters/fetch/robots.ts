import robotsParserModule from 'robots-parser';

/**
 * robots.txt policy (RFC 9309), cached per origin (scheme, host and port: robots.txt rules are per origin).
 *
 * - 2xx: the first 500 KiB are parsed; the rules of the group matching `CadenceBot` (else `*`) apply.
 * - 4xx (404 included), too many redirects, or a redirect the fetcher refuses: "unavailable", everything is
 *   allowed (RFC 9309 §2.3.1.3).
 * - 5xx, network error, timeout: "unreachable", everything is disallowed (RFC 9309 §2.3.1.4). That outcome is
 *   cached for a few minutes only, so a transient error does not block a site for an hour.
 */

export const ROBOTS_MAX_BYTES = 500 * 1024;
export const ROBOTS_TTL_MS = 60 * 60 * 1000;
export const ROBOTS_UNREACHABLE_TTL_MS = 5 * 60 * 1000;

interface Robot {
  isAllowed(url: string, ua?: string): boolean | undefined;
}

type RobotsParser = (url: string, contents: string) => Robot;

// robots-parser is CommonJS (`module.exports = fn`) with an ESM-style `export default` typing.
const robotsParser: RobotsParser =
  (robotsParserModule as unknown as { default?: RobotsParser }).default ?? (robotsParserModule as unknown as RobotsParser);

export type RobotsOutcome =
  | { kind: 'rules'; text: string }
  | { kind: 'allowAll' }
  | { kind: 'disallowAll' };

interface Entry {
  decide: (url: string) => boolean;
  expiresAt: number;
}

export class RobotsCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly userAgent: string,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = ROBOTS_TTL_MS,
  ) {}

  /** The cached decision function for an origin, or undefined when it must be (re)fetched. */
  lookup(origin: string): ((url: string) => boolean) | undefined {
    const entry = this.entries.get(origin);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(origin);
      return undefined;
    }
    return entry.decide;
  }

  store(origin: string, outcome: RobotsOutcome): (url: string) => boolean {
    let decide: (url: string) => boolean;
    let ttl = this.ttlMs;
    if (outcome.kind === 'rules') {
      const robot = robotsParser(`${origin}/robots.txt`, outcome.text);
      // undefined = the URL is not on this origin (cannot happen here): allow.
      decide = (url) => robot.isAllowed(url, this.userAgent) !== false;
    } else if (outcome.kind === 'allowAll') {
      decide = () => true;
    } else {
      decide = () => false;
      ttl = Math.min(ttl, ROBOTS_UNREACHABLE_TTL_MS);
    }
    this.entries.set(origin, { decide, expiresAt: this.now() + ttl });
    if (this.entries.size > 10_000) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return decide;
  }

  clear(): void {
    this.entries.clear();
  }
}
