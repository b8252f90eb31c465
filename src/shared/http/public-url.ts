import type { Request } from 'express';
import type { Config } from '../../config.js';

const trim = (url: string) => url.replace(/\/+$/, '');

/**
 * The base of links leaving the app while answering a request: `PUBLIC_URL`, else the request's own origin — right
 * only when the app is reached directly (behind a proxy, set PUBLIC_URL).
 */
export function requestBaseUrl(req: Request, config: Pick<Config, 'publicUrl'>): string {
  return trim(config.publicUrl ?? `${req.protocol}://${req.get('host')}`);
}

/**
 * The base of links made with no request at hand (jobs, e-mails, short links): `PUBLIC_URL`, else this machine's
 * loopback address, which only works here (development, tests) — production needs PUBLIC_URL.
 */
export function appBaseUrl(config: Pick<Config, 'publicUrl' | 'port'>): string {
  return trim(config.publicUrl ?? `http://localhost:${config.port}`);
}
