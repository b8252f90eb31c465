/**
 * Parses a price as written on a page (`1 234,56 €`, `€1,234.56`, `12.99 USD`…) into cents and an ISO currency.
 *
 * Rules (tested against scrapinghub/price-parser's table in `shared/corpus/prices/`):
 * - the amount is the first number of the text (ranges and "from" prices give their first amount), never one
 *   followed by `%`; no number but "free" → 0; nothing → null;
 * - separators are guessed: with both `.` and `,` the last kind is the decimal one (`1.234,56`, `1,234.56`); with one
 *   kind, a single separator followed by exactly three digits groups thousands (`1.299`, `12,000`) unless the
 *   currency has three minor digits (`423.923 KD`) or the integer part is 0, anything else is decimal; spaces (also
 *   no-break and narrow no-break) and apostrophes (`CHF 1'234.50`) group thousands; `12,-` is 12; `35€99` is 35.99;
 * - parsed as decimal strings and rounded half up to the cent (no float arithmetic);
 * - the currency is looked for in the text first, then in the hint: codes with a dollar (`NZD $`, `SGD$`), then
 *   unambiguous symbols (`€`, `£`, `zł`, `CHF`…), then ISO codes and less certain abbreviations. A symbol shared by
 *   several currencies (`$`, `kr`, `Rs`…) takes the hint's currency when the hint names one of them; `$` is USD
 *   otherwise, the others null.
 */
export interface ParsedPrice {
  amountCents: number;
  /** ISO 4217 code when the text or the hint names one, else null. */
  currency: string | null;
}

export function parsePrice(raw: string, options: { currencyHint?: string | null } = {}): ParsedPrice | null {
  if (typeof raw !== 'string') return null;
  const text = normalise(raw);
  const hint = options.currencyHint ? normalise(options.currencyHint) : '';
  const currency = detectCurrency(text, hint);
  const amount = amountOf(text, currency);
  if (amount === null) return null;
  const amountCents = toCents(amount);
  if (amountCents === null) return null;
  return { amountCents, currency };
}

// ---------------------------------------------------------------------------------------------------------------
// Currency

interface Symbol {
  text: string;
  /** The ISO code it stands for alone (null when it is shared and nothing says which). */
  iso: string | null;
  /** Currencies it may stand for: the hint picks among them. */
  family?: readonly string[];
}

const ISO_CODES = new Set<string>([
  ...Intl.supportedValuesOf('currency'),
  // pre-euro currencies still found on old pages
  'DEM', 'FRF', 'PTE', 'ITL', 'ESP', 'BEF', 'NLG', 'ATS', 'FIM', 'IEP', 'GRD', 'LUF',
]);
const THREE_DECIMAL_CURRENCIES = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);
const DOLLARS = ['USD', ...[...ISO_CODES].filter((c) => c.endsWith('D') && c !== 'USD'), 'MXN', 'ARS', 'CLP', 'COP', 'UYU', 'DOP', 'CUP', 'BRL'];
const RUPEES = ['INR', 'PKR', 'LKR', 'NPR', 'MUR', 'SCR'];
const RIALS = ['IRR', 'SAR', 'OMR', 'QAR', 'YER'];

