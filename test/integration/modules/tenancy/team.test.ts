import { expect } from 'chai';
import supertest from 'supertest';
import { testEnv } from '../../../support/root-hooks.js';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs } from '../../../support/http.js';
import { addTeamMember, membershipIdOf } from '../../../support/team.js';

describe('Team management and roles', () => {
  it('an owner invites a member who accepts, gets the role, and appears in the team', async () => {
    const app = testEnv().app;
    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    const editor = await addTeamMember(app, owner, 'client_editor');
    const page = await owner.agent.get('/app/team');
    expect(page.text).to.include(editor.email);
    const home = await editor.agent.get('/app');
    expect(home.status).to.equal(200);
    expect(home.text).to.include('Boulangerie Martin');
    expect(home.text).to.include('Rédacteur');
  });

  it('returns the team fragment alone to HTMX, and the whole page otherwise', async () => {
    const owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    const fragment = await owner.agent.get('/app/team').set('HX-Request', 'true');
    expect(fragment.text.trimStart()).to.match(/^<div id="team"/);
    expect(fragment.headers.vary).to.include('HX-Request');
    const page = await owner.agent.get('/app/team');
    expect(page.text).to.include('<!doctype html>');
  });

  it('keeps what was typed and explains the error when the invitation email is invalid', async () => {
    const owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    const res = await owner.agent.post('/app/team/invitations').type('form').send({ email: 'claire@', role: 'client_viewer', _csrf: owner.csrf });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('value="claire@"');
    expect(res.text).to.include("Cette adresse e-mail n&#39;est pas valide.");
  });

  it('a viewer can see the team but cannot invite, change roles or remove', async () => {
    const app = testEnv().app;
    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    const viewer = await addTeamMember(app, owner, 'client_viewer');
    expect((await viewer.agent.get('/app/team')).status).to.equal(200);
    const invite = await viewer.agent.post('/app/team/invitations').type('form').send({ email: 'x@example.com', role: 'client_owner', _csrf: viewer.csrf });
    expect(invite.status).to.equal(403);
    const team = await owner.agent.get('/app/team');
    const ownerMembership = membershipIdOf(team.text, DEMO_OWNER.email);
    const promote = await viewer.agent.post(`/app/team/${ownerMembership}/role`).type('form').send({ role: 'client_viewer', _csrf: viewer.csrf });
    expect(promote.status).to.equal(403);
    const remove = await viewer.agent.post(`/app/team/${ownerMembership}/remove`).type('form').send({ _csrf: viewer.csrf });
    expect(remove.status).to.equal(403);
  });

  it('an editor cannot manage the team', async () => {
    const app = testEnv().app;
    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    const editor = await addTeamMember(app, owner, 'client_editor');
    const res = await editor.agent.post('/app/team/invitations').type('form').send({ email: 'y@example.com', role: 'client_viewer', _csrf: editor.csrf });
    expect(res.status).to.equal(403);
  });

  it('an owner changes a role and removes a member, whose session ends at once', async () => {
    const app = testEnv().app;
    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    const member = await addTeamMember(app, owner, 'client_viewer');
    const id = membershipIdOf((await owner.agent.get('/app/team')).text, member.email);
    const changed = await owner.agent.post(`/app/team/${id}/role`).type('form').send({ role: 'client_editor', _csrf: owner.csrf });
    expect(changed.status).to.equal(200);
    expect((await member.agent.get('/app')).text).to.include('Rédacteur');
    const removed = await owner.agent.post(`/app/team/${id}/remove`).type('form').send({ _csrf: owner.csrf });
    expect(removed.status).to.equal(200);
    expect(removed.text).not.to.include(member.email);
    const after = await member.agent.get('/app');
    expect(after.status).to.equal(303);
  });

  it('the workspace keeps at least one owner', async () => {
    const owner = await loginAs(testEnv().app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    const selfId = membershipIdOf((await owner.agent.get('/app/team')).text, DEMO_OWNER_2.email);
    const demote = await owner.agent.post(`/app/team/${selfId}/role`).type('form').send({ role: 'client_viewer', _csrf: owner.csrf });
    expect(demote.status).to.equal(409);
    expect(demote.text).to.include('au moins un propriétaire');
    const remove = await owner.agent.post(`/app/team/${selfId}/remove`).type('form').send({ _csrf: owner.csrf });
    expect(remove.status).to.equal(409);
  });

  it('sends anonymous visitors to the login page and keeps non-admins out of /admin', async () => {
    const anon = await supertest(testEnv().app).get('/app/team');
    expect(anon.status).to.equal(303);
    expect(anon.headers.location).to.equal('/login?next=%2Fapp%2Fteam');
    const owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    expect((await owner.agent.get('/admin')).status).to.equal(403);
    expect((await owner.agent.get('/admin/tenants')).status).to.equal(403);
  });

  it('switches the interface language and remembers it on the user', async () => {
    const owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    await owner.agent.post('/locale').type('form').send({ locale: 'en', back: '/app', _csrf: owner.csrf });
    const page = await owner.agent.get('/app');
    expect(page.text).to.include('<html lang="en">');
    expect(page.text).to.include('Dashboard');
    const again = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    expect((await again.agent.get('/app')).text).to.include('<html lang="en">');
    await again.agent.post('/locale').type('form').send({ locale: 'fr', _csrf: again.csrf });
  });
});
