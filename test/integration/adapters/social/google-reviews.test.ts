import crypto from 'node:crypto';
import { expect } from 'chai';
import { googleBusinessConnector } from '../../../../src/adapters/social/google/connector.js';
import { GoogleBusinessReviews } from '../../../../src/adapters/social/google/reviews.js';
import { PublishError, type ConnectedAccount } from '../../../../src/modules/publishing/ports.js';
import { GBP_ACCOUNT, GBP_LOCATIONS, MetaGoogleEmulator } from '../../../support/social-emulator/meta-google.js';

const REDIRECT = 'https://cadence.example/channels/oauth/callback';
const LOCATION = `${GBP_ACCOUNT}/${GBP_LOCATIONS[0]!.name}`;

async function rejection(promise: Promise<unknown>): Promise<PublishError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(PublishError);
    return err as PublishError;
  }
  throw new Error('expected a PublishError');
}

describe('Google Business Profile reviews adapter (over HTTP, against the emulator)', () => {
  const emulator = new MetaGoogleEmulator();
  let location: ConnectedAccount;

  before(async () => {
    await emulator.start();
    const state = crypto.randomBytes(8).toString('hex');
    const consent = await fetch(googleBusinessConnector.authorizationUrl(emulator.googleApp(), { state, redirectUri: REDIRECT, codeChallenge: crypto.createHash('sha256').update('verifier').digest('base64url') }), { redirect: 'manual' });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    const [found] = await googleBusinessConnector.connect(emulator.googleApp(), { code, redirectUri: REDIRECT, codeVerifier: 'verifier' });
    location = { id: crypto.randomUUID(), tenantId: crypto.randomUUID(), channel: 'google_business', externalAccountId: found!.externalAccountId, accountType: 'location', displayName: found!.displayName, sandbox: false, credentials: found!.credentials };
  });
  after(() => emulator.stop());
  beforeEach(() => emulator.reset());

  const reviews = () => new GoogleBusinessReviews(emulator.googleApp());

  it('lists every page of a location’s reviews (pageSize 50, pageToken) and maps stars, reviewer and reply', async () => {
    expect(location.externalAccountId).to.equal(LOCATION);
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 57; i++) emulator.seedReview(LOCATION, { reviewer: { displayName: `Client ${i}` }, starRating: 'FOUR', comment: `Avis ${i}`, createTime: new Date(start + i * 3_600_000) });
    emulator.seedReview(LOCATION, { reviewId: 'anon-1', reviewer: { displayName: 'Quelqu’un', isAnonymous: true }, starRating: 'TWO', createTime: new Date(start + 100 * 3_600_000) });
    const answered = emulator.seedReview(LOCATION, { reviewId: 'answered-1', reviewer: { displayName: 'Zoé' }, starRating: 'FIVE', comment: 'Parfait', createTime: new Date(start + 200 * 3_600_000) });
    answered.reviewReply = { comment: 'Merci Zoé !', updateTime: '2026-02-01T10:00:00Z' };
    emulator.seedReview(`${GBP_ACCOUNT}/${GBP_LOCATIONS[1]!.name}`, { reviewer: { displayName: 'Autre lieu' }, starRating: 'ONE', comment: 'Pas ici' });

    const listing = await reviews().listReviews(location);
    expect(listing.complete).to.equal(true);
    expect(listing.reviews).to.have.length(59);
    const listCalls = emulator.calls.filter((c) => c.path.endsWith('/reviews'));
    expect(listCalls).to.have.length(2);
    const anonymous = listing.reviews.find((r) => r.externalId === 'anon-1')!;
    expect(anonymous).to.deep.include({ authorName: '', rating: 2, text: '', reply: null });
    const withReply = listing.reviews.find((r) => r.externalId === 'answered-1')!;
    expect(withReply).to.deep.include({ authorName: 'Zoé', rating: 5, text: 'Parfait' });
    expect(withReply.reply).to.deep.equal({ text: 'Merci Zoé !', updatedAt: new Date('2026-02-01T10:00:00Z') });
    expect(listing.reviews.every((r) => r.authorName !== 'Autre lieu')).to.equal(true);
  });

  it('puts the owner’s reply (PUT …/reviews/{id}/reply) and reports a vanished review or a refused token', async () => {
    const review = emulator.seedReview(LOCATION, { reviewer: { displayName: 'Léa' }, starRating: 'THREE', comment: 'Correct' });
    const { repliedAt } = await reviews().replyToReview(location, review.reviewId, 'Merci Léa, à bientôt.');
    expect(review.reviewReply?.comment).to.equal('Merci Léa, à bientôt.');
    expect(repliedAt.toISOString()).to.equal(review.reviewReply!.updateTime);
    expect(emulator.calls.at(-1)).to.include({ method: 'PUT', status: 200 });

    expect((await rejection(reviews().replyToReview(location, 'nope', 'Merci'))).code).to.equal('reviewNotFound');
    expect((await rejection(reviews().replyToReview(location, review.reviewId, 'x'.repeat(4097)))).code).to.equal('contentRejected');
    emulator.fail({ api: 'google', status: 500, path: '/reply' });
    const temporary = await rejection(reviews().replyToReview(location, review.reviewId, 'Merci'));
    expect(temporary.kind).to.equal('temporary');
    const revoked = await rejection(reviews().listReviews({ ...location, credentials: { accessToken: 'google-google-unknown' } }));
    expect(revoked.code).to.equal('tokenRevoked');
  });
});
