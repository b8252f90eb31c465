import crypto from 'node:crypto';
import type { Cradle } from '../../../../../src/container.js';
import type { Clock } from '../../../../../src/shared/clock.js';

/** A clock the test moves by hand. */
export class MovableClock implements Clock {
  private current = new Date();
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const tag = () => crypto.randomBytes(4).toString('hex');

/** A list with `count` subscribed contacts who gave e-mail consent; returns the list and the contacts. */
export async function listWithContacts(cradle: Cradle, tenantId: string, count: number): Promise<{ listId: string; contacts: { id: string; email: string }[] }> {
  const t = tag();
  return cradle.database.forTenant(tenantId, async (trx) => {
    const [list] = await trx('contactLists').insert({ tenantId, name: `Clients ${t}`, doubleOptIn: false }).returning('id');
    const contacts: { id: string; email: string }[] = [];
    for (let i = 0; i < count; i += 1) {
      const email = `lecteur.${t}.${i}@exemple.fr`;
      const [c] = await trx('contacts')
        .insert({ tenantId, email, firstName: `Lecteur ${i}`, emailConsent: true, emailConsentSource: 'form', emailConsentAt: new Date('2026-01-10T10:00:00Z'), emailConsentProof: 'Formulaire du site' })
        .returning('id');
      await trx('contactListMembers').insert({ tenantId, listId: list.id, contactId: c.id, status: 'subscribed', subscribedAt: new Date('2026-01-10T10:00:00Z') });
      contacts.push({ id: c.id, email });
    }
    return { listId: list.id, contacts };
  });
}

export const NEWSLETTER_BODY = [
  '## Les nouveautés de novembre',
  '',
  'Bonjour, notre **pain de saison** est arrivé. Découvrez [la carte](https://boulangerie.example/carte).',
  '',
  '- Fougasse aux olives',
  '- Brioche feuilletée',
].join('\n');

/** An approved newsletter content (status scheduled, calendar slot confirmed) whose current version holds `body`. */
export async function addNewsletterContent(
  cradle: Cradle,
  tenantId: string,
  options: { body?: string; subject?: string; preheader?: string; status?: string } = {},
): Promise<string> {
  const body = options.body ?? NEWSLETTER_BODY;
  return cradle.database.forTenant(tenantId, async (trx) => {
    const [content] = await trx('contents')
      .insert({ tenantId, channel: 'newsletter', status: options.status ?? 'scheduled', title: 'Titre interne de la newsletter', scheduledAt: new Date() })
      .returning('id');
    const meta = { subject: options.subject ?? 'Le pain de saison est là', preheader: options.preheader ?? 'Fougasse, brioche et nouveautés' };
    const [version] = await trx('contentVersions')
      .insert({ tenantId, contentId: content.id, number: 1, body, meta: JSON.stringify(meta), source: 'edit', charCount: body.length })
      .returning('id');
    await trx('contents').where({ id: content.id }).update({ currentVersionId: version.id });
    await trx('calendarSlots').insert({ tenantId, contentId: content.id, channel: 'newsletter', startsAt: new Date(), status: 'confirmed', source: 'manual' });
    return content.id;
  });
}

export function recipientRows(cradle: Cradle, tenantId: string, newsletterId: string) {
  return cradle.database.forTenant(tenantId, (trx) => trx('newsletterRecipients').where({ tenantId, newsletterId }).orderBy('email'));
}

export function newsletterRow(cradle: Cradle, tenantId: string, newsletterId: string) {
  return cradle.database.forTenant(tenantId, (trx) => trx('newsletters').where({ tenantId, id: newsletterId }).first());
}
