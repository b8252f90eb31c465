import { expect } from 'chai';
import { decodeBytes, decodeHtml, encodingFor, sniffMetaCharset } from '../../../../src/adapters/extraction/html-decode.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');

describe('decodeHtml (BOM, transport charset, <meta charset>, fallback)', () => {
  it('prefers a byte-order mark over everything', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<meta charset="iso-8859-1"><p>Crème</p>')]);
    expect(decodeHtml(bytes, 'iso-8859-1')).to.deep.include({ html: '<meta charset="iso-8859-1"><p>Crème</p>', encoding: 'utf-8', source: 'bom' });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<p>Été</p>', 'utf16le')]);
    expect(decodeHtml(utf16).html).to.equal('<p>Été</p>');
  });

  it('uses the transport charset, then the meta charset', () => {
    expect(decodeHtml(latin1('<p>Crème brûlée</p>'), 'ISO-8859-1')).to.deep.include({ html: '<p>Crème brûlée</p>', source: 'transport' });
    expect(decodeHtml(latin1('<meta charset=latin1><p>Crème</p>'))).to.deep.include({ html: '<meta charset=latin1><p>Crème</p>', source: 'meta' });
    const httpEquiv = latin1('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15"><p>\xa4</p>');
    expect(decodeHtml(httpEquiv).html).to.include('<p>€</p>');
  });

  it('ignores an unknown transport label and a meta charset inside a comment', () => {
    const bytes = latin1('<!-- <meta charset="koi8-r"> --><meta charset="windows-1252"><p>Crème</p>');
    expect(decodeHtml(bytes, 'no-such-charset')).to.deep.include({ encoding: 'windows-1252', source: 'meta' });
  });

  it('falls back to UTF-8 when valid, else windows-1252', () => {
    expect(decodeHtml(Buffer.from('<p>Crème</p>'))).to.deep.include({ html: '<p>Crème</p>', encoding: 'utf-8', source: 'default' });
    expect(decodeHtml(latin1('<p>Crème \x80</p>'))).to.deep.include({ html: '<p>Crème €</p>', encoding: 'windows-1252' });
  });

  it('decodes windows-1252 properly (Node 20 TextDecoder treats it as ISO-8859-1)', () => {
    expect(decodeBytes(Buffer.from([0x80, 0x92, 0x93, 0x94, 0x85, 0x9c, 0xe9]), 'windows-1252')).to.equal('€’“”…œé');
  });

  it('maps labels to WHATWG encodings; a declared UTF-16 in ASCII bytes means UTF-8', () => {
    expect(encodingFor('Latin1')).to.equal('windows-1252');
    expect(encodingFor('"utf8"')).to.equal('utf-8');
    expect(encodingFor('utf-16')).to.equal('utf-8');
    expect(encodingFor('x-user-defined')).to.equal('windows-1252');
    expect(encodingFor('bogus')).to.equal(undefined);
    expect(sniffMetaCharset(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><html>'))).to.equal('ISO-8859-1');
  });
});
