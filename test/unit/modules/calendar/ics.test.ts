import { expect } from 'chai';
import fc from 'fast-check';
import { buildIcs, escapeText, foldLine, formatUtc, icsStatusForSlot, unescapeText, unfoldLines, type IcsEvent } from '../../../../src/modules/calendar/ics.js';

const octets = (s: string) => Buffer.byteLength(s, 'utf8');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Physical lines of a feed (the final CRLF yields one empty string, dropped). */
function physicalLines(ics: string): string[] {
  expect(ics.endsWith('\r\n')).to.equal(true);
  return ics.slice(0, -2).split('\r\n');
}

/** Content lines after unfolding, as [name (with params), raw value]. */
function contentLines(ics: string): [string, string][] {
  return unfoldLines(ics)
    .split('\r\n')
    .filter(Boolean)
    .map((line) => {
      const i = line.indexOf(':');
      return [line.slice(0, i), line.slice(i + 1)];
    });
}

const LONG_SUMMARY =
  'Offre spéciale « Fête des pères » : -20 % sur les éclairs au café, les religieuses à l’ancienne et les crèmes brûlées ; réservez dès aujourd’hui, c’est déjà l’été ☀️🥐';

const event = (overrides: Partial<IcsEvent> = {}): IcsEvent => ({
  contentId: '0b6f4d0e-7c1a-4c5e-9a61-2f1b8f0c9d11',
  channel: 'linkedin',
  start: new Date('2026-03-24T07:30:00Z'),
  summary: 'LinkedIn — Nos nouveautés',
  ...overrides,
});

const calendar = (events: IcsEvent[]) => ({
  name: 'Cadence — Boulangerie Martin',
  timezone: 'Europe/Paris',
  generatedAt: new Date('2026-03-20T10:00:00.123Z'),
  events,
});

