import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseHTML } from 'linkedom';
import { parsePrice } from '../../../../src/modules/watch/price-parser.js';

const PRICES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../shared/corpus/prices');

/** One row of scrapinghub/price-parser's test table (`price-parser-cases.json`). */
interface PriceCase {
  input: string | null;
  currency_hint: string | null;
  amount: string | null;
  currency: string | null;
  group: string;
  expected_to_fail_upstream: boolean;
  decimal_separator?: string;
}

const CASES = JSON.parse(fs.readFileSync(path.join(PRICES, 'price-parser-cases.json'), 'utf8')) as PriceCase[];

/**
 * The corpus gives the currency as written; this is the ISO code we expect for each spelling. Null where the
 * spelling is shared by several currencies (`kr`, `Rs`, `ƒ`, `CFA`…) or has no ISO code (toman, livre tournois, ₿):
 * the parser must then say null rather than guess.
 */
const ISO_OF_WRITTEN: Record<string, string | null> = {
  '€': 'EUR', EUR: 'EUR', euro: 'EUR', '$': 'USD', 'US$': 'USD', USD: 'USD', '£': 'GBP', GBP: 'GBP', '₤': 'GBP',
  Kč: 'CZK', 'руб.': 'RUB', руб: 'RUB', Р: 'RUB', 'р.': 'RUB', '₽': 'RUB', zł: 'PLN', Zł: 'PLN', PLN: 'PLN', pln: 'PLN',
  R$: 'BRL', 'грн.': 'UAH', грн: 'UAH', DKK: 'DKK', Rp: 'IDR', lei: 'RON', LEI: 'RON', Lei: 'RON', RON: 'RON',
  تومان: null, '₫': 'VND', đ: 'VND', Ft: 'HUF', HUF: 'HUF', TL: 'TRY', SGD: 'SGD', kr: null, CHF: 'CHF', 'Fr.': 'CHF',
  '₪': 'ILS', Rs: null, NOK: 'NOK', C$: 'CAD', '₹': 'INR', र: 'INR', 'лв.': 'BGN', лв: 'BGN', Br: null, KD: 'KWD',
  AED: 'AED', RM: 'MYR', NT$: 'TWD', ƒ: null, R: null, L: null, "so'm": 'UZS', OMR: 'OMR', PTE: 'PTE', DEM: 'DEM',
  A$: 'AUD', AU$: 'AUD', AUD: 'AUD', CA$: 'CAD', NZD: 'NZD', '₶': null, 원: 'KRW', 円: 'JPY', جنيه: null, درهم: null,
  ريال: null, ریال: 'IRR', '฿': 'THB', MX$: 'MXN', '؋': 'AFN', Lek: 'ALL', '֏': 'AMD', '₼': 'AZN', '৳': 'BDT',
  BZ$: 'BZD', 'Nu.': 'BTN', KM: 'BAM', FBu: 'BIF', BD: 'BHD', '៛': 'KHR', CFA: null, FCFA: null, KMF: 'KMF', '₣': null,
  '₡': 'CRC', kn: 'HRK', CUC$: 'CUC', '₱': 'PHP', Fdj: 'DJF', RD$: 'DOP', Nfk: 'ERN', 'GH₵': 'GHS', '﷼': null, J$: 'JMD',
  '₭': 'LAK', LD: 'LYD', MOP$: 'MOP', MK: 'MWK', Rf: 'MVR', UM: 'MRU', '₨': null, '₮': 'MNT', '₦': 'NGN', 'B/.': 'PAB',
  'S/.': 'PEN', Db: 'STN', TSh: 'TZS', T$: 'TOP', TT$: 'TTD', DT: 'TND', '₺': 'TRY', USh: 'UGX', '₴': 'UAH', $U: 'UYU',
  VT: 'VUV', Bs: null, ZK: 'ZMW', Z$: 'ZWL', '₿': null, GEL: 'GEL', FG: 'GNF', Dinara: 'RSD',
};

/**
 * `examples_xfail_currencies_to_be_added`: spellings upstream does not know yet. We recognise these; for the others
 * null is accepted — a missing currency only stops a price comparison, a wrong one would compare apples and pears.
 */
