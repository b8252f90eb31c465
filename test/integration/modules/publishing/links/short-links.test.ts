import { expect } from 'chai';
import supertest from 'supertest';
import type { Database } from '../../../../../src/adapters/db/database.js';
import type { LinkContext } from '../../../../../src/modules/publishing/ports.js';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, type Agent } from '../../../../support/http.js';
import { testEnv } from '../../../../support/root-hooks.js';
import { addTeamMember } from '../../../../support/team.js';

const CHROME = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

function cradle() {
  return testEnv().container.cradle;
}
function database(): Database {
  return cradle().database;
}

async function tenantIdBySlug(slug: string): Promise<string> {
  return database().asPlatform(async (trx) => (await trx('tenants').where({ slug }).first('id')).id as string);
}

/** A content as the studio leaves it, optionally in a campaign. */
async function createContent(tenantId: string, channel: string, campaignId: string | null = null): Promise<string> {
  return database().forTenant(tenantId, async (trx) => {
    const [row] = await trx('contents').insert({ tenantId, channel, status: 'scheduled', title: `Liens ${channel}`, campaignId }).returning('id');
    return row.id as string;
  });
}

async function createCampaign(tenantId: string): Promise<{ id: string; utm: string }> {
  const utm = `fete-du-pain-${Math.random().toString(36).slice(2, 8)}`;
  return database().forTenant(tenantId, async (trx) => {
    const [row] = await trx('campaigns').insert({ tenantId, name: 'Fête du pain', utmCampaign: utm, status: 'active' }).returning('id');
    return { id: row.id as string, utm };
  });
}

async function linksOf(tenantId: string, contentId: string) {
  return database().forTenant(tenantId, (trx) => trx('shortLinks').where({ tenantId, contentId }).orderBy('createdAt'));
}

async function linkByCode(code: string) {
  return database().asPlatform((trx) => trx('shortLinks').where({ code }).first());
}

async function clicksOf(code: string) {
  return database().asPlatform((trx) =>
    trx('shortLinkClicks as k').join('shortLinks as l', 'l.id', 'k.shortLinkId').where('l.code', code).orderBy('k.clickedAt').select('k.*'),
  );
}

function codesIn(text: string): string[] {
  return [...text.matchAll(/\/r\/([0-9A-Za-z]{8})\b/g)].map((m) => m[1]);
}

