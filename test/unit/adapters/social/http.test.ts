import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { callApi, credentialsFromTokenResponse, retryAfterMs, tokenRequest } from '../../../../src/adapters/social/http.js';
import { littleText } from '../../../../src/adapters/social/linkedin/api.js';
import { comparableText } from '../../../../src/adapters/social/x/api.js';
import { PublishError } from '../../../../src/modules/publishing/ports.js';

/** A server answering each path with the status, headers and body the test gives it. */
async function answering(routes: Record<string, { status: number; headers?: Record<string, string>; body?: unknown }>): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const route = routes[req.url ?? ''] ?? { status: 404 };
    res.writeHead(route.status, { 'content-type': 'application/json', ...route.headers }).end(route.body === undefined ? '' : JSON.stringify(route.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function refusal(promise: Promise<unknown>): Promise<PublishError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(PublishError);
    return err as PublishError;
  }
  throw new Error('expected a PublishError');
}

describe('Social adapters: HTTP refusals as PublishError', () => {
  let server: Awaited<ReturnType<typeof answering>>;
  before(async () => {
    server = await answering({
      '/ok': { status: 201, body: { id: 'p1' }, headers: { 'x-restli-id': 'urn:li:share:1' } },
      '/limited': { status: 429, headers: { 'retry-after': '120' } },
      '/limited-x': { status: 429, headers: { 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 60) } },
      '/down': { status: 503, body: { message: 'maintenance' } },
      '/revoked': { status: 401, body: { message: 'The token used in the request has been revoked by the user' } },
      '/expired': { status: 401, body: { code: 'EXPIRED_ACCESS_TOKEN', message: 'The token used in the request has expired' } },
      '/forbidden': { status: 403, body: { message: 'Not enough permissions' } },
      '/duplicate': { status: 403, body: { detail: 'You are not allowed to create a Tweet with duplicate content.' } },
      '/invalid': { status: 422, body: { message: 'Field Value validation failed' } },
      '/token-refused': { status: 400, body: { error: 'invalid_grant' } },
      '/client-refused': { status: 401, body: { error: 'invalid_client' } },
    });
  });
  after(() => server.close());

  it('returns the body and headers of a success', async () => {
    const response = await callApi('test', { url: `${server.url}/ok`, json: { a: 1 } });
    expect(response.status).to.equal(201);
    expect(response.json).to.deep.equal({ id: 'p1' });
    expect(response.headers.get('x-restli-id')).to.equal('urn:li:share:1');
  });

  it('429 and 5xx are temporary, with the wait the network asked for', async () => {
    const limited = await refusal(callApi('test', { url: `${server.url}/limited` }));
    expect(limited).to.include({ kind: 'temporary', code: 'rateLimited' });
    expect(limited.options).to.deep.equal({ status: 429, retryAfterMs: 120_000 });
    const limitedX = await refusal(callApi('test', { url: `${server.url}/limited-x` }));
    expect(limitedX.options.retryAfterMs).to.be.within(58_000, 60_000);
    expect(await refusal(callApi('test', { url: `${server.url}/down` }))).to.include({ kind: 'temporary', code: 'networkUnavailable' });
  });

  it('an unreachable network is temporary', async () => {
    const closed = await answering({});
    await closed.close();
    expect(await refusal(callApi('test', { url: `${closed.url}/ok`, timeoutMs: 2000 }))).to.include({ kind: 'temporary', code: 'networkUnavailable' });
  });

  it('401 is a revoked or expired token; 403, 422 are permanent; a network refines its own refusals', async () => {
    expect(await refusal(callApi('test', { url: `${server.url}/revoked` }))).to.include({ kind: 'permanent', code: 'tokenRevoked' });
    expect(await refusal(callApi('test', { url: `${server.url}/expired` }))).to.include({ kind: 'permanent', code: 'tokenExpired' });
    expect(await refusal(callApi('test', { url: `${server.url}/forbidden` }))).to.include({ kind: 'permanent', code: 'permissionDenied' });
    expect(await refusal(callApi('test', { url: `${server.url}/invalid` }))).to.include({ kind: 'permanent', code: 'contentRejected' });
    const duplicate = await refusal(callApi('test', { url: `${server.url}/duplicate` }, (status, _b, text) => (status === 403 && /duplicate/.test(text) ? 'duplicateContent' : undefined)));
    expect(duplicate).to.include({ kind: 'permanent', code: 'duplicateContent' });
    expect(duplicate.options.status).to.equal(403);
  });

  it('a refused grant at the token endpoint is a revoked token; a refused client is the app', async () => {
    expect(await refusal(tokenRequest('test', `${server.url}/token-refused`, { grant_type: 'refresh_token' }))).to.include({ kind: 'permanent', code: 'tokenRevoked' });
    expect(await refusal(tokenRequest('test', `${server.url}/client-refused`, { grant_type: 'refresh_token' }))).to.include({ kind: 'permanent', code: 'appRejected' });
  });

  it('Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 25 Nov 2026 10:02:00 GMT' }), now)).to.equal(120_000);
    expect(retryAfterMs(new Headers({}), now)).to.equal(undefined);
  });

  it('token responses become credentials; a refresh without a new refresh token keeps the old one', () => {
    const now = new Date('2026-11-25T10:00:00Z');
    const first = credentialsFromTokenResponse({ access_token: 'a1', refresh_token: 'r1', expires_in: 3600, refresh_token_expires_in: 86400, scope: 'w_member_social' }, now);
    expect(first).to.deep.equal({ accessToken: 'a1', refreshToken: 'r1', expiresAt: '2026-11-25T11:00:00.000Z', extra: { refreshExpiresAt: '2026-11-26T10:00:00.000Z', scope: 'w_member_social' } });
    const second = credentialsFromTokenResponse({ access_token: 'a2', expires_in: 60 }, now, { ...first, extra: { ...first.extra, username: 'bm' } });
    expect(second).to.include({ accessToken: 'a2', refreshToken: 'r1', expiresAt: '2026-11-25T10:01:00.000Z' });
    expect(second.extra).to.include({ username: 'bm' });
  });
});

describe('Social adapters: text as each network reads it', () => {
  it('LinkedIn commentary escapes the little-text markup characters', () => {
    expect(littleText('Atelier (samedi) #vélo @Nantes [promo] <3 a_b*c~d|e{f}\\')).to.equal('Atelier \\(samedi\\) \\#vélo \\@Nantes \\[promo\\] \\<3 a\\_b\\*c\\~d\\|e\\{f\\}\\\\');
    expect(littleText('Simple texte, accentué : 49 € !')).to.equal('Simple texte, accentué : 49 € !');
  });

  it('X texts compare with links shortened and entities decoded', () => {
    expect(comparableText('Pain & croissants <3 https://t.co/Ab1Xy'.replace('&', '&amp;').replace('<', '&lt;'))).to.equal(comparableText('Pain & croissants <3 https://cadence.example/r/abc'));
    expect(comparableText('Un texte')).to.not.equal(comparableText('Un autre texte'));
  });
});
