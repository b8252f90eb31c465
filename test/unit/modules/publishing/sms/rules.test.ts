import { expect } from 'chai';
import {
  DEFAULT_PRICE_PER_SEGMENT_MICROS,
  DEFAULT_STOP_MENTION,
  ensureCompliantText,
  isAllowedSendTime,
  nextAllowedSendTime,
  senderIdFrom,
  stopKeywordOf,
} from '../../../../../src/modules/publishing/sms/rules.js';
import { twilioSignature } from '../../../../../src/modules/publishing/sms/twilio-provider.js';

const PARIS = 'Europe/Paris';
const at = (iso: string) => new Date(iso);

describe('SMS rules: quiet hours', () => {
  it('keeps an instant inside Monday–Saturday 08:00–20:00 local', () => {
    expect(nextAllowedSendTime(at('2026-12-24T18:59:00Z'), PARIS).toISOString()).to.equal('2026-12-24T18:59:00.000Z'); // Thu 19:59 Paris
    expect(nextAllowedSendTime(at('2026-11-28T07:00:00Z'), PARIS).toISOString()).to.equal('2026-11-28T07:00:00.000Z'); // Sat 08:00 Paris
  });

  it('checks each message at its own time around 20:00: 19:59 goes, 20:00 waits for the next allowed morning', () => {
    // A run that starts at 19:59 with several messages: each is checked at the moment it is sent.
    const sendTimes = ['2026-11-27T18:59:00Z', '2026-11-27T18:59:59.999Z', '2026-11-27T19:00:00Z', '2026-11-27T19:00:01Z']; // Fri 19:59 → 20:00:01 Paris
    const decided = sendTimes.map((t) => nextAllowedSendTime(at(t), PARIS).toISOString());
    expect(decided).to.deep.equal(['2026-11-27T18:59:00.000Z', '2026-11-27T18:59:59.999Z', '2026-11-28T07:00:00.000Z', '2026-11-28T07:00:00.000Z']);
  });

  it('moves an early morning to 08:00 the same day', () => {
    expect(nextAllowedSendTime(at('2026-11-28T06:59:00Z'), PARIS).toISOString()).to.equal('2026-11-28T07:00:00.000Z'); // Sat 07:59 Paris
  });

  it('skips Sundays: Saturday 20:00 goes to Monday 08:00', () => {
    expect(nextAllowedSendTime(at('2026-11-28T19:00:00Z'), PARIS).toISOString()).to.equal('2026-11-30T07:00:00.000Z');
    expect(isAllowedSendTime(at('2026-11-29T10:00:00Z'), PARIS)).to.equal(false); // Sunday 11:00
  });

  it('skips public holidays: Christmas Day and 14 July', () => {
    // Thu 24 Dec 20:00 → Fri 25 (Christmas) → Sat 26 08:00.
    expect(nextAllowedSendTime(at('2026-12-24T19:00:00Z'), PARIS).toISOString()).to.equal('2026-12-26T07:00:00.000Z');
    expect(isAllowedSendTime(at('2026-12-25T10:00:00Z'), PARIS)).to.equal(false);
    // Mon 13 July 21:00 → Tue 14 July (holiday) → Wed 15 08:00 CEST.
    expect(nextAllowedSendTime(at('2026-07-13T19:00:00Z'), PARIS).toISOString()).to.equal('2026-07-15T06:00:00.000Z');
    // Sat 23 May 20:30 → Sunday → Whit Monday 25 May → Tue 26 08:00.
    expect(nextAllowedSendTime(at('2026-05-23T18:30:00Z'), PARIS).toISOString()).to.equal('2026-05-26T06:00:00.000Z');
  });

  it('follows daylight saving time changes in the tenant zone', () => {
    // Sat 28 March 2026 20:30 CET; clocks go forward on Sunday 29: Monday 08:00 is CEST (06:00 UTC).
    expect(nextAllowedSendTime(at('2026-03-28T19:30:00Z'), PARIS).toISOString()).to.equal('2026-03-30T06:00:00.000Z');
    // Sat 24 October 2026 21:00 CEST; clocks go back on Sunday 25: Monday 08:00 is CET (07:00 UTC).
    expect(nextAllowedSendTime(at('2026-10-24T19:00:00Z'), PARIS).toISOString()).to.equal('2026-10-26T07:00:00.000Z');
  });

  it('uses the tenant time zone, not the server one', () => {
    // 07:00 in New York on Monday 30 November is 13:00 in Paris, but too early there.
    expect(nextAllowedSendTime(at('2026-11-30T12:00:00Z'), 'America/New_York').toISOString()).to.equal('2026-11-30T13:00:00.000Z');
    expect(nextAllowedSendTime(at('2026-11-30T12:00:00Z'), PARIS).toISOString()).to.equal('2026-11-30T12:00:00.000Z');
  });
});

