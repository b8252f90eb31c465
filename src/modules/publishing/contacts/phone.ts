/**
 * Phone numbers as the contacts store them: E.164 (`+33612345678`). What people type in France is read with
 * France as the default region: `06 12 34 56 78`, `+33 6 12 34 56 78`, `+33 (0)6…`, `0033 6…`. French
 * overseas departments dial a national `0` number that belongs to another country code (`0692…` is `+262692…`),
 * so those are mapped too. Other international numbers are accepted only written with `+` or `00`.
 */
export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: 'contacts.errors.phoneInvalid' };

// National prefixes (after the leading 0) of the overseas departments and their country codes.
const OVERSEAS: ReadonlyArray<[prefix: string, countryCode: string]> = [
  ['262', '262'], ['263', '262'], ['269', '262'], ['639', '262'], ['692', '262'], ['693', '262'], // Réunion, Mayotte
  ['590', '590'], ['690', '590'], ['691', '590'], // Guadeloupe, Saint-Martin, Saint-Barthélemy
  ['594', '594'], ['694', '594'], // Guyane
  ['596', '596'], ['696', '596'], ['697', '596'], // Martinique
];

const invalid: PhoneResult = { ok: false, reason: 'contacts.errors.phoneInvalid' };

/** A French national significant number (9 digits, not starting with 0) as E.164. */
function fromFrenchNational(nine: string): PhoneResult {
  if (!/^[1-9]\d{8}$/.test(nine)) return invalid;
  const overseas = OVERSEAS.find(([prefix]) => nine.startsWith(prefix));
  return { ok: true, e164: overseas ? `+${overseas[1]}${nine}` : `+33${nine}` };
}

export function normalizePhone(input: string): PhoneResult {
  const trimmed = input.trim();
  if (!trimmed || trimmed.length > 32) return invalid;
  // Only digits, one leading +, and the separators people type; letters (vanity numbers, "ext.") are refused.
  if (!/^\+?[\d\s.\-/()]+$/.test(trimmed)) return invalid;
  let compact = trimmed.replace(/\(0\)/g, '').replace(/[\s.\-/()]/g, '');
  if (compact.startsWith('00')) compact = `+${compact.slice(2)}`;
  if (compact.startsWith('+')) {
    const digits = compact.slice(1);
    if (!/^\d+$/.test(digits)) return invalid;
    // `+33 06…`: the national 0 kept after the country code, a common slip
    if (digits.startsWith('33')) return fromFrenchNational(digits.slice(2).replace(/^0(?=\d{9}$)/, ''));
    return /^[1-9]\d{7,14}$/.test(digits) ? { ok: true, e164: `+${digits}` } : invalid;
  }
  if (/^0\d{9}$/.test(compact)) return fromFrenchNational(compact.slice(1));
  return invalid;
}
