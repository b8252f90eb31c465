import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import sharp from 'sharp';
import supertest from 'supertest';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, type Agent } from '../../../support/http.js';
import { addTeamMember } from '../../../support/team.js';
import {
  assetIdFrom,
  assetRows,
  cradle,
  createContent,
  mediaApp,
  MINIMAL_PDF,
  randomJpeg,
  randomPng,
  storedFiles,
  TENANT_A,
  TENANT_B,
  tenantIdBySlug,
} from './support.js';

type Session = { agent: Agent; csrf: string };

function upload(session: Session, data: Buffer, filename: string, htmx = false) {
  const req = session.agent.post('/app/media').set('X-CSRF-Token', session.csrf).attach('file', data, filename);
  return htmx ? req.set('HX-Request', 'true') : req;
}

/** Binary body as a Buffer, whatever the content type. */
function binary(req: supertest.Test) {
  return req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}

describe('Media library', function () {
  this.timeout(60_000);
  let owner: Session;
  let ownerB: Session;
  let tenantA: string;
  let tenantB: string;

  before(async () => {
    const app = mediaApp();
    owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    ownerB = await loginAs(app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    tenantA = await tenantIdBySlug(TENANT_A);
    tenantB = await tenantIdBySlug(TENANT_B);
  });

  describe('upload', () => {
    it('stores a PNG by its content, lists it, and serves its thumbnail and file with safe headers', async () => {
      const png = await randomPng(640, 480);
      const res = await upload(owner, png, 'vitrine-été.png');
      expect(res.status).to.equal(303);
      const id = assetIdFrom(res.headers.location);
      const [row] = await assetRows(tenantA, { id });
      expect(row).to.include({ kind: 'image', mimeType: 'image/png', width: 640, height: 480, originalFilename: 'vitrine-été.png', title: 'vitrine été' });
      expect(Number(row.sizeBytes)).to.equal(png.length);
      expect(row.sha256).to.equal(crypto.createHash('sha256').update(png).digest('hex'));
      expect(row.storageKey).to.match(new RegExp(`^${tenantA}/${id}/original\\.png$`));
      expect(storedFiles(tenantA)).to.include.members([`${id}/original.png`, `${id}/thumbnail.webp`]);

      const detail = await owner.agent.get(`/app/media/${id}`);
      expect(detail.status).to.equal(200);
      expect(detail.text).to.include('a été ajouté à la médiathèque');

      const list = await owner.agent.get('/app/media');
      expect(list.status).to.equal(200);
      expect(list.text).to.include(`id="media-card-${id}"`);
      expect(list.text).to.include('vitrine-été.png');
      expect(list.text).to.include(`/app/media/${id}/thumbnail`);

      const thumb = await binary(owner.agent.get(`/app/media/${id}/thumbnail`));
      expect(thumb.status).to.equal(200);
      expect(thumb.headers['content-type']).to.equal('image/webp');
      expect(thumb.headers['x-content-type-options']).to.equal('nosniff');
      expect(thumb.headers['cache-control']).to.match(/^private/);
      const meta = await sharp(thumb.body as Buffer).metadata();
      expect(meta.format).to.equal('webp');
      expect([meta.width, meta.height]).to.deep.equal([400, 300]);

      const file = await binary(owner.agent.get(`/app/media/${id}/file`));
      expect(file.status).to.equal(200);
      expect(file.headers['content-type']).to.equal('image/png');
      expect(file.headers['x-content-type-options']).to.equal('nosniff');
      expect(file.headers['cache-control']).to.match(/^private/);
      expect(file.headers['content-disposition']).to.equal(`inline; filename="vitrine-ete.png"; filename*=UTF-8''vitrine-%C3%A9t%C3%A9.png`);
      expect(Buffer.compare(file.body as Buffer, png)).to.equal(0);

      const download = await owner.agent.get(`/app/media/${id}/file?download=1`);
      expect(download.headers['content-disposition']).to.match(/^attachment; /);
      const again = await owner.agent.get(`/app/media/${id}/file`).set('If-None-Match', file.headers.etag);
      expect(again.status).to.equal(304);
    });

    it('applies the EXIF orientation and strips EXIF and GPS from the thumbnail of a JPEG', async () => {
      const jpeg = await sharp(await randomJpeg(600, 300))
        .withMetadata({ orientation: 6 })
        .withExif({ IFD0: { Copyright: 'Boulangerie Martin' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '47/1 13/1 0/1' } })
        .jpeg()
        .toBuffer();
      const source = await sharp(jpeg).metadata();
      expect(source.orientation).to.equal(6);
      expect(source.exif?.toString('latin1')).to.include('Boulangerie Martin');
      const res = await upload(owner, jpeg, 'IMG_0001.JPG');
      expect(res.status).to.equal(303);
      const id = assetIdFrom(res.headers.location);
      const [row] = await assetRows(tenantA, { id });
      expect(row).to.include({ mimeType: 'image/jpeg', width: 300, height: 600 });
      const thumb = await binary(owner.agent.get(`/app/media/${id}/thumbnail`));
      const meta = await sharp(thumb.body as Buffer).metadata();
      expect([meta.width, meta.height]).to.deep.equal([200, 400]);
      expect(meta.exif).to.equal(undefined);
      expect(meta.orientation).to.equal(undefined);
      expect(meta.xmp).to.equal(undefined);
    });

    it('accepts a PDF (no thumbnail) and serves it as a PDF', async () => {
      const pdf = fs.readFileSync(MINIMAL_PDF);
      const res = await upload(owner, pdf, `brochure-${crypto.randomBytes(3).toString('hex')}.pdf`);
      // the corpus PDF may already be there from another test: a duplicate also lands on its page
      expect(res.status).to.equal(303);
      const id = assetIdFrom(res.headers.location);
      const [row] = await assetRows(tenantA, { id });
      expect(row).to.include({ kind: 'pdf', mimeType: 'application/pdf', thumbnailKey: null, width: null });
      expect((await owner.agent.get(`/app/media/${id}/thumbnail`)).status).to.equal(404);
      const file = await binary(owner.agent.get(`/app/media/${id}/file`));
      expect(file.status).to.equal(200);
      expect(file.headers['content-type']).to.equal('application/pdf');
      expect(Buffer.compare(file.body as Buffer, pdf)).to.equal(0);
      const list = await owner.agent.get('/app/media?kind=pdf');
      expect(list.text).to.include(`id="media-card-${id}"`);
    });

    it('refuses a 0-byte file with a clear message, and stores nothing', async () => {
      const before = { files: storedFiles(tenantA).length, rows: (await assetRows(tenantA)).length };
      const res = await upload(owner, Buffer.alloc(0), 'vide.png');
      expect(res.status).to.equal(422);
      expect(res.text).to.include('Ce fichier est vide (0 octet)');
      expect(res.text).to.include('id="media-library"');
      expect({ files: storedFiles(tenantA).length, rows: (await assetRows(tenantA)).length }).to.deep.equal(before);
    });

    it('refuses random bytes named x.pdf and an .exe renamed .pdf: "type de fichier non pris en charge"', async () => {
      const before = { files: storedFiles(tenantA).length, rows: (await assetRows(tenantA)).length };
      const random = await upload(owner, crypto.randomBytes(4096), 'x.pdf');
      expect(random.status).to.equal(422);
      expect(random.text.toLowerCase()).to.include('type de fichier non pris en charge');
      const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), crypto.randomBytes(2048)]);
      const renamed = await upload(owner, exe, 'facture.pdf', true);
      expect(renamed.status).to.equal(422);
      expect(renamed.text.trimStart()).to.match(/^<div id="media-library">/);
      expect(renamed.text.toLowerCase()).to.include('type de fichier non pris en charge');
      const html = await upload(owner, Buffer.from('<html><script>alert(1)</script></html>'), 'photo.png');
      expect(html.status).to.equal(422);
      expect({ files: storedFiles(tenantA).length, rows: (await assetRows(tenantA)).length }).to.deep.equal(before);
    });

    it('refuses a 50 MB image before storing anything (413, clear message, no file, no row)', async () => {
      const before = { files: storedFiles(tenantA), rows: (await assetRows(tenantA)).length };
      const big = Buffer.concat([await randomPng(), crypto.randomBytes(50 * 1024 * 1024)]);
      const res = await upload(owner, big, 'enorme.png');
      expect(res.status).to.equal(413);
      expect(res.text).to.include('Fichier trop volumineux (50 Mo)');
      expect(res.text).to.include('25 Mo');
      expect(storedFiles(tenantA)).to.deep.equal(before.files);
      expect((await assetRows(tenantA)).length).to.equal(before.rows);
      // to HTMX: the message as an alert (shown in the live region)
      const hx = await upload(owner, big, 'enorme.png', true);
      expect(hx.status).to.equal(413);
      expect(hx.text).to.match(/^<div class="alert alert-error" role="alert">Fichier trop volumineux/);
    });

    it('dedupes by sha256 per tenant: the same file twice gives the existing asset', async () => {
      const png = await randomPng();
      const first = await upload(owner, png, 'logo.png');
      const id = assetIdFrom(first.headers.location);
      const second = await upload(owner, png, 'logo-copie.png');
      expect(second.status).to.equal(303);
      expect(assetIdFrom(second.headers.location)).to.equal(id);
      const page = await owner.agent.get(second.headers.location);
      expect(page.text).to.include('déjà dans la médiathèque');
      const sha = crypto.createHash('sha256').update(png).digest('hex');
      expect(await assetRows(tenantA, { sha256: sha })).to.have.length(1);
      expect(storedFiles(tenantA).filter((f) => f.startsWith(id))).to.have.length(2);
      // HTMX: the library fragment, with the notice and the existing asset open
      const hx = await upload(owner, png, 'logo.png', true);
      expect(hx.status).to.equal(200);
      expect(JSON.parse(hx.headers['hx-trigger'])).to.deep.equal({ 'media-uploaded': { id, duplicate: true } });
      expect(hx.text).to.include(`data-asset-id="${id}"`);
      // another tenant uploading the same bytes gets its own asset
      const other = await upload(ownerB, png, 'logo.png');
      expect(assetIdFrom(other.headers.location)).not.to.equal(id);
    });

    it('a new upload to HTMX answers the library fragment with the asset open (201)', async () => {
      const res = await upload(owner, await randomPng(), 'nouveau.png', true);
      expect(res.status).to.equal(201);
      expect(res.text.trimStart()).to.match(/^<div id="media-library">/);
      const id = JSON.parse(res.headers['hx-trigger'])['media-uploaded'].id;
      expect(res.text).to.include(`id="media-card-${id}"`);
      expect(res.text).to.include(`data-asset-id="${id}"`);
    });
  });

  describe('isolation and roles', () => {
    let assetOfA: string;
    before(async () => {
      assetOfA = assetIdFrom((await upload(owner, await randomPng(), 'secret.png')).headers.location);
    });

    it("tenant B cannot fetch A's file, thumbnail or detail, nor change or delete it (404)", async () => {
      for (const path of [`/app/media/${assetOfA}`, `/app/media/${assetOfA}/file`, `/app/media/${assetOfA}/thumbnail`]) {
        const res = await ownerB.agent.get(path);
        expect(res.status, path).to.equal(404);
        expect(res.headers['content-type']).to.match(/text\/html/);
      }
      const del = await ownerB.agent.post(`/app/media/${assetOfA}/delete`).type('form').send({ _csrf: ownerB.csrf });
      expect(del.status).to.equal(404);
      const edit = await ownerB.agent.post(`/app/media/${assetOfA}`).type('form').send({ _csrf: ownerB.csrf, altText: 'pwned', tags: 'x' });
      expect(edit.status).to.equal(404);
      const suggest = await ownerB.agent.post(`/app/media/${assetOfA}/alt-text/suggest`).type('form').send({ _csrf: ownerB.csrf });
      expect(suggest.status).to.equal(404);
      const list = await ownerB.agent.get('/app/media?q=secret');
      expect(list.text).not.to.include(assetOfA);
      const [row] = await assetRows(tenantA, { id: assetOfA });
      expect(row).to.include({ altText: null });
      expect(storedFiles(tenantA)).to.include(`${assetOfA}/original.png`);
      expect(storedFiles(tenantB).some((f) => f.startsWith(assetOfA))).to.equal(false);
    });

    it('a malformed id is not found, and an anonymous visitor is sent to the login page', async () => {
      expect((await owner.agent.get('/app/media/not-a-uuid/file')).status).to.equal(404);
      const anonymous = await supertest(mediaApp()).get(`/app/media/${assetOfA}/file`);
      expect(anonymous.status).to.equal(303);
      expect(anonymous.headers.location).to.match(/^\/login\?next=/);
    });

    it('a viewer sees the library but cannot upload, edit or delete (403); an editor can upload', async () => {
      const app = mediaApp();
      const viewer = await addTeamMember(app, owner, 'client_viewer');
      const page = await viewer.agent.get('/app/media');
      expect(page.status).to.equal(200);
      expect(page.text).not.to.include('id="media-upload"');
      expect((await viewer.agent.get(`/app/media/${assetOfA}/thumbnail`)).status).to.equal(200);
      const before = storedFiles(tenantA).length;
      const res = await upload(viewer, await randomPng(), 'viewer.png');
      expect(res.status).to.equal(403);
      expect(storedFiles(tenantA).length).to.equal(before);
      expect((await viewer.agent.post(`/app/media/${assetOfA}/delete`).type('form').send({ _csrf: viewer.csrf })).status).to.equal(403);
      expect((await viewer.agent.post(`/app/media/${assetOfA}`).type('form').send({ _csrf: viewer.csrf, altText: 'x' })).status).to.equal(403);
      const editor = await addTeamMember(app, owner, 'client_editor');
      expect((await upload(editor, await randomPng(), 'editor.png')).status).to.equal(303);
    });
  });

  describe('browsing and editing', () => {
    let croissant: string;
    let vitrine: string;
    const marker = crypto.randomBytes(3).toString('hex');

    before(async () => {
      croissant = assetIdFrom((await upload(owner, await randomPng(), `croissant-${marker}.png`)).headers.location);
      vitrine = assetIdFrom((await upload(owner, await randomJpeg(), `vitrine-${marker}.jpg`)).headers.location);
    });

    it('edits tags (comma list) and alt text, then finds assets by search and by tag, in place for HTMX', async () => {
      const save = await owner.agent
        .post(`/app/media/${croissant}`)
        .type('form')
        .send({ _csrf: owner.csrf, title: 'Croissant doré', altText: `Croissant au beurre ${marker} sur un plateau`, tags: ` Viennoiserie, #matin ,viennoiserie, tag-${marker}` });
      expect(save.status).to.equal(303);
      const [row] = await assetRows(tenantA, { id: croissant });
      expect(row.tags).to.deep.equal(['viennoiserie', 'matin', `tag-${marker}`]);
      expect(row).to.include({ title: 'Croissant doré', altTextSuggested: false });

      const byAlt = await owner.agent.get(`/app/media?q=${encodeURIComponent(`beurre ${marker}`)}`);
      expect(byAlt.text).to.include(`media-card-${croissant}`);
      expect(byAlt.text).not.to.include(`media-card-${vitrine}`);
      const byName = await owner.agent.get(`/app/media?q=vitrine-${marker}`);
      expect(byName.text).to.include(`media-card-${vitrine}`);
      expect(byName.text).not.to.include(`media-card-${croissant}`);
      const byTagText = await owner.agent.get(`/app/media?q=tag-${marker}`);
      expect(byTagText.text).to.include(`media-card-${croissant}`);

      const byTag = await owner.agent.get(`/app/media?tag=tag-${marker}`).set('HX-Request', 'true');
      expect(byTag.status).to.equal(200);
      expect(byTag.text.trimStart()).to.match(/^<section id="media-results"/);
      expect(byTag.text).to.include(`media-card-${croissant}`);
      expect(byTag.text).not.to.include(`media-card-${vitrine}`);
      expect(byTag.headers.vary).to.include('HX-Request');
      const page = await owner.agent.get('/app/media');
      expect(page.text).to.include(`<option value="tag-${marker}"`);

      const images = await owner.agent.get(`/app/media?kind=image&q=${marker}`);
      expect(images.text).to.include(`media-card-${croissant}`).and.to.include(`media-card-${vitrine}`);
      const pdfs = await owner.agent.get(`/app/media?kind=pdf&q=${marker}`);
      expect(pdfs.text).not.to.include(`media-card-${croissant}`);
      // a wildcard typed by the user is a literal character
      const percent = await owner.agent.get('/app/media?q=%25%25%25');
      expect(percent.text).to.include('Aucun fichier ne correspond');
    });

    it('saving to HTMX returns the detail and refreshes the card out of band; bad input re-renders with 422', async () => {
      const res = await owner.agent
        .post(`/app/media/${vitrine}`)
        .set('HX-Request', 'true')
        .type('form')
        .send({ _csrf: owner.csrf, altText: 'Vitrine', tags: 'vitrine' });
      expect(res.status).to.equal(200);
      expect(res.text.trimStart()).to.match(/^<section id="media-detail"/);
      expect(res.text).to.include(`<li id="media-card-${vitrine}" class="media-card" data-kind="image" hx-swap-oob="true">`);
      const tooLong = await owner.agent
        .post(`/app/media/${vitrine}`)
        .set('HX-Request', 'true')
        .type('form')
        .send({ _csrf: owner.csrf, altText: 'x'.repeat(501), tags: 'a' });
      expect(tooLong.status).to.equal(422);
      expect(tooLong.text).to.include('ne doit pas dépasser 500 caractères');
      expect(tooLong.text).to.include('x'.repeat(501));
    });

    it('suggests an alt text through the gateway (offline provider) without saving it, in the tenant language', async () => {
      const res = await owner.agent.post(`/app/media/${croissant}/alt-text/suggest`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf });
      expect(res.status).to.equal(200);
      expect(res.text.trimStart()).to.match(/^<div id="alt-text"/);
      const suggestion = /<textarea[^>]*>([^<]+)<\/textarea>/.exec(res.text)?.[1];
      expect(suggestion).to.be.a('string').and.not.equal('');
      expect(suggestion).to.include('Croissant doré');
      expect(res.text).to.include('Suggestion de l&#39;IA');
      const [unchanged] = await assetRows(tenantA, { id: croissant });
      expect(unchanged.altText).to.equal(`Croissant au beurre ${marker} sur un plateau`);
      const calls = await cradle().database.forTenant(tenantA, (trx) => trx('aiCalls').where({ tenantId: tenantA, subjectType: 'media_asset', subjectId: croissant }).count('* as n'));
      expect(Number(calls[0].n)).to.be.greaterThan(0);

      // without JavaScript the button posts the whole form: the page comes back with what was typed and the suggestion
      const noJs = await owner.agent.post(`/app/media/${croissant}/alt-text/suggest`).type('form').send({ _csrf: owner.csrf, title: 'Croissant doré', tags: 'typé, à la main' });
      expect(noJs.status).to.equal(200);
      expect(noJs.text).to.include('<!doctype html>');
      expect(noJs.text).to.include('value="typé, à la main"');
      expect(noJs.text).to.include(`>${suggestion}</textarea>`);

      const text = suggestion!.replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/&quot;/g, '"');
      await owner.agent.post(`/app/media/${croissant}`).type('form').send({ _csrf: owner.csrf, altText: text, suggestion: text, tags: 'viennoiserie' });
      const [saved] = await assetRows(tenantA, { id: croissant });
      expect(saved).to.include({ altText: text, altTextSuggested: true });
      await owner.agent.post(`/app/media/${croissant}`).type('form').send({ _csrf: owner.csrf, altText: `${text} !`, tags: 'viennoiserie' });
      const [edited] = await assetRows(tenantA, { id: croissant });
      expect(edited.altTextSuggested).to.equal(false);
    });

    it('paginates (24 a page) with links that keep the filters', async () => {
      const tag = `page-${marker}`;
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) {
        const { asset } = await cradle().mediaService.upload(tenantA, { data: await randomPng(8, 8), filename: `p${i}.png` });
        ids.push(asset.id);
        await cradle().mediaService.update(tenantA, asset.id, { tags: [tag] });
      }
      const first = await owner.agent.get(`/app/media?tag=${tag}`);
      expect(first.text).to.include('25 fichiers');
      expect(first.text).to.include('Page 1 sur 2');
      expect(first.text).to.include(`href="/app/media?tag=${tag}&amp;page=2"`);
      const second = await owner.agent.get(`/app/media?tag=${tag}&page=2`).set('HX-Request', 'true');
      expect((second.text.match(/class="media-card"/g) ?? []).length).to.equal(1);
      expect(second.text).to.include(`media-card-${ids[0]}`); // oldest last
    });
  });

  describe('usage in contents', () => {
    it('the picker lists assets; choosing one records a usage; a used asset cannot be deleted', async () => {
      const id = assetIdFrom((await upload(owner, await randomPng(), 'reutilise.png')).headers.location);
      const contentId = await createContent(tenantA);
      const picker = await owner.agent.get(`/app/media/picker?contentId=${contentId}&kind=image`).set('HX-Request', 'true');
      expect(picker.status).to.equal(200);
      expect(picker.text.trimStart()).to.match(/^<section id="media-picker"/);
      expect(picker.text).to.include(`action="/app/media/${id}/attach"`);

      const attach = await owner.agent.post(`/app/media/${id}/attach`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf, contentId });
      expect(attach.status).to.equal(200);
      expect(JSON.parse(attach.headers['hx-trigger'])['media-attached']).to.include({ assetId: id, contentId });
      const again = await cradle().mediaService.attachToContent(tenantA, id, contentId);
      const usages = await cradle().database.forTenant(tenantA, (trx) => trx('mediaAssetUsages').where({ tenantId: tenantA, mediaAssetId: id }));
      expect(usages).to.have.length(1);
      expect(usages[0]).to.include({ contentId, usage: 'content', id: again.id });

      const detail = await owner.agent.get(`/app/media/${id}`);
      expect(detail.text).to.include('Utilisé dans 1 contenu');
      const del = await owner.agent.post(`/app/media/${id}/delete`).type('form').send({ _csrf: owner.csrf });
      expect(del.status).to.equal(409);
      expect(del.text).to.include('utilisé par 1 contenu');
      const hxDel = await owner.agent.post(`/app/media/${id}/delete`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf });
      expect(hxDel.status).to.equal(409);
      expect(hxDel.text).to.match(/^<div class="alert alert-error" role="alert">/);
      expect(await assetRows(tenantA, { id })).to.have.length(1);
      expect(storedFiles(tenantA)).to.include(`${id}/original.png`);

      // another tenant's content, or asset, is not found
      const contentOfB = await createContent(tenantB);
      expect((await owner.agent.post(`/app/media/${id}/attach`).type('form').send({ _csrf: owner.csrf, contentId: contentOfB })).status).to.equal(404);
      const assetOfB = assetIdFrom((await upload(ownerB, await randomPng(), 'b.png')).headers.location);
      expect((await owner.agent.post(`/app/media/${assetOfB}/attach`).type('form').send({ _csrf: owner.csrf, contentId })).status).to.equal(404);

      // once no content uses it, it can be deleted: row and files go
      await cradle().database.forTenant(tenantA, (trx) => trx('mediaAssetUsages').where({ tenantId: tenantA, mediaAssetId: id }).delete());
      const ok = await owner.agent.post(`/app/media/${id}/delete`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf });
      expect(ok.status).to.equal(200);
      expect(ok.text).to.include(`<li id="media-card-${id}" hx-swap-oob="delete"></li>`);
      expect(await assetRows(tenantA, { id })).to.have.length(0);
      expect(storedFiles(tenantA).some((f) => f.startsWith(id))).to.equal(false);
      expect((await owner.agent.get(`/app/media/${id}/file`)).status).to.equal(404);
    });
  });
});