/** Symbols that name a currency wherever they stand. Longest first within a position (see `searcher`). */
const SAFE: Symbol[] = [
  // dollar variants before the bare $
  { text: 'Bds$', iso: 'BBD' }, { text: 'CUC$', iso: 'CUC' }, { text: 'MOP$', iso: 'MOP' },
  { text: 'AR$', iso: 'ARS' }, { text: 'AU$', iso: 'AUD' }, { text: 'BN$', iso: 'BND' }, { text: 'BZ$', iso: 'BZD' },
  { text: 'CA$', iso: 'CAD' }, { text: 'CL$', iso: 'CLP' }, { text: 'CO$', iso: 'COP' }, { text: 'CV$', iso: 'CVE' },
  { text: 'HK$', iso: 'HKD' }, { text: 'MX$', iso: 'MXN' }, { text: 'NT$', iso: 'TWD' }, { text: 'NZ$', iso: 'NZD' },
  { text: 'TT$', iso: 'TTD' }, { text: 'RD$', iso: 'DOP' }, { text: 'WS$', iso: 'WST' }, { text: 'US$', iso: 'USD' },
  { text: '$U', iso: 'UYU' }, { text: 'C$', iso: 'CAD', family: ['CAD', 'NIO'] }, { text: 'J$', iso: 'JMD' },
  { text: 'N$', iso: 'NAD' }, { text: 'R$', iso: 'BRL' }, { text: 'S$', iso: 'SGD' }, { text: 'T$', iso: 'TOP' },
  { text: 'Z$', iso: 'ZWL' }, { text: 'A$', iso: 'AUD' }, { text: 'AU $', iso: 'AUD' }, { text: 'US $', iso: 'USD' },
  { text: 'CAN$', iso: 'CAD' }, { text: 'GY$', iso: 'GYD' }, { text: 'G$', iso: 'GYD' }, { text: '$b', iso: 'BOB' },
  { text: 'E£', iso: 'EGP' }, { text: '￡', iso: 'GBP' },
  { text: 'SY£', iso: 'SYP' }, { text: 'LB£', iso: 'LBP' }, { text: 'CN¥', iso: 'CNY' }, { text: 'GH₵', iso: 'GHS' },
  { text: '$', iso: 'USD', family: DOLLARS },
  { text: '€', iso: 'EUR' }, { text: '£', iso: 'GBP' }, { text: '₤', iso: 'GBP' },
  { text: 'zł', iso: 'PLN' }, { text: 'Zł', iso: 'PLN' }, { text: 'Kč', iso: 'CZK' },
  { text: '₽', iso: 'RUB' }, { text: '¥', iso: 'JPY', family: ['JPY', 'CNY'] }, { text: '￥', iso: 'JPY', family: ['JPY', 'CNY'] },
  { text: '円', iso: 'JPY' }, { text: '元', iso: 'CNY' }, { text: '원', iso: 'KRW' },
  { text: '฿', iso: 'THB' }, { text: 'դր.', iso: 'AMD' }, { text: 'դր', iso: 'AMD' }, { text: '֏', iso: 'AMD' },
  { text: '₦', iso: 'NGN' }, { text: '₴', iso: 'UAH' }, { text: '₱', iso: 'PHP' }, { text: '৳', iso: 'BDT' },
  { text: '₭', iso: 'LAK' }, { text: '₪', iso: 'ILS' }, { text: '﷼', iso: null, family: RIALS }, { text: '៛', iso: 'KHR' },
  { text: '₩', iso: 'KRW' }, { text: '₫', iso: 'VND' }, { text: '₡', iso: 'CRC' }, { text: 'ƒ', iso: null, family: ['AWG', 'ANG'] },
  { text: '₲', iso: 'PYG' }, { text: '؋', iso: 'AFN' }, { text: '₮', iso: 'MNT' }, { text: '₨', iso: null, family: RUPEES },
  { text: '₹', iso: 'INR' }, { text: 'र', iso: 'INR' }, { text: '₺', iso: 'TRY' }, { text: '₼', iso: 'AZN' },
  { text: '₾', iso: 'GEL' }, { text: '₸', iso: 'KZT' }, { text: '₵', iso: 'GHS' },
  { text: 'R₣', iso: 'RWF' }, { text: '₶', iso: null }, { text: '₣', iso: null }, { text: '₿', iso: null },
  // Arabic abbreviations, with or without their final dot
  ...arabic({ 'ر.ق': 'QAR', 'د.ك': 'KWD', 'ر.ع': 'OMR', 'ر.س': 'SAR', 'د.إ': 'AED', 'د.م': 'MAD', 'ج.م': 'EGP', 'د.ت': 'TND',
    'ل.د': 'LYD', 'د.ل': 'LYD', 'ج.س': 'SDG', 'د.أ': 'JOD', 'د.ا': 'JOD', 'د.ج': 'DZD', 'دج': 'DZD', 'ل.س': 'SYP', 'ل.ل': 'LBP',
    'ش.ج': 'ILS', 'ع.د': 'IQD', 'د.ع': 'IQD', '.د.ب': 'BHD', 'ر.ي': 'YER', 'دينار كويتي': 'KWD', 'دينار أردني': 'JOD' }),
  { text: 'ש״ח', iso: 'ILS' }, { text: 'ש"ח', iso: 'ILS' }, { text: "ש'ח", iso: 'ILS' }, { text: 'บาท', iso: 'THB' },
  { text: 'ლარი', iso: 'GEL' }, { text: 'ден', iso: 'MKD' }, { text: 'ДЕН', iso: 'MKD' }, { text: 'Дин', iso: 'RSD' },
  { text: 'дин', iso: 'RSD' }, { text: 'тг', iso: 'KZT' }, { text: '人民币', iso: 'CNY' }, { text: 'yuan', iso: 'CNY' },
  { text: 'yen', iso: 'JPY' }, { text: 'VNĐ', iso: 'VND' }, { text: 'ብር', iso: 'ETB' }, { text: 'ናቕፋ', iso: 'ERN' },
  { text: 'نافكا', iso: 'ERN' },
  { text: 'تومان', iso: null }, // a toman is ten rials: no ISO code, and the amount would be off by ten
  { text: 'ریال', iso: 'IRR' }, { text: 'ريال', iso: null, family: RIALS },
  { text: 'درهم', iso: null, family: ['AED', 'MAD'] }, { text: 'جنيه', iso: null, family: ['EGP', 'SDG', 'SSP'] },
  // common words and abbreviations taken as unambiguous
  { text: 'EUR', iso: 'EUR' }, { text: 'euros', iso: 'EUR' }, { text: 'euro', iso: 'EUR' }, { text: 'Euro', iso: 'EUR' }, { text: 'eur', iso: 'EUR' },
  { text: 'CHF', iso: 'CHF' }, { text: 'SFr.', iso: 'CHF' }, { text: 'Fr.', iso: 'CHF' }, { text: 'DKK', iso: 'DKK' },
  { text: 'Rp', iso: 'IDR' }, { text: 'lei', iso: 'RON' }, { text: 'Lei', iso: 'RON' }, { text: 'LEI', iso: 'RON' },
  { text: 'pln', iso: 'PLN' }, { text: 'zl', iso: 'PLN' }, { text: 'SFr', iso: 'CHF' }, { text: 'CHf', iso: 'CHF' },
  { text: 'chf', iso: 'CHF' }, { text: 'KShs', iso: 'KES' }, { text: 'KSh', iso: 'KES' }, { text: 'hrn', iso: 'UAH' },
  { text: 'lari', iso: 'GEL' }, { text: 'Rbl', iso: 'RUB' }, { text: 'stg', iso: 'GBP' }, { text: 'nis', iso: 'ILS' },
  { text: 'рублей', iso: 'RUB' }, { text: 'рубля', iso: 'RUB' }, { text: 'рубль', iso: 'RUB' }, { text: 'руб.', iso: 'RUB' }, { text: 'руб', iso: 'RUB' },
  { text: 'грн.', iso: 'UAH' }, { text: 'грн', iso: 'UAH' },
  { text: 'дин.', iso: 'RSD' }, { text: 'Dinara', iso: 'RSD' }, { text: 'динар', iso: 'RSD' },
  { text: 'лв.', iso: 'BGN' }, { text: 'лв', iso: 'BGN' }, { text: 'р.', iso: 'RUB' },
  { text: 'тңг.', iso: 'KZT' }, { text: 'тңг', iso: 'KZT' }, { text: 'ман.', iso: 'AZN' },
];

