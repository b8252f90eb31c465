import { expect } from 'chai';
import {
  CHANNEL_GUIDANCE_FACTS,
  CHANNEL_ISSUE_PROBLEMS,
  CHANNEL_RULES,
  CHANNELS,
  channelGuidance,
  checkContent,
  countWords,
  findHashtags,
  findMentions,
  findPhoneNumbers,
  findStopMention,
  findUrls,
  isChannel,
  mentionsSender,
  xWeightedLength,
  type ContentCheck,
  type ContentInput,
} from '../../../../src/modules/studio/channels.js';
import { AppError } from '../../../../src/shared/errors.js';

const a = (n: number) => 'a'.repeat(n);
const codes = (check: ContentCheck) => check.issues.map((i) => i.code);
const errors = (check: ContentCheck) => check.issues.filter((i) => i.severity === 'error').map((i) => i.code);
const warnings = (check: ContentCheck) => check.issues.filter((i) => i.severity === 'warning').map((i) => i.code);
const issue = (check: ContentCheck, problem: string) => check.issues.find((i) => i.code === `studio.channelRules.${problem}`);
const words = (n: number) => Array.from({ length: n }, (_, i) => `mot${i}`).join(' ');
const tags = (n: number) => Array.from({ length: n }, (_, i) => `#tag${i}`).join(' ');
const ISSUE_KEYS = new Set(CHANNEL_ISSUE_PROBLEMS.map((p) => `studio.channelRules.${p}`));

/** Every check of this file goes through here, so every code it sees is a declared i18n key. */
function check(channel: string, input: ContentInput): ContentCheck {
  const result = checkContent(channel, input);
  for (const i of result.issues) expect(ISSUE_KEYS.has(i.code), i.code).to.equal(true);
  expect(result.ok).to.equal(result.issues.every((i) => i.severity === 'warning'));
  return result;
}

const SMS_OK = "Boulangerie Martin : -20% sur les éclairs ce samedi ! STOP au 36111";