describe('Publishing links: tagging, short links and the /r/ redirect', function () {
  this.timeout(60_000);
  let tenantA: string;
  let tenantB: string;
  let base: string;

  before(async () => {
    tenantA = await tenantIdBySlug('boulangerie-martin');
    tenantB = await tenantIdBySlug('velo-atelier-nantes');
    base = cradle().shortLinkService.baseUrl;
  });

  describe('LinkTagger', () => {
    it('tags and shortens every http(s) link of a text, and leaves the rest of the text as it was', async () => {
      const campaign = await createCampaign(tenantA);
      const contentId = await createContent(tenantA, 'linkedin', campaign.id);
      const context: LinkContext = { tenantId: tenantA, channel: 'linkedin', contentId, campaign: campaign.utm };
      const text = [
        'Notre nouvelle baguette (https://boulangerie-martin.fr/baguette).',
        'Commandez : https://boulangerie-martin.fr/commande?retrait=samedi#horaires, ou écrivez à mailto:contact@boulangerie-martin.fr.',
        'Déjà suivi : https://ex.com/?utm_source=flyer — et encore https://boulangerie-martin.fr/baguette !',
        'Pas un lien : javascript:alert(1), /contact, tel:+33612345678',
      ].join('\n');

      const out = await cradle().linkTagger.tagText(text, context);

      const codes = codesIn(out);
      expect(codes).to.have.length(4);
      expect(codes[0], 'the same URL twice in a text is one short link').to.equal(codes[3]);
      expect(new Set(codes).size).to.equal(3);
      expect(out).to.equal(
        [
          `Notre nouvelle baguette (${base}/r/${codes[0]}).`,
          `Commandez : ${base}/r/${codes[1]}, ou écrivez à mailto:contact@boulangerie-martin.fr.`,
          `Déjà suivi : ${base}/r/${codes[2]} — et encore ${base}/r/${codes[0]} !`,
          'Pas un lien : javascript:alert(1), /contact, tel:+33612345678',
        ].join('\n'),
      );

      const rows = await linksOf(tenantA, contentId);
      expect(rows).to.have.length(3);
      const commande = rows.find((r) => r.code === codes[1])!;
      expect(commande).to.include({
        originalUrl: 'https://boulangerie-martin.fr/commande?retrait=samedi#horaires',
        targetUrl: `https://boulangerie-martin.fr/commande?retrait=samedi&utm_source=linkedin&utm_medium=social&utm_campaign=${campaign.utm}&utm_content=${contentId}#horaires`,
        utmSource: 'linkedin',
        utmMedium: 'social',
        utmCampaign: campaign.utm,
        utmContent: contentId,
        channel: 'linkedin',
        campaignId: campaign.id,
      });
      expect(Number(commande.clickCount)).to.equal(0);
      const flyer = rows.find((r) => r.code === codes[2])!;
      expect(flyer.targetUrl).to.equal(`https://ex.com/?utm_source=flyer&utm_medium=social&utm_campaign=${campaign.utm}&utm_content=${contentId}`);
      expect(flyer.utmSource, 'the author\'s own utm_source is what the link carries').to.equal('flyer');
    });

    it('is idempotent: a processed text comes back unchanged, and tagging the original again reuses the codes', async () => {
      const contentId = await createContent(tenantA, 'newsletter');
      const context: LinkContext = { tenantId: tenantA, channel: 'newsletter', contentId, campaign: '2026-11' };
      const text = 'Lire https://boulangerie-martin.fr/blog/levain et https://boulangerie-martin.fr/blog/seigle.';
      const once = await cradle().linkTagger.tagText(text, context);
      const twice = await cradle().linkTagger.tagText(once, context);
      expect(twice).to.equal(once);
      expect(await cradle().linkTagger.tagText(text, context)).to.equal(once);
      const rows = await linksOf(tenantA, contentId);
      expect(rows).to.have.length(2);
      expect(rows[0].targetUrl).to.equal(`https://boulangerie-martin.fr/blog/levain?utm_source=newsletter&utm_medium=email&utm_campaign=2026-11&utm_content=${contentId}`);
      expect(await cradle().linkTagger.tagText('Aucun lien ici.', context)).to.equal('Aucun lien ici.');
    });

    it('gives another content, or another channel of the same content, its own code', async () => {
      const first = await createContent(tenantA, 'facebook');
      const second = await createContent(tenantA, 'facebook');
      const url = 'https://boulangerie-martin.fr/galettes';
      const a = codesIn(await cradle().linkTagger.tagText(url, { tenantId: tenantA, channel: 'facebook', contentId: first, campaign: '2026-11' }));
      const b = codesIn(await cradle().linkTagger.tagText(url, { tenantId: tenantA, channel: 'facebook', contentId: second, campaign: '2026-11' }));
      const c = codesIn(await cradle().linkTagger.tagText(url, { tenantId: tenantA, channel: 'sms', contentId: first, campaign: '2026-11' }));
      expect(new Set([...a, ...b, ...c]).size).to.equal(3);
      expect((await linkByCode(c[0])).targetUrl).to.equal(`${url}?utm_source=sms&utm_medium=sms&utm_campaign=2026-11&utm_content=${first}`);
    });

    it('refuses a content of another tenant', async () => {
      const contentB = await createContent(tenantB, 'linkedin');
      let error: unknown;
      try {
        await cradle().linkTagger.tagText('https://ex.com', { tenantId: tenantA, channel: 'linkedin', contentId: contentB, campaign: '2026-11' });
      } catch (err) {
        error = err;
      }
      expect(error).to.have.property('status', 404);
      expect(await linksOf(tenantB, contentB)).to.have.length(0);
    });

    it('draws another code when the first one is taken (by any tenant)', async () => {
      const contentB = await createContent(tenantB, 'blog');
      const [taken] = codesIn(await cradle().linkTagger.tagText('https://velo-atelier.fr', { tenantId: tenantB, channel: 'blog', contentId: contentB, campaign: '2026-11' }));
      const contentA = await createContent(tenantA, 'blog');
      const draws = [taken, 'Fresh123'];
      const codes = await cradle().shortLinkRepository.ensureLinks(
        tenantA,
        { contentId: contentA, channel: 'blog' },
        [{ originalUrl: 'https://boulangerie-martin.fr', targetUrl: 'https://boulangerie-martin.fr?utm_source=blog', utm: { utm_source: 'blog' } }],
        () => draws.shift()!,
      );
      expect(codes.get('https://boulangerie-martin.fr')).to.equal('Fresh123');
      expect((await linkByCode(taken)).tenantId, 'the taken code still belongs to its tenant').to.equal(tenantB);
    });
  });

  describe('GET /r/:code', () => {
    let code: string;
    let target: string;

    before(async () => {
      const contentId = await createContent(tenantA, 'linkedin');
      [code] = codesIn(
        await cradle().linkTagger.tagText('https://bäckerei.de/brötchen?sorte=weiß#öffnungszeiten', {
          tenantId: tenantA,
          channel: 'linkedin',
          contentId,
          campaign: '2026-11',
        }),
      );
      target = (await linkByCode(code)).targetUrl;
      expect(target).to.equal(`https://bäckerei.de/brötchen?sorte=weiß&utm_source=linkedin&utm_medium=social&utm_campaign=2026-11&utm_content=${contentId}#öffnungszeiten`);
    });

    it('redirects with 302 to the tagged target, counts a human click, and sets no cookie', async () => {
      const res = await supertest(testEnv().app)
        .get(`/r/${code}`)
        .set('User-Agent', CHROME)
        .set('Referer', 'https://www.linkedin.com/feed/update/urn:li:activity:123?trk=private')
        .set('CF-IPCountry', 'FR');
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal(new URL(target).href);
      expect(res.headers.location).to.equal(
        `https://xn--bckerei-5wa.de/br%C3%B6tchen?sorte=wei%C3%9F&utm_source=linkedin&utm_medium=social&utm_campaign=2026-11&utm_content=${target.split('utm_content=')[1].split('#')[0]}#%C3%B6ffnungszeiten`,
      );
      expect(res.headers['set-cookie'], 'a click must not leave a session behind').to.equal(undefined);
      expect(res.headers['cache-control']).to.equal('no-store');
      await cradle().shortLinkService.settled();

      const clicks = await clicksOf(code);
      expect(clicks).to.have.length(1);
      expect(clicks[0]).to.include({ isBot: false, referrerHost: 'www.linkedin.com', country: 'FR', deviceClass: 'desktop', tenantId: tenantA });
      expect(clicks[0].visitorHash).to.match(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(clicks[0])).to.not.include('127.0.0.1');
      const link = await linkByCode(code);
      expect(Number(link.clickCount)).to.equal(1);
      expect(link.lastClickedAt).to.be.instanceOf(Date);
    });

    it('records link previews, HTTP libraries and HEAD requests as bots, without counting them as clicks', async () => {
      const before = Number((await linkByCode(code)).clickCount);
      const app = testEnv().app;
      for (const ua of ['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', 'LinkedInBot/1.0 (compatible; Mozilla/5.0)', 'curl/8.5.0']) {
        const res = await supertest(app).get(`/r/${code}`).set('User-Agent', ua);
        expect(res.status, ua).to.equal(302);
      }
      const head = await supertest(app).head(`/r/${code}`).set('User-Agent', CHROME);
      expect(head.status).to.equal(302);
      await cradle().shortLinkService.settled();

      const bots = (await clicksOf(code)).filter((c) => c.isBot);
      expect(bots).to.have.length(4);
      for (const bot of bots) expect(bot).to.include({ visitorHash: null, deviceClass: 'other' });
      expect(Number((await linkByCode(code)).clickCount)).to.equal(before);
    });

    it('gives the same visitor the same hash and another visitor another one', async () => {
      const app = testEnv().app;
      await supertest(app).get(`/r/${code}`).set('User-Agent', CHROME);
      await supertest(app).get(`/r/${code}`).set('User-Agent', CHROME.replace('126', '127'));
      await cradle().shortLinkService.settled();
      const humans = (await clicksOf(code)).filter((c) => !c.isBot);
      expect(humans.length).to.be.at.least(3);
      const hashes = humans.map((c) => c.visitorHash);
      expect(hashes.at(-2)).to.equal(hashes[0]);
      expect(hashes.at(-1)).to.not.equal(hashes[0]);
    });

    it('answers 404 to an unknown or malformed code, without a cookie', async () => {
      for (const path of ['/r/Zz9Zz9Zz', '/r/x', '/r/' + 'a'.repeat(40), '/r/%2e%2e%2f']) {
        const res = await supertest(testEnv().app).get(path).set('User-Agent', CHROME);
        expect(res.status, path).to.equal(404);
        expect(res.headers.location, path).to.equal(undefined);
        expect(res.headers['set-cookie'], path).to.equal(undefined);
      }
      const res = await supertest(testEnv().app).get('/r/Zz9Zz9Zz');
      expect(res.text).to.include('Ce lien court n&#39;existe pas.');
    });

    it('answers 410 to a disabled or expired link', async () => {
      const contentId = await createContent(tenantA, 'x');
      const [disabled, expired] = codesIn(
        await cradle().linkTagger.tagText('https://ex.com/a https://ex.com/b', { tenantId: tenantA, channel: 'x', contentId, campaign: '2026-11' }),
      );
      await database().forTenant(tenantA, async (trx) => {
        await trx('shortLinks').where({ code: disabled }).update({ disabledAt: new Date() });
        await trx('shortLinks').where({ code: expired }).update({ expiresAt: new Date(Date.now() - 1000) });
      });
      for (const c of [disabled, expired]) {
        const res = await supertest(testEnv().app).get(`/r/${c}`).set('User-Agent', CHROME);
        expect(res.status).to.equal(410);
        expect(res.headers.location).to.equal(undefined);
      }
      await cradle().shortLinkService.settled();
      expect(await clicksOf(disabled)).to.have.length(0);
    });

    it("follows another tenant's code for a signed-in member, and the click belongs to the code's tenant", async () => {
      const ownerB = await loginAs(testEnv().app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
      const before = (await clicksOf(code)).length;
      const res = await ownerB.agent.get(`/r/${code}`).set('User-Agent', CHROME);
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal(new URL(target).href);
      expect((await ownerB.agent.get('/app/links')).status, 'the member stays signed in').to.equal(200);
      await cradle().shortLinkService.settled();
      const clicks = await clicksOf(code);
      expect(clicks).to.have.length(before + 1);
      expect(clicks.at(-1)!.tenantId).to.equal(tenantA);
      const seenByB = await database().forTenant(tenantB, (trx) => trx('shortLinkClicks').where('shortLinkId', clicks[0].shortLinkId));
      expect(seenByB).to.have.length(0);
    });
  });

  describe('GET /app/links', () => {
    let owner: { agent: Agent; csrf: string };
    let code: string;

    before(async () => {
      owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
      const contentId = await createContent(tenantA, 'instagram');
      [code] = codesIn(await cradle().linkTagger.tagText('https://boulangerie-martin.fr/brioche?x=1&y=<b>', { tenantId: tenantA, channel: 'instagram', contentId, campaign: '2026-11' }));
      await supertest(testEnv().app).get(`/r/${code}`).set('User-Agent', CHROME);
      await supertest(testEnv().app).get(`/r/${code}`).set('User-Agent', CHROME);
      await supertest(testEnv().app).get(`/r/${code}`).set('User-Agent', 'Twitterbot/1.0');
      await cradle().shortLinkService.settled();
    });

    it("lists the tenant's short links with target, content and human / bot clicks", async () => {
      const res = await owner.agent.get('/app/links');
      expect(res.status).to.equal(200);
      const row = new RegExp(`<tr id="short-link-${code}">([\\s\\S]*?)</tr>`).exec(res.text);
      expect(row, 'the link is listed').to.not.equal(null);
      const cells = [...row![1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
      expect(cells[0]).to.include(`/r/${code}`);
      expect(cells[1], 'escaped, and the URL stops at the <').to.equal('https://boulangerie-martin.fr/brioche?x=1&amp;y=');
      expect(cells[2]).to.equal('Liens instagram Instagram');
      expect(cells[3]).to.equal('2');
      expect(cells[4]).to.equal('1');
      expect(res.text).to.not.include('?x=<b>');
    });

    it('is readable by a viewer, and shows nothing of another tenant', async () => {
      const viewer = await addTeamMember(testEnv().app, owner, 'client_viewer');
      const seen = await viewer.agent.get('/app/links');
      expect(seen.status).to.equal(200);
      expect(seen.text).to.include(`short-link-${code}`);

      const ownerB = await loginAs(testEnv().app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
      const other = await ownerB.agent.get('/app/links');
      expect(other.status).to.equal(200);
      expect(other.text).to.not.include(`short-link-${code}`);
    });

    it('sends an anonymous visitor to the login page', async () => {
      const res = await supertest(testEnv().app).get('/app/links');
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal('/login?next=%2Fapp%2Flinks');
    });
  });
});