const ISO_OF_ADDED: Record<string, string> = {
  元: 'CNY', yen: 'JPY', บาท: 'THB', 'ر.س': 'SAR', 'ج.م': 'EGP', 'E£': 'EGP', zl: 'PLN', CAN$: 'CAD', دج: 'DZD', '.د.ب': 'BHD',
  $b: 'BOB', 'ናቕፋ': 'ERN', 'نافكا': 'ERN', 'ብር': 'ETB', 'ლ': 'GEL', '₵': 'GHS', 'ع.د': 'IQD', KSh: 'KES', 'د.ك': 'KWD', 'ل.د': 'LYD',
  ден: 'MKD', ДЕН: 'MKD', Ar: 'MGA', 'د.إ': 'AED', MT: 'MZN', FRw: 'RWF', RF: 'RWF', 'R₣': 'RWF', Дин: 'RSD', 'ج.س.': 'SDG',
  'د.ت': 'TND', 'AU $': 'AUD', 'US $': 'USD', CAD$: 'CAD', G$: 'GYD', GY$: 'GYD', CHf: 'CHF', Esc: 'CVE', Fbu: 'BIF', Ks: 'MMK',
  Nu: 'BTN', Rbl: 'RUB', 'S/': 'PEN', SFr: 'CHF', VNĐ: 'VND', Vt: 'VUV', hrn: 'UAH', kwz: 'AOA', lari: 'GEL', nis: 'ILS',
  stg: 'GBP', yuan: 'CNY', дин: 'RSD', 'ש״ח': 'ILS', 'ج.س': 'SDG', 'د.أ': 'JOD', 'د.ا': 'JOD', 'د.ج': 'DZD', 'د.م': 'MAD',
  'دينار أردني': 'JOD', 'دينار كويتي': 'KWD', 'ر.ع': 'OMR', 'ر.ق': 'QAR', 'ش.ج': 'ILS', 'ل.س': 'SYP', 'ل.ل': 'LBP',
  'ლარი': 'GEL', '人民币': 'CNY', '￡': 'GBP',
};

/** The corpus's decimal string in cents, rounded half up like the parser (`423.923` → 42392). */
function expectedCents(amount: string | null): number | null {
  if (amount === null) return null;
  const [integer, fraction = ''] = amount.split('.');
  const digits = fraction.padEnd(3, '0');
  return Number(BigInt(integer) * 100n + BigInt(digits.slice(0, 2)) + (digits[2] >= '5' ? 1n : 0n));
}

function parseCase(c: PriceCase) {
  return c.input === null ? null : parsePrice(c.input, { currencyHint: c.currency_hint });
}

/** Exact: amount in cents and ISO currency both right (or null expected and null given). */
function exact(c: PriceCase): boolean {
  const parsed = parseCase(c);
  const cents = expectedCents(c.amount);
  if (cents === null) return parsed === null;
  if (!parsed || parsed.amountCents !== cents) return false;
  const iso = c.currency === null ? null : ISO_OF_WRITTEN[c.currency];
  return iso !== undefined && parsed.currency === iso;
}

function group(name: string): PriceCase[] {
  return CASES.filter((c) => c.group === name);
}

function failures(cases: PriceCase[], pass: (c: PriceCase) => boolean): string[] {
  return cases.filter((c) => !pass(c)).map((c) => `${JSON.stringify(c.input)} | ${JSON.stringify(c.currency_hint)} → ${JSON.stringify(parseCase(c))}`);
}

const rates: string[] = [];
function rate(name: string, cases: PriceCase[], passed: number): void {
  rates.push(`${name}: ${passed}/${cases.length}`);
}

