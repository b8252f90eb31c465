import type { Knex } from 'knex';
import { DateTime } from 'luxon';

/**
 * Demo mode only: a campaign and a handful of contents for Boulangerie Martin in every state a client meets
 * (published, scheduled, awaiting approval, draft), on slots around today, so the studio, calendar and
 * approval queue have something to show. Skipped when the tenant already has contents.
 */
interface DemoContent {
  channel: string;
  status: 'draft' | 'pending_approval' | 'scheduled' | 'published';
  title: string;
  brief: string;
  body: string;
  /** Local slot: days from today and time in the tenant's zone. */
  day: number;
  time: string;
  campaign?: boolean;
}

const CONTENTS: DemoContent[] = [
  {
    channel: 'facebook',
    status: 'published',
    title: 'Le pain du jour',
    brief: 'Présenter le pain de campagne au levain, cuit chaque matin.',
    body: 'Notre pain de campagne au levain naturel sort du four chaque matin à 7 h. Croûte croustillante, mie alvéolée : passez le chercher tant qu’il est chaud !',
    day: -3,
    time: '12:30',
  },
  {
    channel: 'linkedin',
    status: 'scheduled',
    title: 'Nos apprentis',
    brief: 'Mettre en avant nos deux apprentis boulangers et la transmission du métier.',
    body: 'Transmettre le métier, c’est notre fierté.\n\nCette année, Léa et Karim nous ont rejoints en apprentissage. Levain, façonnage, cuisson : ils apprennent chaque geste aux côtés de Claire.\n\n#boulangerie #apprentissage #artisanat',
    day: 2,
    time: '08:30',
  },
  {
    channel: 'instagram',
    status: 'pending_approval',
    title: 'Galette des rois',
    brief: 'Annoncer le retour de la galette frangipane maison, à commander dès maintenant.',
    body: 'Elle revient ! 👑 Notre galette frangipane pur beurre, feuilletée à la main.\n\nCommandez-la en boutique ou par téléphone.\n\n#galettedesrois #frangipane #boulangerieartisanale',
    day: 1,
    time: '19:00',
    campaign: true,
  },
  {
    channel: 'sms',
    status: 'pending_approval',
    title: 'Rappel galette',
    brief: 'Rappeler aux clients fidèles de réserver leur galette pour le week-end.',
    body: 'Boulangerie Martin : reservez votre galette frangipane pour ce week-end, en boutique ou au 04 78 00 00 00.',
    day: 4,
    time: '10:00',
    campaign: true,
  },
  {
    channel: 'blog',
    status: 'draft',
    title: 'Comment conserver son pain au levain',
    brief: 'Article pratique : conserver le pain au levain plusieurs jours sans qu’il sèche.',
    body: 'Un pain au levain se garde trois à quatre jours s’il est bien conservé.\n\n## Dans un torchon, pas au réfrigérateur\n\nLe froid accélère le rassissement.\n\n## FAQ\n\n### Peut-on congeler du pain au levain ?\n\nOui, tranché, jusqu’à un mois.',
    day: 8,
    time: '09:00',
  },
];

export async function seed(knex: Knex): Promise<void> {
  const tenant = await knex('tenants').where({ slug: 'boulangerie-martin' }).first('id', 'timezone', 'locale');
  if (!tenant || (await knex('contents').where({ tenantId: tenant.id }).first('id'))) return;
  const owner = await knex('memberships as m')
    .join('users as u', 'u.id', 'm.userId')
    .join('roles as r', 'r.id', 'm.roleId')
    .where({ 'm.tenantId': tenant.id, 'r.code': 'client_owner' })
    .first('u.id', 'u.name');
  const today = DateTime.now().setZone(tenant.timezone).startOf('day');
  const [campaign] = await knex('campaigns')
    .insert({
      tenantId: tenant.id,
      name: 'Galette des rois',
      objective: 'Faire réserver les galettes avant l’Épiphanie',
      status: 'active',
      utmCampaign: 'galette-des-rois',
      color: '#c2410c',
      startsOn: today.toISODate(),
      endsOn: today.plus({ days: 30 }).toISODate(),
      createdBy: owner?.id ?? null,
      locale: tenant.locale,
    })
    .returning('id');

  for (const demo of CONTENTS) {
    const [hour, minute] = demo.time.split(':').map(Number);
    let slot = today.plus({ days: demo.day }).set({ hour, minute });
    if (demo.channel === 'sms' && slot.weekday === 7) slot = slot.plus({ days: 1 }); // no commercial SMS on Sundays
    const startsAt = slot.toJSDate();
    const [content] = await knex('contents')
      .insert({
        tenantId: tenant.id,
        channel: demo.channel,
        mode: 'semi',
        status: demo.status,
        title: demo.title,
        brief: demo.brief,
        campaignId: demo.campaign ? campaign.id : null,
        scheduledAt: startsAt,
        publishedAt: demo.status === 'published' ? startsAt : null,
        createdBy: owner?.id ?? null,
        locale: tenant.locale,
      })
      .returning('id');
    const [version] = await knex('contentVersions')
      .insert({
        tenantId: tenant.id,
        contentId: content.id,
        number: 1,
        title: demo.title,
        body: demo.body,
        meta: JSON.stringify({}),
        charCount: [...demo.body].length,
        source: 'edit',
        createdBy: owner?.id ?? null,
        brandSafetyStatus: 'ok',
        brandSafetyCheckedAt: new Date(),
        locale: tenant.locale,
      })
      .returning('id');
    await knex('contents').where({ id: content.id }).update({ currentVersionId: version.id });
    const slotStatus = demo.status === 'published' ? 'published' : demo.status === 'scheduled' ? 'confirmed' : 'proposed';
    await knex('calendarSlots').insert({ tenantId: tenant.id, contentId: content.id, channel: demo.channel, startsAt, status: slotStatus, source: 'optimal' });
    if (demo.status === 'scheduled' || demo.status === 'published') {
      await knex('approvals').insert({
        tenantId: tenant.id,
        contentId: content.id,
        contentVersionId: version.id,
        decision: 'approved',
        actorKind: 'user',
        decidedBy: owner?.id ?? null,
        actorName: owner?.name ?? '',
        locale: tenant.locale,
      });
    }
  }
}
