import { expect } from 'chai';
import { normalizePhone } from '../../../../../src/modules/publishing/contacts/phone.js';
import { normalizeEmail } from '../../../../../src/modules/publishing/contacts/email.js';

describe('Contact normalisers', () => {
  it('reads French numbers as people type them, into E.164', () => {
    const cases: Record<string, string> = {
      '06 12 34 56 78': '+33612345678',
      '06.12.34.56.78': '+33612345678',
      '06-12-34-56-78': '+33612345678',
      '0612345678': '+33612345678',
      '01 42 68 53 00': '+33142685300',
      '+33 6 12 34 56 78': '+33612345678',
      '+33 (0)6 12 34 56 78': '+33612345678',
      '+33 06 12 34 56 78': '+33612345678',
      '0033 6 12 34 56 78': '+33612345678',
      '0033612345678': '+33612345678',
      ' 07 00 00 00 01 ': '+33700000001',
      '0692 12 34 56': '+262692123456', // La Réunion mobile
      '0590 12 34 56': '+590590123456', // Guadeloupe
      '+44 20 7946 0958': '+442079460958',
      '0032 2 555 12 12': '+3225551212',
    };
    for (const [input, e164] of Object.entries(cases)) expect(normalizePhone(input), input).to.deep.equal({ ok: true, e164 });
  });

  it('refuses what is not a phone number, with a message key', () => {
    for (const input of ['', '12345', '06 12 34 56', '06 12 34 56 78 9', '00 12 34', '+33 6 12 34', '+33 1234567890', 'abc', '06 12 34 56 7a', '+0 123 456 789', '612345678', '+33 6 12 34 56 78 ext 2', '=1+1']) {
      expect(normalizePhone(input), input).to.deep.equal({ ok: false, reason: 'contacts.errors.phoneInvalid' });
    }
  });

  it('lower-cases and trims e-mail addresses and refuses invalid ones', () => {
    expect(normalizeEmail('  Jean.Dupont@Exemple.FR ')).to.equal('jean.dupont@exemple.fr');
    for (const bad of ['', 'jean', 'jean@', '@exemple.fr', 'jean dupont@exemple.fr', 'a@b', `${'x'.repeat(320)}@exemple.fr`]) expect(normalizeEmail(bad), bad).to.equal(null);
  });
});