describe('watch/price parser', () => {
  after(() => {
    // the pass rate per group of the corpus, for the report
    if (process.env.PRICE_RATES) console.log(`      price-parser corpus: ${rates.join(', ')}`);
  });

  it('reads the formats of European and other shops, exactly to the cent', () => {
    const cases: [string, string | null, number, string | null][] = [
      ['1 234,56 €', null, 123456, 'EUR'],
      ['1\u00a0234,56\u00a0€', null, 123456, 'EUR'],
      ['1\u202f234,56\u202f€', null, 123456, 'EUR'], // narrow no-break space (French typography)
      ['1.234,56 EUR', null, 123456, 'EUR'],
      ['€1,234.56', null, 123456, 'EUR'],
      ['12,-', null, 1200, null],
      ['1.899,- €', null, 189900, 'EUR'],
      ["CHF 1'234.50", null, 123450, 'CHF'],
      ['CHF 1’234.50', null, 123450, 'CHF'],
      ['£40.00', null, 4000, 'GBP'],
      ['12,99 €', null, 1299, 'EUR'],
      ['9,99 €', null, 999, 'EUR'],
      ['4.35', null, 435, null], // 4.35 * 100 is 434.99999999999994 in floating point
      ['0,29 € + iva', null, 29, 'EUR'],
      ['19.995 €', null, 1999500, 'EUR'], // one separator and three digits: thousands
      ['34.992001 GBP', null, 3499, 'GBP'],
      ['34.995 KD', null, 3500, 'KWD'], // three minor digits, rounded half up to the cent
      ['35€99', null, 3599, 'EUR'],
      ['à partir de 12,99 €', null, 1299, 'EUR'],
      ['De 10 € à 20 €', null, 1000, 'EUR'],
      ['£6.95 - £9.95', null, 695, 'GBP'],
      ['-15 % 24,90 €', null, 2490, 'EUR'],
      ['Gratuit', null, 0, null],
      ['$12.50', null, 1250, 'USD'],
      ['$12.50', 'CAD', 1250, 'CAD'], // the hint says which dollar
      ['$12.50', 'EUR', 1250, 'USD'], // …but cannot turn a dollar into a euro
      ['12,50', 'EUR', 1250, 'EUR'],
      ['12,50', '€', 1250, 'EUR'],
      ['100 kr', 'SEK', 10000, 'SEK'],
      ['100 kr', null, 10000, null],
      ['NZD $100.70', null, 10070, 'NZD'],
    ];
    for (const [raw, hint, cents, currency] of cases) {
      expect(parsePrice(raw, { currencyHint: hint }), raw).to.deep.equal({ amountCents: cents, currency });
    }
  });

  it('finds no price where there is none', () => {
    for (const raw of ['', '   ', 'Rupture de stock', '40% OFF', '-20 %', 'Épuisé']) expect(parsePrice(raw), raw).to.equal(null);
  });

  // Every group the upstream library passes must pass here, exactly (amount and ISO currency).
  for (const name of ['examples', 'examples_2', 'examples_3', 'examples_new', 'examples_no_currency', 'examples_no_price', 'examples_bugs_caught']) {
    it(`passes every case of the corpus group ${name}`, () => {
      const cases = group(name);
      expect(cases).to.not.be.empty;
      const failed = failures(cases, exact);
      rate(name, cases, cases.length - failed.length);
      expect(failed).to.deep.equal([]);
    });
  }

  it('decimal_separator_examples: passes all but the two cases that force opposite separators on the same text', () => {
    // Upstream forces a decimal separator per case; our signature has none, so "$..75,333" cannot be both 0.75333
    // (forced ".") and 75.333 (forced ","); we read it 75333 like upstream does unforced. The others pass unforced.
    const cases = group('decimal_separator_examples');
    const failed = failures(cases, exact);
    rate('decimal_separator_examples', cases, cases.length - failed.length);
    expect(failed).to.deep.equal([
      '"$..75,333" | "$..75,333" → {"amountCents":7533300,"currency":"USD"}',
      '"$..75,333" | "$..75,333" → {"amountCents":7533300,"currency":"USD"}',
    ]);
  });

  it('examples_xfail (upstream fails them all): passes the cases a first-number rule can pass', () => {
    // Accepted misses: prose where the first number is not the price ("3 Ausgaben für nur 14,85 EUR", quantity
    // tables), dates ("July, 2004", "15.08.2017"), "16.00 ft" (feet). Telling those apart needs language, not parsing.
    const cases = group('examples_xfail');
    const passed = cases.filter(exact);
    rate('examples_xfail', cases, passed.length);
    expect(passed.map((c) => c.input)).to.include.members(['R273.00', 'R8,499', '61.858 L', 'См. цену в прайсе', 'Печная труба', 'Код товара: 884']);
  });

  it('examples_xfail_currencies_to_be_added: every amount right, and never a wrong currency', () => {
    const cases = group('examples_xfail_currencies_to_be_added');
    // 11 rows hold only a currency ("CND", "KShs"…) yet expect the amount 1 (the derivation lost the number): no
    // price can be read from a text without a digit, so those must give null.
    const amountWrong = failures(cases, (c) => (parseCase(c)?.amountCents ?? null) === (/\d/.test(c.input ?? '') ? expectedCents(c.amount) : null));
    expect(amountWrong).to.deep.equal([]);
    expect(cases.filter((c) => !/\d/.test(c.input ?? ''))).to.have.length(11);
    const currencyWrong = failures(cases, (c) => {
      const got = parseCase(c)?.currency ?? null;
      return got === null || got === (ISO_OF_ADDED[c.currency ?? ''] ?? ISO_OF_WRITTEN[c.currency ?? '']);
    });
    expect(currencyWrong).to.deep.equal([]);
    const recognised = cases.filter((c) => c.currency !== null && parseCase(c)?.currency === ISO_OF_ADDED[c.currency]);
    rate('examples_xfail_currencies_to_be_added (currency named)', cases, recognised.length);
    expect(recognised.length).to.be.at.least(Object.keys(ISO_OF_ADDED).length);
  });

  describe('on real product pages', () => {
    function page(name: string, encoding = 'utf-8') {
      return parseHTML(new TextDecoder(encoding).decode(fs.readFileSync(path.join(PRICES, 'pages', name)))).document;
    }

    it('reads the Farah prices (GBP; the price range gives its low price)', () => {
      const expected = JSON.parse(fs.readFileSync(path.join(PRICES, 'pages', 'farah-expected.json'), 'utf8')) as Record<
        string,
        { name: string; discounted_price: string | null; high_price: string; currency: string }
      >;
      const files = Object.keys(expected).filter((k) => k.endsWith('.html'));
      expect(files).to.have.length(3);
      for (const file of files) {
        const doc = page(file);
        const raw = doc.querySelector('.productinfopricing [itemprop=lowPrice]')?.textContent ?? '';
        const want = expected[file];
        expect(doc.querySelector('h1[itemprop=name]')?.textContent?.trim(), file).to.equal(want.name);
        // the page shows the sale (low) price first: with a range that is the discounted price, else the only one
        expect(parsePrice(raw), file).to.deep.equal({ amountCents: expectedCents(want.discounted_price ?? want.high_price), currency: want.currency });
      }
      const range = page('farah-long-sleeve-shirt-price-range.html').querySelector('.productinfopricing .price')?.textContent ?? '';
      expect(parsePrice(range)).to.deep.equal({ amountCents: 4900, currency: 'GBP' });
    });

    it('reads the Icône prices from a Latin-1 page ("£340.00 (inc VAT)")', () => {
      for (const name of ['icone-tom-dixon-copper-shade', 'icone-artemide-mesmeri-halo']) {
        const expected = JSON.parse(fs.readFileSync(path.join(PRICES, 'pages', `${name}.expected.json`), 'utf8')) as { price: string };
        const doc = page(`${name}.html`, 'latin1');
        const label = [...doc.querySelectorAll('td.desc')].find((td) => td.textContent?.trim() === 'Price');
        const raw = label?.nextElementSibling?.textContent ?? '';
        expect(raw, name).to.include('(inc VAT)');
        expect(parsePrice(raw), name).to.deep.equal({ amountCents: expectedCents(expected.price), currency: 'GBP' });
      }
    });

    it('reads the Play.com main price and not the distractors around it', () => {
      const doc = page('playcom-samsung-tv.html', 'latin1');
      const priceEl = [...doc.querySelectorAll('[data-scrapy-annotate]')].find((el) => (el.getAttribute('data-scrapy-annotate') ?? '').includes('"price"'));
      expect(parsePrice(priceEl?.textContent ?? '')).to.deep.equal({ amountCents: 57999, currency: 'GBP' });
      // the whole offer block starts with the same price, before the RRP and the saving
      expect(parsePrice(priceEl?.parentElement?.parentElement?.textContent ?? '')).to.deep.equal({ amountCents: 57999, currency: 'GBP' });
    });
  });
});
