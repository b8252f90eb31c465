import { expect } from 'chai';
import { createTeam, cradle, form, html, pendingContent } from '../calendar/approval-support.js';

async function candidate(tenantId: string, contentId: string, scores = { score: 120, median: 40 }): Promise<string> {
  return cradle().database.forTenant(tenantId, async (trx) => {
    const [row] = await trx('evergreenCandidates')
      .insert({ tenantId, contentId, engagementScore: scores.score, tenantMedianScore: scores.median, windowStart: '2026-01-01', windowEnd: '2026-03-31' })
      .returning('id');
    return row.id as string;
  });
}

const candidateRow = (tenantId: string, id: string) => cradle().database.forTenant(tenantId, (trx) => trx('evergreenCandidates').where({ tenantId, id }).first());
const refreshedContents = (tenantId: string, candidateId: string) =>
  cradle().database.forTenant(tenantId, (trx) => trx('contents').where({ tenantId, origin: 'evergreen', originRefId: candidateId }).select());

describe('analytics/evergreen: refresh and re-propose, or dismiss', function () {
  this.timeout(60_000);

  it('shows the proposal with its score against the median and the original text', async () => {
    const team = await createTeam();
    const original = await pendingContent(team.tenantId, team.owner.userId, { title: 'Nos croissants', body: 'Le secret de nos croissants : un beurre AOP et 48 heures de repos.' });
    await candidate(team.tenantId, original.id);
    const page = await team.viewer.agent.get('/app/evergreen');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Nos croissants').and.include(html('Le secret de nos croissants')).and.include('Score d&#39;engagement 120 (votre médiane : 40)').and.include('× 3,0');
    expect(page.text).to.not.include('/refresh'); // a viewer cannot refresh
  });

  it('makes one new studio content on a double click, briefed with the original, and accepts the candidate with its refreshed version', async () => {
    const team = await createTeam();
    const original = await pendingContent(team.tenantId, team.owner.userId, { channel: 'facebook', title: 'Pain du jour', body: 'Chaque matin, notre pain au levain sort du four à 7 h.' });
    const id = await candidate(team.tenantId, original.id);
    const click = () => team.editor.agent.post(`/app/evergreen/${id}/refresh`).type('form').send(form(team.editor));
    const [a, b] = await Promise.all([click(), click()]);
    expect([a.status, b.status]).to.deep.equal([303, 303]);

    const made = await refreshedContents(team.tenantId, id);
    expect(made).to.have.length(1);
    const content = made[0];
    expect([a.headers.location, b.headers.location]).to.include(`/app/studio/${content.id}`);
    for (const location of [a.headers.location, b.headers.location]) expect(location).to.be.oneOf([`/app/studio/${content.id}`, '/app/evergreen']);
    expect(content).to.include({ channel: 'facebook', sourceContentId: original.id, createdBy: team.editor.userId });
    expect(content.brief).to.include('Rafraîchissement de « Pain du jour »').and.include('> Chaque matin, notre pain au levain sort du four à 7 h.');
    expect(content.currentVersionId).to.be.a('string');

    const row = await candidateRow(team.tenantId, id);
    expect(row).to.include({ status: 'accepted', decidedBy: team.editor.userId, refreshedVersionId: content.currentVersionId });
    expect(row.decidedAt).to.be.instanceOf(Date);

    // a later click opens the same content
    const again = await click();
    expect(again.headers.location).to.equal(`/app/studio/${content.id}`);
    expect(await refreshedContents(team.tenantId, id)).to.have.length(1);
    const studio = await team.editor.agent.get(again.headers.location);
    expect(studio.text).to.include(html('Ce contenu a déjà été rafraîchi'));

    // the same through the service, twice at once on another proposal
    const second = await pendingContent(team.tenantId, team.owner.userId, { body: 'Notre atelier pâtisserie, chaque samedi.' });
    const otherId = await candidate(team.tenantId, second.id);
    const results = await Promise.allSettled([
      cradle().evergreenService.refresh(team.tenantId, team.editor.userId, otherId),
      cradle().evergreenService.refresh(team.tenantId, team.editor.userId, otherId),
    ]);
    const created = results.filter((r) => r.status === 'fulfilled' && r.value.created);
    expect(created).to.have.length(1);
    expect(await refreshedContents(team.tenantId, otherId)).to.have.length(1);
  });

  it('dismisses a proposal (who and when); a dismissed one cannot be refreshed; another tenant’s is not found', async () => {
    const team = await createTeam();
    const stranger = await createTeam();
    const original = await pendingContent(team.tenantId, team.owner.userId, { body: 'Les galettes des rois arrivent.' });
    const id = await candidate(team.tenantId, original.id);

    expect((await stranger.editor.agent.post(`/app/evergreen/${id}/refresh`).type('form').send(form(stranger.editor))).status).to.equal(404);
    expect((await stranger.editor.agent.post(`/app/evergreen/${id}/dismiss`).type('form').send(form(stranger.editor))).status).to.equal(404);
    expect(await refreshedContents(team.tenantId, id)).to.have.length(0);
    expect((await candidateRow(team.tenantId, id)).status).to.equal('proposed');

    const dismissed = await team.editor.agent.post(`/app/evergreen/${id}/dismiss`).type('form').send(form(team.editor));
    expect(dismissed.headers.location).to.equal('/app/evergreen');
    const row = await candidateRow(team.tenantId, id);
    expect(row).to.include({ status: 'dismissed', decidedBy: team.editor.userId });
    expect(row.decidedAt).to.be.instanceOf(Date);

    const refused = await team.editor.agent.post(`/app/evergreen/${id}/refresh`).type('form').send(form(team.editor));
    expect(refused.headers.location).to.equal('/app/evergreen');
    expect(await refreshedContents(team.tenantId, id)).to.have.length(0);
    expect((await team.editor.agent.get('/app/evergreen')).text).to.include(html('Cette proposition a déjà été traitée.'));
  });
});
