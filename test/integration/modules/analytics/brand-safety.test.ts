import { expect } from 'chai';
import { banWord, createTeam, cradle, form, html, pendingContent } from '../calendar/approval-support.js';

const flagsOf = (tenantId: string, contentId: string) =>
  cradle().database.forTenant(tenantId, (trx) => trx('brandSafetyFlags').where({ tenantId, contentId }).orderBy('createdAt').select());

describe('analytics/brand safety: flags on generated contents and the team’s decisions', function () {
  this.timeout(60_000);

  it('lists the open flags with what matched and a link to the content; resolve and dismiss record who and when', async () => {
    const team = await createTeam();
    await banWord(team.tenantId, team.owner.userId, 'gratuit');
    const first = await pendingContent(team.tenantId, team.owner.userId, { body: 'Livraison gratuit pour tous ce week-end.', title: 'Promo week-end' });
    const second = await pendingContent(team.tenantId, team.owner.userId, { body: 'Un café gratuit offert.', title: 'Café' });
    const [flag] = await flagsOf(team.tenantId, first.id);
    const [other] = await flagsOf(team.tenantId, second.id);
    expect(flag).to.include({ status: 'open', kind: 'banned_word', subjectType: 'content_version' });

    const seen = await team.viewer.agent.get('/app/brand-safety');
    expect(seen.status).to.equal(200);
    expect(seen.text).to.include(`<mark>${html(flag.matchedText)}</mark>`).and.include(`href="/app/studio/${first.id}"`).and.include('Promo week-end');
    expect(seen.text).to.not.include(`action="/app/brand-safety/flags/${flag.id}"`);
    expect((await team.viewer.agent.post(`/app/brand-safety/flags/${flag.id}`).type('form').send(form(team.viewer, { action: 'resolve' }))).status).to.equal(403);

    const decide = (id: string, fields: Record<string, string>) => team.owner.agent.post(`/app/brand-safety/flags/${id}`).type('form').send(form(team.owner, fields));
    expect((await decide(flag.id, { action: 'resolve', note: 'Mot retiré du texte' })).headers.location).to.equal('/app/brand-safety');
    const row = (await flagsOf(team.tenantId, first.id))[0];
    expect(row).to.include({ status: 'resolved', resolvedBy: team.owner.userId, resolutionNote: 'Mot retiré du texte' });
    expect(row.resolvedAt).to.be.instanceOf(Date);

    // a decided flag stays as it was decided
    await decide(flag.id, { action: 'dismiss' });
    expect((await flagsOf(team.tenantId, first.id))[0].status).to.equal('resolved');
    const refused = await team.owner.agent.get('/app/brand-safety');
    expect(refused.text).to.include(html('Cette alerte a déjà été traitée.'));

    await decide(other.id, { action: 'dismiss', back: '/app/brand-safety?status=all' });
    expect((await flagsOf(team.tenantId, second.id))[0]).to.include({ status: 'dismissed', resolvedBy: team.owner.userId });
    const all = await team.owner.agent.get('/app/brand-safety?status=all');
    expect(all.text).to.include('Résolue par Claire Martin').and.include('Écartée par Claire Martin').and.include(html('Mot retiré du texte'));
    expect((await team.owner.agent.get('/app/brand-safety')).text).to.include(html('Aucune alerte ouverte'));

    await decide(other.id, { action: 'explode' });
    expect((await team.owner.agent.get('/app/brand-safety')).text).to.include(html('Action inconnue.'));
  });

  it('answers 404 for another tenant’s flag (and a malformed id), leaving it untouched', async () => {
    const team = await createTeam();
    const stranger = await createTeam();
    await banWord(team.tenantId, team.owner.userId, 'miracle');
    const content = await pendingContent(team.tenantId, team.owner.userId, { body: 'Une recette miracle.' });
    const [flag] = await flagsOf(team.tenantId, content.id);
    const res = await stranger.owner.agent.post(`/app/brand-safety/flags/${flag.id}`).type('form').send(form(stranger.owner, { action: 'dismiss' }));
    expect(res.status).to.equal(404);
    expect((await stranger.owner.agent.post('/app/brand-safety/flags/not-a-uuid').type('form').send(form(stranger.owner, { action: 'dismiss' }))).status).to.equal(404);
    expect((await flagsOf(team.tenantId, content.id))[0]).to.include({ status: 'open', resolvedBy: null });
    expect((await stranger.owner.agent.get('/app/brand-safety?status=all')).text).to.not.include(flag.id);
  });
});
