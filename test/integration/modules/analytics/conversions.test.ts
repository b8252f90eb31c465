import crypto from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import supertest from 'supertest';
import { conversionEndpointRoutes } from '../../../../src/modules/analytics/index.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';
import { createCampaign, session } from '../calendar/approval-support.js';
import { createCalendarContent } from '../calendar/calendar-fixtures.js';

const GIF_HEAD = 'GIF89a';

describe('Analytics: conversions through the endpoint and the pixel, attributed by UTM', function () {
  this.timeout(30_000);
  const cradle = () => testEnv().container.cradle;
  /** The public routes as the app mounts them: before sessions, CSRF and the app's body parsers. */
  let site: supertest.Agent;
  let tenantId: string;
  let key: string;
  let contentId: string;
  let campaignId: string;
  let utmCampaign: string;
  let shortLinkId: string;

  before(() => {
    const app = express();
    app.use(conversionEndpointRoutes(cradle()));
    site = supertest.agent(app);
  });

  beforeEach(async () => {
    tenantId = (await createTenant(cradle().database, { name: 'Boulangerie Conversion' })).id;
    key = cradle().conversionKeys.keyOf(tenantId);
    campaignId = await createCampaign(tenantId, 'Soldes d’hiver');
    contentId = await createCalendarContent(tenantId, { channel: 'linkedin', status: 'published', title: 'Galettes', startsAt: new Date(Date.now() - 86400_000), campaignId });
    await cradle().database.forTenant(tenantId, async (trx) => {
      utmCampaign = (await trx('campaigns').where({ id: campaignId }).first('utmCampaign')).utmCampaign;
      const link = { tenantId, contentId, campaignId, channel: 'linkedin', utmCampaign, utmContent: contentId, originalUrl: 'https://boulangerie.example/galettes' };
      await trx('shortLinks').insert({ ...link, channel: 'facebook', code: `fb${crypto.randomBytes(4).toString('hex')}`, utmSource: 'facebook', targetUrl: `${link.originalUrl}?utm_source=facebook` });
      const [ours] = await trx('shortLinks').insert({ ...link, code: `li${crypto.randomBytes(4).toString('hex')}`, utmSource: 'linkedin', targetUrl: `${link.originalUrl}?utm_source=linkedin` }).returning('id');
      shortLinkId = ours.id;
    });
  });

  const conversions = (tenant = tenantId) => cradle().database.forTenant(tenant, (trx) => trx('conversions').where({ tenantId: tenant }).orderBy('createdAt'));

  it('JSON: recorded (201, CORS open) and attributed to the content, its campaign and our short link', async () => {
    const res = await site
      .post(`/c/${key}`)
      .set('Origin', 'https://boulangerie.example')
      .send({ kind: 'purchase', value: '49.90', currency: 'eur', external_ref: 'CMD-1042', utm_source: 'linkedin', utm_medium: 'social', utm_campaign: utmCampaign, utm_content: contentId, occurred_at: '2026-11-20T14:30:00+01:00' });
    expect(res.status, res.text).to.equal(201);
    expect(res.headers['access-control-allow-origin']).to.equal('*');
    expect(res.headers['set-cookie']).to.equal(undefined);
    const [row] = await conversions();
    expect(row).to.include({ id: res.body.id, kind: 'purchase', source: 'api', currency: 'EUR', externalRef: 'CMD-1042', contentId, campaignId, shortLinkId, utmSource: 'linkedin', utmMedium: 'social' });
    expect(Number(row!.valueCents)).to.equal(4990);
    expect(row!.occurredAt.toISOString()).to.equal('2026-11-20T13:30:00.000Z');

    const preflight = await site.options(`/c/${key}`).set('Origin', 'https://boulangerie.example').set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).to.equal(204);
    expect(preflight.headers['access-control-allow-headers']).to.match(/content-type/i);
  });

  it('form-encoded posts work too; a campaign slug alone attributes the campaign, an unknown content nothing', async () => {
    const res = await site.post(`/c/${key}`).type('form').send({ kind: 'lead', utm_campaign: utmCampaign, utm_content: crypto.randomUUID() });
    expect(res.status, res.text).to.equal(201);
    const [row] = await conversions();
    expect(row).to.include({ kind: 'lead', source: 'api', contentId: null, campaignId, shortLinkId: null, valueCents: null, currency: 'EUR' });
  });

  it('pixel: answers a 1×1 GIF and records the conversion (source pixel)', async () => {
    const res = await site.get(`/c/${key}/pixel.gif`).query({ kind: 'signup', value: '0', external_ref: 'NL-9', utm_source: 'linkedin', utm_content: contentId }).buffer(true);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^image\/gif/);
    expect(Buffer.from(res.body).subarray(0, 6).toString('latin1')).to.equal(GIF_HEAD);
    const [row] = await conversions();
    expect(row).to.include({ kind: 'signup', source: 'pixel', externalRef: 'NL-9', contentId, campaignId, shortLinkId });
  });

  it('the same external_ref is recorded once (200 duplicate, same id)', async () => {
    const body = { kind: 'purchase', value: 12, external_ref: 'CMD-7' };
    const first = await site.post(`/c/${key}`).send(body);
    const again = await site.post(`/c/${key}`).send({ ...body, value: 99 });
    expect([first.status, again.status]).to.deep.equal([201, 200]);
    expect(again.body).to.deep.equal({ id: first.body.id, duplicate: true });
    const rows = await conversions();
    expect(rows).to.have.length(1);
    expect(Number(rows[0]!.valueCents)).to.equal(1200);
  });

  it('an unknown or tampered key is 404 and records nothing; the pixel still answers its GIF', async () => {
    const tampered = key.slice(0, -2) + (key.endsWith('AA') ? 'AB' : 'AA');
    for (const bad of [tampered, 'not-a-key', crypto.randomBytes(33).toString('base64url')]) {
      const res = await site.post(`/c/${bad}`).send({ kind: 'purchase' });
      expect(res.status).to.equal(404);
      expect(res.body).to.include({ error: 'not_found', code: 'conversions.errors.unknownKey' });
    }
    const pixel = await site.get(`/c/${tampered}/pixel.gif`).query({ kind: 'lead' });
    expect([pixel.status, pixel.headers['content-type']]).to.deep.equal([200, 'image/gif']);
    expect(await conversions()).to.have.length(0);
  });

  it('invalid input is a 400 with the message; the pixel answers its GIF and records nothing', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{}, 'kind', 'conversions.errors.invalidKind'],
      [{ kind: 'donation' }, 'kind', 'conversions.errors.invalidKind'],
      [{ kind: 'purchase', value: '12.345' }, 'value', 'conversions.errors.invalidValue'],
      [{ kind: 'purchase', value: -3 }, 'value', 'conversions.errors.invalidValue'],
      [{ kind: 'purchase', currency: 'EURO' }, 'currency', 'conversions.errors.invalidCurrency'],
      [{ kind: 'purchase', occurred_at: 'hier' }, 'occurred_at', 'conversions.errors.invalidDate'],
      [{ kind: 'purchase', occurred_at: '2999-01-01T00:00:00Z' }, 'occurred_at', 'conversions.errors.futureDate'],
      [{ kind: 'purchase', utm_source: 'x'.repeat(101) }, 'utm_source', 'conversions.errors.tooLong'],
    ];
    for (const [body, field, code] of cases) {
      const res = await site.post(`/c/${key}`).send(body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body).to.include({ error: 'invalid_input', field, code });
      expect(res.body.message).to.be.a('string').and.not.equal(code);
    }
    const malformed = await site.post(`/c/${key}`).set('Content-Type', 'application/json').send('{"kind": ');
    expect([malformed.status, malformed.body.code]).to.deep.equal([400, 'conversions.errors.malformedBody']);

    const pixel = await site.get(`/c/${key}/pixel.gif`).query({ kind: 'purchase', value: 'beaucoup' });
    expect([pixel.status, pixel.headers['content-type']]).to.deep.equal([200, 'image/gif']);
    expect(await conversions()).to.have.length(0);
  });

  it("another tenant's key writes only into that tenant: this tenant's content is not even seen", async () => {
    const other = (await createTenant(cradle().database, { name: 'Autre boutique' })).id;
    const res = await site.post(`/c/${cradle().conversionKeys.keyOf(other)}`).send({ kind: 'purchase', external_ref: 'X-1', utm_content: contentId, utm_campaign: utmCampaign });
    expect(res.status).to.equal(201);
    expect(await conversions()).to.have.length(0);
    const [theirs] = await conversions(other);
    expect(theirs).to.include({ tenantId: other, contentId: null, campaignId: null, shortLinkId: null });
  });

  it('/app/conversions shows the key, the endpoint and pixel snippets and the latest conversions', async () => {
    await site.post(`/c/${key}`).send({ kind: 'booking', value: '80', external_ref: 'RES-12', utm_content: contentId, utm_source: 'linkedin', utm_campaign: utmCampaign });
    const owner = await session(tenantId, 'client_owner', 'Claire Martin');
    const page = await owner.agent.get('/app/conversions');
    expect(page.status).to.equal(200);
    expect(page.text).to.include(`<code id="conversion-key">${key}</code>`);
    expect(page.text).to.include(`/c/${key}/pixel.gif?kind=lead`);
    expect(page.text).to.include('Réservation').and.include('RES-12').and.include('Galettes').and.include('80,00');
    const fragment = await owner.agent.get('/app/conversions').set('HX-Request', 'true');
    expect(fragment.text.trim()).to.match(/^<div id="conversions-latest">/);
  });

  it('rate-limited per key: past the limit the endpoint answers 429 and records nothing more', async () => {
    const { CONVERSION_RATE } = await import('../../../../src/modules/analytics/conversions-routes.js');
    const app = express();
    app.use(conversionEndpointRoutes(cradle()));
    const fresh = supertest(app);
    let last = 0;
    for (let i = 0; i <= CONVERSION_RATE.limit; i++) last = (await fresh.post(`/c/${key}`).send({ kind: 'lead', external_ref: `L-${i}` })).status;
    expect(last).to.equal(429);
    expect(await conversions()).to.have.length(CONVERSION_RATE.limit);
    // another key is not affected
    const other = (await createTenant(cradle().database)).id;
    expect((await fresh.post(`/c/${cradle().conversionKeys.keyOf(other)}`).send({ kind: 'lead' })).status).to.equal(201);
  });
});
