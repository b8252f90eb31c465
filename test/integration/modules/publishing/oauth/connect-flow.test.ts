import { expect } from 'chai';
import { testEnv } from '../../../../support/root-hooks.js';
import { EMULATED_LINKEDIN_MEMBER, EMULATED_X_USER, startSocialEmulator, type SocialEmulator } from '../../../../support/social-emulator/linkedin-x.js';
import { createTenant } from '../../../../support/tenants.js';
import { session } from '../../calendar/approval-support.js';
import { configureEmulatorApps, removeEmulatorApps } from './oauth-support.js';

type Session = Awaited<ReturnType<typeof session>>;

describe('Publishing: connecting a LinkedIn or X account with OAuth 2 (against the emulator)', function () {
  this.timeout(30_000);
  let emulator: SocialEmulator;
  let tenantId: string;
  let owner: Session;

  before(async () => {
    emulator = await startSocialEmulator();
    await configureEmulatorApps(emulator);
  });
  after(async () => {
    await removeEmulatorApps();
    await emulator.stop();
  });
  beforeEach(async () => {
    emulator.reset();
    tenantId = (await createTenant(testEnv().container.cradle.database, { name: 'Boulangerie OAuth' })).id;
    owner = await session(tenantId, 'client_owner', 'Claire Martin');
  });

  const db = () => testEnv().container.cradle;
  const accounts = () => db().database.forTenant(tenantId, (trx) => trx('channelAccounts').where({ tenantId }).orderBy('displayName'));

  /** Follows the redirect to the emulator's consent screen; returns the callback path (with code and state). */
  async function consent(agent: Session['agent'], channel: string): Promise<{ authorize: URL; callback: string }> {
    const start = await agent.get(`/app/channels/connect/${channel}`);
    expect(start.status, start.text).to.equal(303);
    const authorize = new URL(start.headers.location);
    const answer = await fetch(authorize, { redirect: 'manual' });
    expect(answer.status).to.equal(302);
    const back = new URL(answer.headers.get('location')!);
    return { authorize, callback: back.pathname + back.search };
  }

  it('LinkedIn: button, consent, callback → one account stored with its tokens encrypted', async () => {
    const page = await owner.agent.get('/app/channels');
    expect(page.text).to.include('href="/app/channels/connect/linkedin"');
    expect(page.text).to.include('Se connecter avec LinkedIn');
    expect(page.text).to.not.include('href="/app/channels/connect/facebook"'); // no platform app for Facebook here

    const { authorize, callback } = await consent(owner.agent, 'linkedin');
    expect(authorize.origin + authorize.pathname).to.equal(`${emulator.url}/linkedin/oauth/v2/authorization`);
    expect(authorize.searchParams.get('client_id')).to.equal(emulator.clients.linkedin.clientId);
    expect(authorize.searchParams.get('scope')).to.include('w_member_social');
    expect(authorize.searchParams.get('redirect_uri')).to.match(/^http:\/\/127\.0\.0\.1:\d+\/app\/channels\/callback\/linkedin$/);
    expect(authorize.searchParams.get('state')).to.have.length.of.at.least(32);

    const done = await owner.agent.get(callback);
    expect(done.status).to.equal(303);
    expect(done.headers.location).to.equal('/app/channels');
    const list = await owner.agent.get('/app/channels');
    expect(list.text).to.include('Compte LinkedIn « Claire Martin » connecté.');

    const [account] = await accounts();
    expect(account).to.include({ channel: 'linkedin', externalAccountId: `urn:li:person:${EMULATED_LINKEDIN_MEMBER.sub}`, accountType: 'profile', displayName: 'Claire Martin', status: 'connected', sandbox: false });
    const [connector] = await db().database.asPlatform((trx) => trx('platformConnectors').where({ kind: 'linkedin', isDefault: true }));
    expect(account.platformConnectorId).to.equal(connector.id);
    expect(account.scopes).to.include('w_member_social');
    expect(account.tokenExpiresAt.getTime()).to.be.closeTo(Date.now() + 3600_000, 60_000);
    // the column holds an AES-GCM envelope, not the tokens
    const issued = emulator.calls.filter((c) => c.path === '/oauth/v2/accessToken');
    expect(issued).to.have.length(1);
    expect(account.credentialsEncrypted).to.match(/^v1\./);
    expect(account.credentialsEncrypted).to.not.match(/linkedin-(at|rt)-/);
    const credentials = JSON.parse(db().secretBox.open(account.credentialsEncrypted));
    expect(credentials.accessToken).to.match(/^linkedin-at-/);
    expect(credentials.refreshToken).to.match(/^linkedin-rt-/);
    expect(list.text).to.include('Claire Martin');
  });

  it('X: PKCE verifier checked by the emulator, account saved as the user', async () => {
    const { authorize, callback } = await consent(owner.agent, 'x');
    expect(authorize.pathname).to.equal('/x/i/oauth2/authorize');
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(authorize.searchParams.get('scope')!.split(' ')).to.include.members(['tweet.write', 'tweet.read', 'users.read', 'offline.access']);
    expect((await owner.agent.get(callback)).status).to.equal(303);
    const [account] = await accounts();
    expect(account).to.include({ channel: 'x', externalAccountId: EMULATED_X_USER.id, displayName: `${EMULATED_X_USER.name} (@${EMULATED_X_USER.username})`, sandbox: false });
    expect(emulator.calls.find((c) => c.path === '/2/oauth2/token')?.status).to.equal(200);
  });

  it('disconnecting erases the account’s tokens', async () => {
    const { callback } = await consent(owner.agent, 'x');
    await owner.agent.get(callback);
    const [account] = await accounts();
    expect(account.credentialsEncrypted).to.match(/^v1\./);
    const res = await owner.agent.post(`/app/channels/accounts/${account.id}/disconnect`).type('form').send({ _csrf: owner.csrf });
    expect(res.status).to.equal(303);
    const [after] = await accounts();
    expect(after).to.include({ status: 'revoked', credentialsEncrypted: null, tokenExpiresAt: null });
  });

  it('a callback whose state was not issued to this session, or is replayed, connects nothing', async () => {
    const { callback } = await consent(owner.agent, 'linkedin');
    const intruder = await session(tenantId, 'client_owner', 'Autre Session');
    const forged = await intruder.agent.get(callback);
    expect(forged.status).to.equal(303);
    expect((await intruder.agent.get('/app/channels')).text).to.include('La demande de connexion a expiré ou ne correspond pas à cette session');
    expect(await accounts()).to.have.length(0);

    expect((await owner.agent.get(callback)).status).to.equal(303);
    expect(await accounts()).to.have.length(1);
    await owner.agent.get(callback); // the same state a second time
    expect((await owner.agent.get('/app/channels')).text).to.include('La demande de connexion a expiré');
    expect(emulator.calls.filter((c) => c.path === '/oauth/v2/accessToken')).to.have.length(1);
  });

  it('a refusal on the network brings the user back with a clear message', async () => {
    emulator.denyNextAuthorization = true;
    const { callback } = await consent(owner.agent, 'x');
    expect(callback).to.include('error=access_denied');
    expect((await owner.agent.get(callback)).headers.location).to.equal('/app/channels');
    expect((await owner.agent.get('/app/channels')).text).to.include('La connexion a été refusée ou annulée sur le réseau');
    expect(await accounts()).to.have.length(0);
  });

  it('several accounts offered: the user picks which to connect (CSRF-protected form)', async () => {
    emulator.linkedinOrganizations = [
      { id: '90210', name: 'Boulangerie Martin SARL' },
      { id: '90211', name: 'Les Pains <script>alert(1)</script>' },
    ];
    const { callback } = await consent(owner.agent, 'linkedin');
    const back = await owner.agent.get(callback);
    expect(back.status).to.equal(303);
    const choose = await owner.agent.get(back.headers.location);
    expect(choose.status).to.equal(200);
    expect(choose.text).to.include('Quels comptes LinkedIn connecter ?');
    expect(choose.text).to.include('Les Pains &lt;script&gt;');
    expect(choose.text).to.include('value="urn:li:organization:90210"');
    expect(choose.text).to.not.include('linkedin-at-'); // tokens never reach the page
    expect(await accounts()).to.have.length(0);

    const noCsrf = await owner.agent.post(back.headers.location).type('form').send({ accounts: 'urn:li:organization:90210' });
    expect(noCsrf.status).to.equal(403);
    const none = await owner.agent.post(back.headers.location).type('form').send({ _csrf: owner.csrf });
    expect(none.status).to.equal(422);
    expect(none.text).to.include('Cochez au moins un compte.');

    const chosen = await owner.agent.post(back.headers.location).type('form').send({ _csrf: owner.csrf, accounts: ['urn:li:organization:90210', 'urn:li:organization:999'] });
    expect(chosen.status).to.equal(303);
    const saved = await accounts();
    expect(saved.map((a) => [a.externalAccountId, a.accountType, a.displayName])).to.deep.equal([['urn:li:organization:90210', 'organization', 'Boulangerie Martin SARL']]);
    // the choice is spent
    expect((await owner.agent.post(back.headers.location).type('form').send({ _csrf: owner.csrf, accounts: 'urn:li:organization:90211' })).status).to.equal(303);
    expect(await accounts()).to.have.length(1);
  });

  it('only members who manage publishing may connect; a network without a platform app says so', async () => {
    const editor = await session(tenantId, 'client_editor', 'Éric Rédacteur');
    expect((await editor.agent.get('/app/channels/connect/linkedin')).status).to.equal(403);
    expect((await editor.agent.get('/app/channels')).text).to.not.include('href="/app/channels/connect/linkedin"');

    const facebook = await owner.agent.get('/app/channels/connect/facebook');
    expect(facebook.headers.location).to.equal('/app/channels');
    expect((await owner.agent.get('/app/channels')).text).to.include('La connexion à ce réseau n’est pas encore configurée sur la plateforme.');
  });
});