/** Abbreviations that are currencies only most of the time; looked for after every safe symbol. */
const UNSAFE: Symbol[] = [
  { text: 'Ft', iso: 'HUF' }, { text: 'TL', iso: 'TRY' }, { text: 'kr', iso: null, family: ['SEK', 'NOK', 'DKK', 'ISK'] },
  { text: 'Kr', iso: null, family: ['SEK', 'NOK', 'DKK', 'ISK'] }, { text: 'Rs', iso: null, family: RUPEES },
  { text: 'Rs.', iso: null, family: RUPEES }, { text: 'RM', iso: 'MYR' }, { text: 'KD', iso: 'KWD' }, { text: 'BD', iso: 'BHD' },
  { text: 'DT', iso: 'TND' }, { text: 'LD', iso: 'LYD' }, { text: 'KM', iso: 'BAM' }, { text: 'Nu.', iso: 'BTN' },
  { text: 'FBu', iso: 'BIF' }, { text: 'Fdj', iso: 'DJF' }, { text: 'Nfk', iso: 'ERN' }, { text: 'MK', iso: 'MWK' },
  { text: 'Rf', iso: 'MVR' }, { text: 'UM', iso: 'MRU' }, { text: 'TSh', iso: 'TZS' }, { text: 'USh', iso: 'UGX' },
  { text: 'VT', iso: 'VUV' }, { text: 'ZK', iso: 'ZMW' }, { text: 'B/.', iso: 'PAB' }, { text: 'S/.', iso: 'PEN' },
  { text: 'Db', iso: 'STN' }, { text: 'FG', iso: 'GNF' }, { text: 'Lek', iso: 'ALL' }, { text: 'kn', iso: 'HRK' },
  { text: "so'm", iso: 'UZS' }, { text: 'Br', iso: null, family: ['BYN', 'ETB'] }, { text: 'Bs', iso: null, family: ['VES', 'BOB'] },
  { text: 'FCFA', iso: null, family: ['XOF', 'XAF'] }, { text: 'CFA', iso: null, family: ['XOF', 'XAF'] },
  { text: 'đ', iso: 'VND' }, { text: 'Ar', iso: 'MGA' }, { text: 'MT', iso: 'MZN' }, { text: 'FRw', iso: 'RWF' },
  { text: 'RF', iso: 'RWF' }, { text: 'Esc', iso: 'CVE' }, { text: 'Fbu', iso: 'BIF' },
  { text: 'Ks', iso: 'MMK' }, { text: 'Nu', iso: 'BTN' }, { text: 'S/', iso: 'PEN' }, { text: 'Vt', iso: 'VUV' },
  { text: 'kwz', iso: 'AOA' }, { text: 'ლ', iso: 'GEL' },
  { text: 'Dh', iso: null, family: ['AED', 'MAD'] }, { text: 'Dhs', iso: null, family: ['AED', 'MAD'] }, { text: 'Р', iso: 'RUB' }, { text: 'р', iso: 'RUB' },
];