describe('Channel rules', () => {
  describe('channels', () => {
    it('knows the eight channels and nothing else', () => {
      expect(CHANNELS).to.deep.equal(['linkedin', 'facebook', 'instagram', 'x', 'google_business', 'blog', 'newsletter', 'sms']);
      for (const c of CHANNELS) {
        expect(isChannel(c)).to.equal(true);
        expect(CHANNEL_RULES[c].channel).to.equal(c);
      }
      expect(isChannel('tiktok')).to.equal(false);
      expect(isChannel(undefined)).to.equal(false);
    });

    it('an unknown channel is a clear error', () => {
      expect(() => checkContent('myspace', { body: 'x' }))
        .to.throw(AppError)
        .with.property('code', 'studio.channelRules.unknownChannel');
      expect(() => channelGuidance('')).to.throw(AppError);
    });

    it('an empty or blank body is an error on every channel', () => {
      for (const c of CHANNELS) {
        expect(errors(check(c, { body: '  \n ' })), c).to.include('studio.channelRules.empty');
      }
    });
  });

  describe('LinkedIn (3000 characters)', () => {
    it('accepts 3000, refuses 3001', () => {
      expect(check('linkedin', { body: a(3000) })).to.include({ ok: true, length: 3000, limit: 3000, unit: 'chars' });
      const tooLong = check('linkedin', { body: a(3001) });
      expect(tooLong.ok).to.equal(false);
      expect(issue(tooLong, 'tooLong')).to.deep.equal({ code: 'studio.channelRules.tooLong', severity: 'error', params: { length: 3001, limit: 3000 } });
    });

    it('counts an emoji as 2 (UTF-16), so 2999 + 🚀 is over', () => {
      expect(check('linkedin', { body: a(2998) + '🚀' }).ok).to.equal(true);
      expect(check('linkedin', { body: a(2999) + '🚀' })).to.include({ ok: false, length: 3001 });
    });

    it('advises 3 to 5 hashtags', () => {
      expect(warnings(check('linkedin', { body: `Nouveau ! ${tags(5)}` }))).to.deep.equal([]);
      const many = check('linkedin', { body: `Nouveau ! ${tags(6)}` });
      expect(many.ok).to.equal(true);
      expect(issue(many, 'hashtagsAboveRecommended')?.params).to.deep.equal({ count: 6, recommendedMax: 5 });
    });
  });

  describe('Facebook (63206, ~500 advised)', () => {
    it('warns above 500 characters without blocking', () => {
      expect(check('facebook', { body: a(500) }).issues).to.deep.equal([]);
      const long = check('facebook', { body: a(501) });
      expect(long.ok).to.equal(true);
      expect(issue(long, 'aboveRecommendedLength')).to.deep.include({ severity: 'warning', params: { length: 501, recommendedMax: 500 } });
    });

    it('refuses beyond 63206 (and does not also warn about the advised length)', () => {
      expect(check('facebook', { body: a(63206) }).ok).to.equal(true);
      expect(codes(check('facebook', { body: a(63207) }))).to.deep.equal(['studio.channelRules.tooLong']);
    });
  });

  describe('Instagram (2200, 30 hashtags, 20 mentions, no clickable link)', () => {
    it('accepts 2200 characters, refuses 2201', () => {
      expect(check('instagram', { body: a(2200) }).ok).to.equal(true);
      expect(check('instagram', { body: a(2201) }).ok).to.equal(false);
    });

    it('allows 30 hashtags (with an advice), refuses 31', () => {
      const thirty = check('instagram', { body: `Nos viennoiseries ${tags(30)}` });
      expect(thirty.ok).to.equal(true);
      expect(warnings(thirty)).to.deep.equal(['studio.channelRules.hashtagsAboveRecommended']);
      const thirtyOne = check('instagram', { body: `Nos viennoiseries ${tags(31)}` });
      expect(thirtyOne.ok).to.equal(false);
      expect(issue(thirtyOne, 'tooManyHashtags')?.params).to.deep.equal({ count: 31, max: 30 });
      expect(check('instagram', { body: '#pain #viennoiserie #lyon #artisan' }).issues).to.deep.equal([]);
    });

    it('counts hashtags with accents and repeated ones, not #1 nor numbers', () => {
      expect(findHashtags('#Pâtisserie #fait_maison #Lyon #Lyon #1 n°#2 C#')).to.deep.equal(['#Pâtisserie', '#fait_maison', '#Lyon', '#Lyon']);
    });

    it('refuses more than 20 mentions; an e-mail address is not a mention', () => {
      const mentions = (n: number) => Array.from({ length: n }, (_, i) => `@ami${i}`).join(' ');
      expect(check('instagram', { body: `Merci ${mentions(20)} contact@boulangerie.fr` }).ok).to.equal(true);
      expect(issue(check('instagram', { body: `Merci ${mentions(21)}` }), 'tooManyMentions')?.params).to.deep.equal({ count: 21, max: 20 });
      expect(findMentions('écrivez à contact@boulangerie.fr ou @boulangerie.martin')).to.deep.equal(['@boulangerie.martin']);
    });

    it('warns that a link in a caption is not clickable', () => {
      const result = check('instagram', { body: 'Commandez sur https://boulangerie-martin.fr/commande' });
      expect(result.ok).to.equal(true);
      expect(issue(result, 'linkNotClickable')).to.deep.include({ severity: 'warning', params: { count: 1 } });
    });
  });

  describe('X (280 weighted, links 23)', () => {
    it('accepts 280 Latin characters, refuses 281', () => {
      expect(check('x', { body: a(280) })).to.include({ ok: true, length: 280, limit: 280, unit: 'weighted_chars' });
      expect(check('x', { body: a(281) })).to.include({ ok: false, length: 281 });
    });

    it('counts French accents, typographic quotes and dashes as 1 (but … U+2026 is outside the light ranges: 2)', () => {
      const text = 'Crêpes à l’ancienne — « maison »';
      expect(xWeightedLength(text)).to.equal(text.length).and.to.equal(32);
      expect(xWeightedLength('…')).to.equal(2);
      expect(xWeightedLength('é'.repeat(280))).to.equal(280);
    });

    it('counts CJK, € and other characters outside the light ranges as 2', () => {
      expect(xWeightedLength('日本語')).to.equal(6);
      expect(xWeightedLength('10 €')).to.equal(5);
      expect(check('x', { body: '漢'.repeat(140) }).ok).to.equal(true);
      expect(check('x', { body: '漢'.repeat(141) })).to.include({ ok: false, length: 282 });
    });

    it('counts every emoji sequence as 2: skin tone, family, flag, keycap, ❤️', () => {
      expect(xWeightedLength('😀')).to.equal(2);
      expect(xWeightedLength('👍🏽')).to.equal(2);
      expect(xWeightedLength('👨‍👩‍👧')).to.equal(2);
      expect(xWeightedLength('🇫🇷')).to.equal(2);
      expect(xWeightedLength('1️⃣')).to.equal(2);
      expect(xWeightedLength('❤️')).to.equal(2);
      expect(xWeightedLength('Bravo 🎉🎉')).to.equal(10);
    });

    it('counts every link as 23, however long', () => {
      const longUrl = `https://boulangerie-martin.fr/blog/${a(150)}?utm_source=x`;
      expect(xWeightedLength(longUrl)).to.equal(23);
      expect(xWeightedLength('http://a.fr')).to.equal(23);
      expect(xWeightedLength(`Lisez ${longUrl} !`)).to.equal(6 + 23 + 2);
      expect(check('x', { body: `${a(256)} ${longUrl}` })).to.include({ ok: true, length: 280 });
      expect(check('x', { body: `${a(257)} ${longUrl}` })).to.include({ ok: false, length: 281 });
    });

    it('counts a link without protocol (www., bare domain) as 23 too, but not an e-mail address', () => {
      expect(xWeightedLength('www.boulangerie-martin.fr/menu')).to.equal(23);
      expect(xWeightedLength('Voir boulangerie-martin.fr.')).to.equal(5 + 23 + 1);
      expect(xWeightedLength('a@b.fr')).to.equal(6);
    });

    it('normalises to NFC before counting (e + ◌́ counts 1)', () => {
      expect(xWeightedLength('e\u0301te\u0301')).to.equal(3);
    });

    it('advises 1 or 2 hashtags', () => {
      expect(warnings(check('x', { body: 'Ouvert dimanche #Lyon #boulangerie' }))).to.deep.equal([]);
      expect(warnings(check('x', { body: 'Ouvert dimanche #Lyon #boulangerie #pain' }))).to.deep.equal(['studio.channelRules.hashtagsAboveRecommended']);
    });
  });

  describe('link detection', () => {
    it('finds http(s), www. and bare-domain links and drops trailing punctuation', () => {
      expect(findUrls('Voir https://a.fr/x, www.b.fr. et boulangerie-martin.fr/menu !').map((u) => u.url)).to.deep.equal([
        'https://a.fr/x',
        'www.b.fr',
        'boulangerie-martin.fr/menu',
      ]);
      expect(findUrls('(https://fr.wikipedia.org/wiki/Pain_(aliment))').map((u) => u.url)).to.deep.equal(['https://fr.wikipedia.org/wiki/Pain_(aliment)']);
      expect(findUrls('« https://a.fr »').map((u) => u.url)).to.deep.equal(['https://a.fr']);
      expect(findUrls('écrivez à contact@boulangerie.fr, ou 3.5 kg, M.Dupont')).to.deep.equal([]);
    });

    it('a URL fragment is not a hashtag', () => {
      expect(findHashtags('https://a.fr/page#section #vrai')).to.deep.equal(['#vrai']);
    });
  });

  describe('Google Business Profile (1500, no phone number, link in the CTA button)', () => {
    it('accepts 1500 characters, refuses 1501', () => {
      expect(check('google_business', { body: a(1500) }).ok).to.equal(true);
      expect(check('google_business', { body: a(1501) }).ok).to.equal(false);
    });

    it('refuses French phone numbers in every usual format', () => {
      for (const phone of [
        '06 12 34 56 78',
        '0612345678',
        '06.12.34.56.78',
        '06-12-34-56-78',
        '01.23.45.67.89',
        '+33 6 12 34 56 78',
        '+33612345678',
        '+33 (0)6 12 34 56 78',
        '0033 6 12 34 56 78',
        '0 800 123 456',
      ]) {
        const result = check('google_business', { body: `Réservez au ${phone} dès aujourd’hui.` });
        expect(result.ok, phone).to.equal(false);
        expect(issue(result, 'phoneNumberNotAllowed')?.params, phone).to.deep.equal({ numbers: phone, count: 1 });
      }
    });

    it('refuses a foreign number and a tel: link', () => {
      expect(findPhoneNumbers('Bruxelles : +32 2 123 45 67')).to.deep.equal(['+32 2 123 45 67']);
      expect(check('google_business', { body: 'Appelez tel:+33612345678' }).ok).to.equal(false);
    });

    it('does not take dates, prices, postcodes, times or SIRET for phone numbers', () => {
      const body = 'Le 01.02.2024 de 09:00 à 18:30, 1 500 € de lots, 69001 Lyon, SIRET 123 456 789 00012, 12/03/2025, n° 36111.';
      expect(findPhoneNumbers(body)).to.deep.equal([]);
      expect(check('google_business', { body }).ok).to.equal(true);
    });

    it('advises putting the link in the CTA button and warns that hashtags do nothing', () => {
      const result = check('google_business', { body: 'Nouveau menu sur https://boulangerie-martin.fr #Lyon' });
      expect(result.ok).to.equal(true);
      expect(warnings(result)).to.deep.equal(['studio.channelRules.hashtagsIneffective', 'studio.channelRules.linkUseCtaButton']);
    });
  });

  describe('Blog article (title ≤ 60 advised, ≥ 300 words)', () => {
    it('requires a title and counts the body in words', () => {
      const result = check('blog', { body: words(300) });
      expect(result).to.include({ ok: false, length: 300, limit: null, unit: 'words' });
      expect(errors(result)).to.deep.equal(['studio.channelRules.titleMissing']);
      expect(check('blog', { title: 'Pain au levain : notre méthode', body: words(300) }).issues).to.deep.equal([]);
    });

    it('advises a title of at most 60 characters', () => {
      expect(check('blog', { title: a(60), body: words(300) }).issues).to.deep.equal([]);
      const long = check('blog', { title: a(61), body: words(300) });
      expect(long.ok).to.equal(true);
      expect(issue(long, 'titleTooLong')?.params).to.deep.equal({ length: 61, recommendedMax: 60 });
    });

    it('advises at least 300 words', () => {
      const short = check('blog', { title: 'Titre', body: words(299) });
      expect(short.ok).to.equal(true);
      expect(issue(short, 'tooFewWords')?.params).to.deep.equal({ words: 299, recommendedMin: 300 });
    });

    it('counts French words: elisions and hyphenated words once, HTML tags and punctuation not at all', () => {
      expect(countWords("L'atelier fait du sur-mesure : c’est « simple » !")).to.equal(6);
      expect(countWords('<h2>Le pain</h2><p>au <strong>levain</strong></p>')).to.equal(4);
      expect(countWords('')).to.equal(0);
    });

    it('does not count link addresses or e-mail addresses as words, only link texts', () => {
      expect(countWords('Voir [notre pain au levain](https://boulangerie-martin.fr/pain-au-levain "Le pain") ici.')).to.equal(6);
      expect(countWords('Infos sur https://www.example.fr/a/b-c?d=1 ou www.exemple.fr, écrivez à contact@boulangerie-martin.fr !')).to.equal(5);
    });
  });

  describe('Newsletter (subject ≤ 60 advised, preheader 40–130)', () => {
    const preheader = 'Découvrez nos nouveautés de saison et nos offres'; // 48
    it('requires a subject', () => {
      const result = check('newsletter', { body: 'Bonjour', preheader });
      expect(errors(result)).to.deep.equal(['studio.channelRules.subjectMissing']);
      expect(check('newsletter', { body: 'Bonjour', subject: 'Nos nouveautés de mars', preheader }).issues).to.deep.equal([]);
    });

    it('advises a subject of at most 60 characters', () => {
      expect(check('newsletter', { body: 'x', subject: a(60), preheader }).issues).to.deep.equal([]);
      expect(issue(check('newsletter', { body: 'x', subject: a(61), preheader }), 'subjectTooLong')?.params).to.deep.equal({ length: 61, recommendedMax: 60 });
    });

    it('advises a preheader between 40 and 130 characters', () => {
      const base = { body: 'x', subject: 'Sujet' };
      expect(warnings(check('newsletter', base))).to.deep.equal(['studio.channelRules.preheaderMissing']);
      expect(check('newsletter', { ...base, preheader: a(40) }).issues).to.deep.equal([]);
      expect(check('newsletter', { ...base, preheader: a(130) }).issues).to.deep.equal([]);
      expect(issue(check('newsletter', { ...base, preheader: a(39) }), 'preheaderTooShort')?.params).to.deep.equal({ length: 39, recommendedMin: 40 });
      expect(issue(check('newsletter', { ...base, preheader: a(131) }), 'preheaderTooLong')?.params).to.deep.equal({ length: 131, recommendedMax: 130 });
    });

    it('warns when Gmail would clip the message (over 102 KB)', () => {
      expect(check('newsletter', { body: a(102 * 1024), subject: 'S', preheader }).issues).to.deep.equal([]);
      const big = check('newsletter', { body: 'é'.repeat(60 * 1024), subject: 'S', preheader }); // 120 KB of UTF-8
      expect(issue(big, 'newsletterClipped')?.params).to.deep.equal({ kb: 120, maxKb: 102 });
    });
  });

  describe('SMS (segments, sender name, STOP)', () => {
    it('accepts a GSM-7 SMS naming the sender with a STOP number, and returns its segments', () => {
      const result = check('sms', { body: SMS_OK, senderName: 'Boulangerie Martin' });
      expect(result).to.include({ ok: true, length: SMS_OK.length, limit: 1530, unit: 'sms_units' });
      expect(result.issues).to.deep.equal([]);
      expect(result.sms).to.deep.equal({ encoding: 'gsm7', units: SMS_OK.length, segments: 1, perSegment: 160, remainingInSegment: 160 - SMS_OK.length, nonGsmChars: [] });
    });

    it('refuses an SMS without a STOP mention', () => {
      const result = check('sms', { body: 'Boulangerie Martin : -20% ce samedi !', senderName: 'Boulangerie Martin' });
      expect(result.ok).to.equal(false);
      expect(errors(result)).to.deep.equal(['studio.channelRules.smsStopMissing']);
    });

    it('refuses an SMS that does not name the sender', () => {
      const result = check('sms', { body: '-20% ce samedi ! STOP au 36111', senderName: 'Boulangerie Martin' });
      expect(result.ok).to.equal(false);
      expect(issue(result, 'smsSenderMissing')).to.deep.equal({ code: 'studio.channelRules.smsSenderMissing', severity: 'error', params: { senderName: 'Boulangerie Martin' } });
    });

    it('refuses when no sender name is known to check against', () => {
      expect(errors(check('sms', { body: SMS_OK }))).to.deep.equal(['studio.channelRules.smsSenderUnknown']);
      expect(errors(check('sms', { body: SMS_OK, senderName: '  ' }))).to.deep.equal(['studio.channelRules.smsSenderUnknown']);
    });

    it('matches the sender name ignoring case, accents and punctuation, as whole words', () => {
      expect(mentionsSender('CREPERIE D YVONNE : galettes a volonte', "Crêperie d'Yvonne")).to.equal(true);
      expect(mentionsSender('La crêperie d’Yvonne vous attend', "Crêperie d'Yvonne")).to.equal(true);
      expect(mentionsSender('Martinez & fils', 'Martin')).to.equal(false);
      expect(mentionsSender('anything', '!!')).to.equal(false);
    });

    it('recognises the usual STOP mentions', () => {
      for (const stop of ['STOP au 36111', 'Stop SMS: 36180', 'Stop SMS : 36180', 'STOP SMS au 36173', 'STOP 36111', 'stop au 38 100', 'STOP au +33 6 12 34 56 78']) {
        expect(findStopMention(`Promo. ${stop}`), stop).to.equal('with_number');
      }
      expect(findStopMention('Répondez STOP pour ne plus recevoir nos SMS')).to.equal('word_only');
      expect(findStopMention('Ouvert non-stop samedi, 2 rue Stophe')).to.equal('none');
      expect(findStopMention('Les stops de bus')).to.equal('none');
    });

    it('warns when STOP has no number to send it to', () => {
      const result = check('sms', { body: 'Boulangerie Martin : promo ! Répondez STOP pour vous désinscrire', senderName: 'Boulangerie Martin' });
      expect(result.ok).to.equal(true);
      expect(warnings(result)).to.deep.equal(['studio.channelRules.smsStopNumberMissing']);
    });

    it('warns that typographic characters force UCS-2 and says how many SMS replacing them would save', () => {
      const body = '« Boulangerie Martin » : aujourd’hui -20 % sur les éclairs… Rendez-vous au 12 rue de l’Église ! STOP au 36111';
      const result = check('sms', { body, senderName: 'Boulangerie Martin' });
      expect(result.ok).to.equal(true);
      expect(result.sms).to.include({ encoding: 'ucs2', segments: 2, perSegment: 67 });
      expect(result.limit).to.equal(670);
      expect(issue(result, 'smsUnicode')).to.deep.equal({
        code: 'studio.channelRules.smsUnicode',
        severity: 'warning',
        params: { chars: '« » ’ …', segments: 2, segmentsIfReplaced: 1 },
      });
      expect(warnings(result)).to.include('studio.channelRules.smsMultipleSegments');
    });

    it('warns when an emoji forces UCS-2 even if nothing can replace it', () => {
      const result = check('sms', { body: `${SMS_OK} 🥐`, senderName: 'Boulangerie Martin' });
      expect(issue(result, 'smsUnicode')?.params).to.deep.equal({ chars: '🥐', segments: 1, segmentsIfReplaced: 1 });
    });

    it('warns from 2 segments, refuses beyond 10', () => {
      const two = check('sms', { body: `${SMS_OK} ${a(160 - SMS_OK.length)}`, senderName: 'Boulangerie Martin' });
      expect(two.sms?.segments).to.equal(2);
      expect(issue(two, 'smsMultipleSegments')?.params).to.deep.equal({ segments: 2, recommendedMax: 1 });
      const ten = check('sms', { body: `${SMS_OK} ${a(1530 - SMS_OK.length - 1)}`, senderName: 'Boulangerie Martin' });
      expect(ten.sms?.segments).to.equal(10);
      expect(ten.ok).to.equal(true);
      const eleven = check('sms', { body: `${SMS_OK} ${a(1530 - SMS_OK.length)}`, senderName: 'Boulangerie Martin' });
      expect(eleven.sms?.segments).to.equal(11);
      expect(issue(eleven, 'smsTooManySegments')).to.deep.include({ severity: 'error', params: { segments: 11, max: 10 } });
    });

    it('counts the € as 2 septets in the SMS length', () => {
      const body = 'Boulangerie Martin : baguette à 1€. STOP au 36111';
      expect(check('sms', { body, senderName: 'Boulangerie Martin' })).to.include({ ok: true, length: body.length + 1 });
    });
  });

  describe('channelGuidance', () => {
    const FACT_KEYS = new Set(CHANNEL_GUIDANCE_FACTS.map((f) => `studio.channelGuidance.${f}`));
    const keys = (channel: string) => channelGuidance(channel).notes.map((n) => n.key.replace('studio.channelGuidance.', ''));

    it('gives every channel its limit, hashtag and link advice, with declared keys only', () => {
      for (const c of CHANNELS) {
        const g = channelGuidance(c);
        expect(g.channel).to.equal(c);
        expect(g.notes.length, c).to.be.at.least(2);
        for (const n of g.notes) expect(FACT_KEYS.has(n.key), n.key).to.equal(true);
        expect(g.notes.some((n) => n.key.startsWith('studio.channelGuidance.links')), c).to.equal(true);
      }
    });

    it('X: weighted limit and links counted 23', () => {
      const g = channelGuidance('x');
      expect(g).to.include({ limit: 280, unit: 'weighted_chars' });
      expect(g.links).to.deep.equal({ placement: 'text', clickable: true, countedAs: 23 });
      expect(g.notes).to.deep.include({ key: 'studio.channelGuidance.limitWeighted', params: { limit: 280, urlLength: 23 } });
      expect(keys('x')).to.deep.equal(['limitWeighted', 'hashtagsRecommended', 'linksFixedLength']);
    });

    it('Instagram: 2200, fold at 125, 3–5 hashtags advised, 30 at most, 20 mentions, link in bio', () => {
      const g = channelGuidance('instagram');
      expect(g).to.include({ limit: 2200, foldAt: 125 });
      expect(g.hashtags).to.deep.equal({ max: 30, recommendedMin: 3, recommendedMax: 5 });
      expect(keys('instagram')).to.deep.equal(['limit', 'foldAt', 'hashtagsRecommended', 'hashtagsMax', 'mentionsMax', 'linksNotClickable']);
    });

    it('Google Business Profile: CTA button, no phone numbers, hashtags useless', () => {
      expect(keys('google_business')).to.deep.equal(['limit', 'hashtagsIneffective', 'linksCtaButton', 'noPhoneNumbers']);
    });

    it('Facebook, LinkedIn, blog and newsletter', () => {
      expect(keys('facebook')).to.deep.equal(['limit', 'recommendedLength', 'hashtagsRecommended', 'linksClickable']);
      expect(keys('linkedin')).to.deep.equal(['limit', 'foldAt', 'hashtagsRecommended', 'linksClickable']);
      expect(keys('blog')).to.deep.equal(['linksClickable', 'titleLength', 'minWords']);
      expect(keys('newsletter')).to.deep.equal(['linksClickable', 'subjectLength', 'preheaderLength', 'gmailClip']);
    });

    it('SMS: segment sizes, maximum, mandatory mentions, emoji forcing Unicode', () => {
      const g = channelGuidance('sms');
      expect(g.emoji).to.deep.equal({ allowed: true, forcesUnicode: true });
      expect(keys('sms')).to.deep.equal(['linksShort', 'smsSegments', 'smsMaxSegments', 'smsMandatory', 'emojiForcesUnicode']);
      expect(g.notes.find((n) => n.key.endsWith('smsSegments'))?.params).to.deep.equal({ gsmSingle: 160, gsmConcatenated: 153, ucs2Single: 70, ucs2Concatenated: 67 });
    });
  });
});