describe('SMS rules: compliant text', () => {
  it('names the sender and appends the free STOP mention when missing', () => {
    const result = ensureCompliantText('Croissants -20 % ce samedi !', 'Boulangerie Martin');
    expect(result.text).to.equal(`Boulangerie Martin : Croissants -20 % ce samedi !\n${DEFAULT_STOP_MENTION}`);
    expect(result).to.include({ senderAdded: true, stopAdded: true });
    expect(result.info).to.include({ encoding: 'gsm7', segments: 1 });
    expect(result.cost).to.include({ segments: 1, recipients: 1, unitPriceMicros: DEFAULT_PRICE_PER_SEGMENT_MICROS, totalMicros: DEFAULT_PRICE_PER_SEGMENT_MICROS });
  });

  it('leaves a compliant text as it is (idempotent)', () => {
    const text = 'Boulangerie Martin : galettes des rois dès lundi. STOP au 36180';
    const result = ensureCompliantText(text, 'Boulangerie Martin');
    expect(result.text).to.equal(text);
    expect(result).to.include({ senderAdded: false, stopAdded: false });
    expect(ensureCompliantText(ensureCompliantText('Promo', 'Vélo Atelier').text, 'Vélo Atelier').text).to.equal(ensureCompliantText('Promo', 'Vélo Atelier').text);
  });

  it('adds a STOP with its number when the text only says "reply STOP"', () => {
    const result = ensureCompliantText('Vélo Atelier : révision à -30 %. Répondez STOP pour ne plus rien recevoir', 'Vélo Atelier');
    expect(result.stopAdded).to.equal(true);
    expect(result.text.endsWith(`\n${DEFAULT_STOP_MENTION}`)).to.equal(true);
  });

  it('counts UCS-2 segments and prices them with the connector price', () => {
    const long = 'Boulangerie Martin : ' + 'Nouveau pain au levain 🍞 '.repeat(4);
    const result = ensureCompliantText(long, 'Boulangerie Martin', { unitPriceMicros: 80_000, stopMention: 'STOP au 36173' });
    expect(result.info.encoding).to.equal('ucs2');
    expect(result.info.segments).to.equal(3);
    expect(result.text.endsWith('STOP au 36173')).to.equal(true);
    expect(result.cost.totalMicros).to.equal(3 * 80_000);
  });

  it('derives an alphanumeric sender id of at most 11 characters', () => {
    expect(senderIdFrom('Boulangerie Martin')).to.equal('Boulangerie');
    expect(senderIdFrom("Crêperie d'Yvonne")).to.equal('Creperie d');
    expect(senderIdFrom('123 456')).to.equal(null);
  });
});

describe('SMS rules: STOP replies', () => {
  it('recognises STOP, STOP SMS, ARRET, ARRÊT and UNSUBSCRIBE whatever the case and spacing', () => {
    for (const body of ['STOP', 'stop', ' Stop. ', 'STOP SMS', 'Arrêt', 'ARRET', 'unsubscribe']) expect(stopKeywordOf(body), body).to.not.equal(null);
  });

  it('does not take other replies for a STOP', () => {
    for (const body of ['stopper', 'Merci !', 'non stop', 'STOP les promos svp']) expect(stopKeywordOf(body), body).to.equal(null);
  });
});

describe('Twilio request signature', () => {
  it('matches the documented example (HMAC-SHA1 of the URL and the sorted parameters)', () => {
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).to.equal('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });
});
