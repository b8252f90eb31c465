import crypto from 'node:crypto';
import { expect } from 'chai';
import sharp from 'sharp';
import {
  cleanFilename,
  contentDisposition,
  detectMediaType,
  downloadName,
  formatBytes,
  parseTags,
  titleFromFilename,
} from '../../../../src/modules/brand/media-domain.js';

describe('Media library rules', () => {
  it('recognises accepted types by their bytes only', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#c00' } }).png().toBuffer();
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#c00' } }).gif().toBuffer();
    const webp = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#c00' } }).webp().toBuffer();
    expect(await detectMediaType(png)).to.deep.include({ kind: 'image', mime: 'image/png', ext: 'png' });
    expect(await detectMediaType(gif)).to.deep.include({ kind: 'image', mime: 'image/gif' });
    expect(await detectMediaType(webp)).to.deep.include({ kind: 'image', mime: 'image/webp' });
    expect(await detectMediaType(Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'))).to.deep.include({ kind: 'pdf', ext: 'pdf' });
    const ftyp = (brand: string) => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from(`ftyp${brand}`), Buffer.alloc(4), Buffer.from(`${brand}isom`), Buffer.alloc(64)]);
    expect(await detectMediaType(ftyp('isom'))).to.deep.include({ kind: 'video', mime: 'video/mp4' });
    expect(await detectMediaType(ftyp('qt  '))).to.deep.include({ kind: 'video', mime: 'video/quicktime', ext: 'mov' });
    // refused: an executable, a zip, SVG (scriptable), HTML, random bytes, nothing
    expect(await detectMediaType(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), crypto.randomBytes(64)]))).to.equal(null);
    expect(await detectMediaType(Buffer.from('504b0304140000000800', 'hex'))).to.equal(null);
    expect(await detectMediaType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))).to.equal(null);
    expect(await detectMediaType(Buffer.from('<!doctype html><html></html>'))).to.equal(null);
    expect(await detectMediaType(crypto.randomBytes(256))).to.equal(null);
    expect(await detectMediaType(Buffer.alloc(0))).to.equal(null);
  });

  it('parses a comma list of tags', () => {
    expect(parseTags(' Pain, #Été ,pain,, viennoiserie\nvitrine   du  matin ')).to.deep.equal(['pain', 'été', 'viennoiserie', 'vitrine du matin']);
    expect(parseTags('')).to.deep.equal([]);
    expect(parseTags(['a', 'b,c'])).to.deep.equal(['a', 'b', 'c']);
  });

  it('keeps only a harmless base name from the uploaded name', () => {
    expect(cleanFilename('C:\\Users\\claire\\photo.png')).to.equal('photo.png');
    expect(cleanFilename('../../etc/passwd')).to.equal('passwd');
    expect(cleanFilename('a\u0000b\r\n.png')).to.equal('ab.png');
    expect(cleanFilename('..')).to.equal(null);
    expect(cleanFilename(undefined)).to.equal(null);
    expect(titleFromFilename('vitrine_de-noel.JPG')).to.equal('vitrine de noel');
  });

  it('builds a safe Content-Disposition, with the extension of the detected type', () => {
    expect(contentDisposition('inline', 'devis "final"; été.pdf')).to.equal(
      `inline; filename="devis _final__ ete.pdf"; filename*=UTF-8''devis%20%22final%22%3B%20%C3%A9t%C3%A9.pdf`,
    );
    expect(contentDisposition('attachment', 'a\r\nSet-Cookie: x.png')).not.to.match(/[\r\n]/);
    expect(downloadName({ id: 'x', title: '', originalFilename: 'facture.exe', mimeType: 'image/png' })).to.equal('facture.exe.png');
    expect(downloadName({ id: 'x', title: '', originalFilename: 'photo.JPEG', mimeType: 'image/jpeg' })).to.equal('photo.JPEG');
    expect(downloadName({ id: 'x', title: 'Plaquette', originalFilename: null, mimeType: 'application/pdf' })).to.equal('Plaquette.pdf');
  });

  it('formats sizes in the reader’s language', () => {
    expect(formatBytes(50 * 1024 * 1024, 'fr')).to.equal('50 Mo');
    expect(formatBytes(1536, 'en')).to.equal('1.5 KB');
    expect(formatBytes(10 * 1024 ** 3, 'fr')).to.equal('10 Go');
    expect(formatBytes(12, 'fr')).to.equal('12 o');
  });
});
