import { expect } from 'chai';
import { firstLink, publicUrlOf } from '../../../../../src/adapters/social/meta/outgoing.js';

describe('outgoing media and links for Meta and Google', () => {
  it('takes the first link of a text without trailing punctuation', () => {
    expect(firstLink('Voir (https://go.example/a?b=1). Et https://x.example')).to.equal('https://go.example/a?b=1');
    expect(firstLink('pas de lien')).to.equal(undefined);
  });

  it('gives a public URL only when the media offers an http(s) one', async () => {
    const base = { mimeType: 'image/jpeg', altText: null, filename: 'a.jpg', read: async () => Buffer.alloc(0) };
    expect(await publicUrlOf(base)).to.equal(null);
    expect(await publicUrlOf({ ...base, publicUrl: async () => 'https://m.example/a.jpg' } as typeof base)).to.equal('https://m.example/a.jpg');
    expect(await publicUrlOf({ ...base, publicUrl: async () => 'javascript:alert(1)' } as typeof base)).to.equal(null);
  });
});
