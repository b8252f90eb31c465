import { expect } from 'chai';
import { redactSecretPath } from '../../../src/shared/http/html.js';

describe('shared/http redactSecretPath', () => {
  it('hides the bearer token of reviewer links, invitations and calendar feeds, and keeps the rest', () => {
    expect(redactSecretPath('/review/abc_DEF-123?x=1')).to.equal('/review/[secret]?x=1');
    expect(redactSecretPath('/review/abc/items/42/approve')).to.equal('/review/[secret]/items/42/approve');
    expect(redactSecretPath('/invitations/tok3n')).to.equal('/invitations/[secret]');
    expect(redactSecretPath('/calendar/feeds/s3cr3t.ics')).to.equal('/calendar/feeds/[secret]');
    expect(redactSecretPath('/u/signed.token-1')).to.equal('/u/[secret]');
    expect(redactSecretPath('/c/confirm/abc')).to.equal('/c/confirm/[secret]');
    expect(redactSecretPath('/c/k3y/pixel.gif?kind=lead')).to.equal('/c/[secret]/pixel.gif?kind=lead'); // conversion key
    expect(redactSecretPath('/webhooks/sms/brevo?token=abc&x=1')).to.equal('/webhooks/sms/brevo?token=[secret]&x=1');
  });

  it('leaves other URLs alone', () => {
    for (const url of ['/app/calendar/feeds', '/app/approvals', '/reviewers/x', '/']) expect(redactSecretPath(url)).to.equal(url);
  });
});
