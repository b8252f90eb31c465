import { expect } from 'chai';
import { authorizeEndpoint, googleHost, tokenEndpoint } from '../../../../../src/adapters/social/google/api.js';

describe('Google Business Profile hosts', () => {
  it('uses Google’s hosts by default', () => {
    const app = { clientId: 'c', clientSecret: 's' };
    expect(tokenEndpoint(app)).to.equal('https://oauth2.googleapis.com/token');
    expect(googleHost(app, 'posts')).to.equal('https://mybusiness.googleapis.com');
    expect(authorizeEndpoint(app)).to.equal('https://accounts.google.com/o/oauth2/v2/auth');
  });

  it('maps every host under the override as a path prefix', () => {
    const app = { clientId: 'c', clientSecret: 's', apiBaseUrl: 'http://127.0.0.1:9/google/', authBaseUrl: 'http://127.0.0.1:9/auth' };
    expect(tokenEndpoint(app)).to.equal('http://127.0.0.1:9/google/oauth2.googleapis.com/token');
    expect(googleHost(app, 'information')).to.equal('http://127.0.0.1:9/google/mybusinessbusinessinformation.googleapis.com');
    expect(authorizeEndpoint(app)).to.equal('http://127.0.0.1:9/auth/o/oauth2/v2/auth');
  });
});