/** ISO codes that are also everyday words: a currency only right next to the number. */
const WORD_CODES = new Set(['ALL', 'TOP', 'CUP', 'PEN', 'TRY', 'BOB', 'SOS', 'ANG', 'BAM', 'GEL', 'MOP', 'MAD', 'NAD', 'AMD', 'EGP']);

function arabic(codes: Record<string, string>): Symbol[] {
  return Object.entries(codes).flatMap(([text, iso]) => [{ text: `${text}.`, iso }, { text, iso }]);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const LETTER = /\p{L}/u;

/** A regex finding the leftmost of `symbols`, longest first; alphabetic ends must not touch another letter. */
function searcher(symbols: Symbol[]): RegExp {
  const alternatives = [...symbols]
    .sort((a, b) => b.text.length - a.text.length)
    .map((s) => {
      const before = LETTER.test(s.text[0]) ? '(?<!\\p{L})' : '';
      const after = LETTER.test(s.text[s.text.length - 1]) ? '(?!\\p{L})' : '';
      return `${before}${escapeRegExp(s.text)}${after}`;
    });
  return new RegExp(alternatives.join('|'), 'u');
}

const SAFE_BY_TEXT = new Map(SAFE.map((s) => [s.text, s]));
const UNSAFE_BY_TEXT = new Map(UNSAFE.map((s) => [s.text, s]));
const SAFE_SEARCH = searcher(SAFE);
const UNSAFE_SEARCH = searcher(UNSAFE);
const CODE_SEARCH = /(?<!\p{L})[A-Z]{3}(?!\p{L})/gu;
// a code "ending in D" right before or after a dollar sign or a number: NZD $12, SGD$4.90, $1,190.00 AUD
const DOLLAR_CODE_SEARCH = /(?<!\p{L})[A-Z]{2}D(?=\$|\s?[\d$]|$)|(?<=[\d$]\s?)[A-Z]{2}D(?!\p{L})/gu;

type Found = { iso: string | null; family?: readonly string[] } | null;

function findSymbol(text: string, search: RegExp, table: Map<string, Symbol>): Found {
  if (!text) return null;
  const match = search.exec(text);
  return match ? (table.get(match[0]) ?? null) : null;
}

function findCode(text: string, options: { dollarOnly?: boolean } = {}): Found {
  if (!text) return null;
  const search = options.dollarOnly ? DOLLAR_CODE_SEARCH : CODE_SEARCH;
  for (const match of text.matchAll(search)) {
    const code = match[0];
    if (!ISO_CODES.has(code) || (options.dollarOnly && !DOLLARS.includes(code))) continue;
    if (WORD_CODES.has(code) && !nextToNumber(text, match.index!, code.length)) continue;
    return { iso: code };
  }
  return null;
}

function nextToNumber(text: string, index: number, length: number): boolean {
  return /\d\s?$/.test(text.slice(Math.max(0, index - 2), index)) || /^\s?\d/.test(text.slice(index + length, index + length + 2));
}

function detectCurrency(text: string, hint: string): string | null {
  const attempts: (() => Found)[] = [
    () => (text.includes('$') ? findCode(text, { dollarOnly: true }) : null),
    () => (hint.includes('$') ? findCode(hint, { dollarOnly: true }) : null),
    () => findSymbol(text, SAFE_SEARCH, SAFE_BY_TEXT),
    () => findSymbol(hint, SAFE_SEARCH, SAFE_BY_TEXT),
    () => findCode(text),
    () => findSymbol(text, UNSAFE_SEARCH, UNSAFE_BY_TEXT),
    () => findCode(hint),
    () => findSymbol(hint, UNSAFE_SEARCH, UNSAFE_BY_TEXT),
  ];
  for (const attempt of attempts) {
    const found = attempt();
    if (!found) continue;
    if (found.family) {
      // a shared symbol: the hint may say which one (`$` with a hint `CAD`)
      const hinted = hint ? (findCode(hint) ?? findSymbol(hint, SAFE_SEARCH, SAFE_BY_TEXT)) : null;
      if (hinted?.iso && found.family.includes(hinted.iso)) return hinted.iso;
    }
    return found.iso;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Amount

function normalise(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\u200b-\u200f\u2060\ufeff]/g, '') // zero-width and direction marks
    .replace(/\s+/g, ' ') // \s covers no-break, narrow no-break, thin and figure spaces
    .trim();
}

/** `35€99`, `35 € 99`, `1,235€ 99`: the euro sign used as the decimal separator (once in the text only). */
const EURO_DECIMAL = /(\d(?:[\d.,' ]*\d)?) ?€(?: (\d\d)|(\d+))(?!\d)/;

/**
 * Reads the number starting at `start` (a digit, or separators right before one: `.75`): digits and separators,
 * a space or an apostrophe before a group of exactly three digits while no separator was seen (`1 234`, `1'234`),
 * a separator then a space before exactly two final digits (`392. 00`).
 */
function readNumber(text: string, start: number): { number: string; end: number } {
  let i = start;
  let out = '';
  let separatorSeen = false;
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  const group = (at: number, size: number) => new RegExp(`^\\d{${size}}(?!\\d)`).test(text.slice(at, at + size + 1));
  while (i < text.length) {
    const c = text[i];
    if (isDigit(c)) {
      out += c;
      i++;
    } else if (c === '.' || c === ',') {
      let j = i;
      while (text[j] === '.' || text[j] === ',') j++;
      if (isDigit(text[j])) {
        out += text.slice(i, j);
        separatorSeen = true;
        i = j;
      } else if (text[j] === ' ' && j === i + 1 && out && group(j + 1, 2)) {
        out += c;
        separatorSeen = true;
        i = j + 1;
      } else break;
    } else if ((c === ' ' || c === "'" || c === '’') && out && !separatorSeen && group(i + 1, 3)) {
      i++;
    } else break;
  }
  return { number: out, end: i };
}

function amountOf(text: string, currency: string | null): string | null {
  if ((text.match(/€/g) ?? []).length === 1) {
    const euro = EURO_DECIMAL.exec(text);
    // not when the number already has its decimals (`19,90 € 10 pièces`)
    if (euro && !/[.,]\d{1,2}$/.test(euro[1])) {
      const integer = separated(euro[1].replace(/['’ ]/g, ''), currency, { integerOnly: true });
      if (integer !== null) return `${integer}.${euro[2] ?? euro[3]}`;
    }
  }
  for (let i = 0; i < text.length; i++) {
    if (!/\d/.test(text[i]) || /\d/.test(text[i - 1] ?? '')) continue;
    let start = i;
    while (start > 0 && (text[start - 1] === '.' || text[start - 1] === ',') && !/\d/.test(text[start - 2] ?? '')) start--;
    const { number, end } = readNumber(text, start);
    i = end;
    if (/^ ?%/.test(text.slice(end))) continue; // a discount, not a price
    return separated(number, currency);
  }
  return /\b(free|gratuit|gratis|kostenlos|offert)\b/i.test(text) ? '0' : null;
}

/** `1.234,56` → `1234.56` (a decimal string), guessing which separator is the decimal one. */
function separated(number: string, currency: string | null, options: { integerOnly?: boolean } = {}): string | null {
  let n = number;
  const leading = /^[.,]+/.exec(n);
  if (leading) {
    n = n.slice(leading[0].length);
    // `.75`: a bare fraction; `.75,333`: stray punctuation before a number
    if (!/[.,]/.test(n)) return options.integerOnly ? null : `0.${n}`;
  }
  n = n.replace(/[.,]+$/, '').replace(/([.,])[.,]+/g, '$1');
  const separators = [...n.matchAll(/[.,]/g)].map((m) => ({ char: m[0], index: m.index! }));
  if (!separators.length) return n;
  if (options.integerOnly) return n.replace(/[.,]/g, '');
  const last = separators[separators.length - 1];
  const before = separators.slice(0, -1);
  const fraction = n.slice(last.index + 1);
  const integer = n.slice(0, last.index);
  const digitsOnly = (s: string) => s.replace(/[.,]/g, '');
  let decimal: boolean;
  if (before.length && before.every((s) => s.char !== last.char)) decimal = true; // 1.234,56 · 123,456.789
  else if (before.length && before.some((s) => s.char !== last.char)) decimal = fraction.length <= 2; // garbled
  else if (before.length) decimal = fraction.length !== 3; // 1.234.567 · 1.234.5 (odd: last is decimal)
  else if (fraction.length !== 3) decimal = true; // 12,5 · 12.99 · 34.992001
  else decimal = (currency !== null && THREE_DECIMAL_CURRENCIES.has(currency)) || /^0+$/.test(integer);
  return decimal ? `${digitsOnly(integer) || '0'}.${fraction}` : digitsOnly(n);
}

/** A decimal string to cents, rounded half up, exactly (BigInt, no float); null past the safe integer range. */
function toCents(decimal: string): number | null {
  const match = /^(\d+)(?:\.(\d*))?$/.exec(decimal);
  if (!match) return null;
  const fraction = (match[2] ?? '').padEnd(3, '0');
  let cents = BigInt(match[1]) * 100n + BigInt(fraction.slice(0, 2));
  if (fraction[2] >= '5') cents += 1n;
  return cents <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(cents) : null;
}