describe('iCalendar feed', () => {
  describe('escapeText', () => {
    it('escapes backslash, semicolon, comma and line breaks', () => {
      expect(escapeText('a\\b;c,d\ne')).to.equal('a\\\\b\\;c\\,d\\ne');
      expect(escapeText('un\r\ndeux\rtrois\nquatre')).to.equal('un\\ndeux\\ntrois\\nquatre');
      expect(escapeText('Prix : 3,50 € ; "à emporter"')).to.equal('Prix : 3\\,50 € \\; "à emporter"');
    });

    it('drops control characters not allowed in TEXT, keeps tabs', () => {
      expect(escapeText('a\u0000b\u0007c\td\u007f')).to.equal('abc\td');
    });

    it('round-trips through unescapeText', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme' }), (s) => {
          const clean = s.replace(/\r\n|\r/g, '\n').replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '');
          expect(unescapeText(escapeText(s))).to.equal(clean);
        }),
      );
    });
  });

  describe('foldLine', () => {
    it('leaves a 75-octet line alone and folds a 76-octet one', () => {
      const line75 = 'X'.repeat(75);
      expect(foldLine(line75)).to.equal(line75);
      expect(foldLine(`${line75}Y`)).to.equal(`${line75}\r\n Y`);
    });

    it('never splits a multi-byte character (a 2-octet é straddling the 75th octet moves to the next line)', () => {
      const line = `SUMMARY:${'é'.repeat(60)}`; // 8 + 120 octets; the 34th é would span octets 74–75… and 76
      const folded = foldLine(line).split('\r\n');
      expect(octets(folded[0])).to.equal(74);
      for (const l of folded) expect(octets(l)).to.be.at.most(75);
      for (const l of folded.slice(1)) expect(l.startsWith(' ')).to.equal(true);
      expect(unfoldLines(folded.join('\r\n'))).to.equal(line);
    });

    it('property: every physical line ≤ 75 octets, no broken character, unfolds to the original', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: fc.constantFrom('a', ' ', 'é', '’', '€', '🥐', '☀️', ';'), maxLength: 300 }),
            fc.string({ unit: 'binary', maxLength: 80 }),
          ),
          (s) => {
          const line = `DESCRIPTION:${s.replace(/[\r\n]/g, '')}`;
          const folded = foldLine(line);
          for (const l of folded.split('\r\n')) {
            expect(octets(l)).to.be.at.most(75);
            expect(LONE_SURROGATE.test(l)).to.equal(false);
          }
          expect(unfoldLines(folded)).to.equal(line);
          },
        ),
      );
    });
  });

  describe('buildIcs', () => {
    it('writes the VCALENDAR header and one VEVENT per item, with CRLF line endings only', () => {
      const ics = buildIcs(calendar([event(), event({ contentId: 'c2', channel: 'sms', start: new Date('2026-03-27T10:00:00Z'), summary: 'SMS' })]));
      expect(ics.startsWith('BEGIN:VCALENDAR\r\nPRODID:-//Cadence//Editorial calendar//FR\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\n')).to.equal(true);
      expect(ics.endsWith('END:VCALENDAR\r\n')).to.equal(true);
      expect(ics.replace(/\r\n/g, '')).to.not.match(/[\r\n]/);
      const lines = contentLines(ics);
      expect(lines).to.deep.include(['X-WR-CALNAME', 'Cadence — Boulangerie Martin']);
      expect(lines).to.deep.include(['X-WR-TIMEZONE', 'Europe/Paris']);
      expect(lines.filter(([k, v]) => k === 'BEGIN' && v === 'VEVENT')).to.have.length(2);
      expect(lines.filter(([k, v]) => k === 'END' && v === 'VEVENT')).to.have.length(2);
    });

    it('writes a VEVENT with a stable UID, UTC times, status, categories, URL and escaped text', () => {
      const ics = buildIcs(
        calendar([
          event({
            description: 'Brief : 3 idées, 1 appel à l’action;\nÀ valider avant jeudi.',
            url: 'https://app.cadence.test/studio/contents/0b6f4d0e-7c1a-4c5e-9a61-2f1b8f0c9d11',
            status: 'TENTATIVE',
            categories: ['Soldes, été'],
          }),
        ]),
      );
      const lines = contentLines(ics);
      const value = (name: string) => lines.find(([k]) => k === name)?.[1];
      expect(value('UID')).to.equal('0b6f4d0e-7c1a-4c5e-9a61-2f1b8f0c9d11@cadence');
      expect(value('DTSTAMP')).to.equal('20260320T100000Z');
      expect(value('DTSTART')).to.equal('20260324T073000Z');
      expect(value('DTEND')).to.equal('20260324T080000Z');
      expect(value('SUMMARY')).to.equal('LinkedIn — Nos nouveautés');
      expect(value('DESCRIPTION')).to.equal('Brief : 3 idées\\, 1 appel à l’action\\;\\nÀ valider avant jeudi.');
      expect(value('URL')).to.equal('https://app.cadence.test/studio/contents/0b6f4d0e-7c1a-4c5e-9a61-2f1b8f0c9d11');
      expect(value('STATUS')).to.equal('TENTATIVE');
      expect(value('CATEGORIES')).to.equal('linkedin,Soldes\\, été');
    });

    it('folds a long French summary with accents and emoji: ≤ 75 octets per line, unfolds back to the original', () => {
      const ics = buildIcs(calendar([event({ summary: LONG_SUMMARY, description: `${LONG_SUMMARY}\n${LONG_SUMMARY}` })]));
      const lines = physicalLines(ics);
      expect(lines.some((l) => l.startsWith(' '))).to.equal(true);
      for (const l of lines) {
        expect(octets(l), l).to.be.at.most(75);
        expect(LONE_SURROGATE.test(l)).to.equal(false);
        expect(Buffer.from(l, 'utf8').toString('utf8')).to.equal(l);
      }
      const summary = contentLines(ics).find(([k]) => k === 'SUMMARY')![1];
      expect(unescapeText(summary)).to.equal(LONG_SUMMARY);
      const description = contentLines(ics).find(([k]) => k === 'DESCRIPTION')![1];
      expect(unescapeText(description)).to.equal(`${LONG_SUMMARY}\n${LONG_SUMMARY}`);
    });

    it('is stable: same UIDs and same bytes whatever the input order; a moved item keeps its UID', () => {
      const a = event({ contentId: 'a1', start: new Date('2026-04-02T10:00:00Z') });
      const b = event({ contentId: 'b2', start: new Date('2026-04-01T10:00:00Z') });
      const c = event({ contentId: 'c3', start: new Date('2026-04-01T10:00:00Z') });
      const one = buildIcs(calendar([a, b, c]));
      expect(buildIcs(calendar([c, a, b]))).to.equal(one);
      expect(contentLines(one).filter(([k]) => k === 'UID').map(([, v]) => v)).to.deep.equal(['b2@cadence', 'c3@cadence', 'a1@cadence']);
      const moved = buildIcs(calendar([{ ...a, start: new Date('2026-04-09T10:00:00Z'), updatedAt: new Date('2026-03-21T08:00:00Z'), sequence: 1 }]));
      const lines = contentLines(moved);
      expect(lines).to.deep.include(['UID', 'a1@cadence']);
      expect(lines).to.deep.include(['DTSTAMP', '20260321T080000Z']);
      expect(lines).to.deep.include(['LAST-MODIFIED', '20260321T080000Z']);
      expect(lines).to.deep.include(['SEQUENCE', '1']);
    });

    it('omits a URL that is not absolute http(s), and refuses an event ending before it starts', () => {
      const ics = buildIcs(calendar([event({ url: 'javascript:alert(1)' }), event({ contentId: 'x', url: '/relative' })]));
      expect(contentLines(ics).some(([k]) => k === 'URL')).to.equal(false);
      expect(() => buildIcs(calendar([event({ end: new Date('2026-03-24T07:00:00Z') })]))).to.throw(RangeError);
    });

    it('writes an empty but valid calendar', () => {
      const ics = buildIcs(calendar([]));
      expect(ics).to.match(/^BEGIN:VCALENDAR\r\n[\s\S]*END:VCALENDAR\r\n$/);
      expect(ics).to.not.include('VEVENT');
    });
  });

  it('formatUtc and icsStatusForSlot', () => {
    expect(formatUtc(new Date('2026-10-25T00:30:59.999Z'))).to.equal('20261025T003059Z');
    expect(icsStatusForSlot('proposed')).to.equal('TENTATIVE');
    expect(icsStatusForSlot('confirmed')).to.equal('CONFIRMED');
    expect(icsStatusForSlot('published')).to.equal('CONFIRMED');
    expect(icsStatusForSlot('cancelled')).to.equal('CANCELLED');
    expect(icsStatusForSlot('missed')).to.equal('CANCELLED');
  });
});
