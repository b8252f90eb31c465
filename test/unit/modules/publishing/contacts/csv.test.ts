import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { CsvReadError, decodeCsv, detectDelimiter, neutralizeCell, readCsv, unneutralizeCell, writeCsv } from '../../../../../src/modules/publishing/contacts/csv.js';
import { mapHeader, validateRows } from '../../../../../src/modules/publishing/contacts/import-mapping.js';
import { CORPUS_DIR } from '../../../../support/corpus.js';

const payloads = fs.readFileSync(path.join(CORPUS_DIR, 'security/csv-injection.txt'), 'utf8').split(/\r?\n/).filter(Boolean);

function readError(data: Buffer): string {
  try {
    readCsv(data, { maxRows: 10 });
  } catch (err) {
    if (err instanceof CsvReadError) return err.code;
    throw err;
  }
  expect.fail('expected a CsvReadError');
}

describe('Contacts CSV', () => {
  it('reads UTF-8 with a BOM and semicolons (French Excel), quoted cells and line numbers', () => {
    const file = Buffer.from('\uFEFFE-mail;Prénom;Nom;Téléphone\r\njeanne@exemple.fr;Jeanne;"Dupont; fille";06 12 34 56 78\r\n\r\n;;;\r\n"multi\nligne@exemple.fr";A;B;\r\nx@exemple.fr;É;Ç;\r\n');
    const table = readCsv(file, { maxRows: 100 });
    expect(table).to.deep.include({ delimiter: ';', encoding: 'utf-8', header: ['E-mail', 'Prénom', 'Nom', 'Téléphone'] });
    expect(table.rows.map((r) => r.cells[0])).to.deep.equal(['jeanne@exemple.fr', 'multi\nligne@exemple.fr', 'x@exemple.fr']);
    expect(table.rows[0].cells[2]).to.equal('Dupont; fille');
    expect(table.rows.map((r) => r.line)).to.deep.equal([2, 6, 7]);
  });

  it('falls back to Windows-1252 when the file is not UTF-8, and detects commas and tabs', () => {
    const latin1 = Buffer.concat([Buffer.from('email,prenom\r\nzoe@exemple.fr,'), Buffer.from([0x48, 0xe9, 0x6c, 0xe8, 0x6e, 0x65, 0x20, 0x80]), Buffer.from('\r\n')]);
    const table = readCsv(latin1, { maxRows: 10 });
    expect(table.encoding).to.equal('windows-1252');
    expect(table.delimiter).to.equal(',');
    expect(table.rows[0].cells).to.deep.equal(['zoe@exemple.fr', 'Hélène €']);
    expect(detectDelimiter('email\tphone\n')).to.equal('\t');
    expect(detectDelimiter('"a;b",c\n')).to.equal(',');
    expect(decodeCsv(Buffer.from('\uFEFFok')).text).to.equal('ok');
  });

  it('refuses a spreadsheet, an empty file and too many rows', () => {
    expect(readError(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]))).to.equal('contacts.errors.notCsv');
    expect(readError(Buffer.from('  \r\n'))).to.equal('contacts.errors.emptyFile');
    expect(readError(Buffer.from('email\n' + 'a@b.fr\n'.repeat(11)))).to.equal('contacts.errors.tooManyRows');
  });

  it('maps French and English headers, and reports each bad row with its reason', () => {
    expect(mapHeader(['Adresse e-mail', 'Téléphone portable', 'Prénom', 'NOM', 'Société', 'Ville'])).to.deep.equal({ email: 0, phone: 1, firstName: 2, lastName: 3, company: 4 });
    expect(mapHeader(['Email Address', 'Phone', 'First Name', 'Last name', 'Company'])).to.deep.equal({ email: 0, phone: 1, firstName: 2, lastName: 3, company: 4 });
    const rows = [
      { line: 2, cells: ['Jean@Exemple.fr', '06 12 34 56 78', 'Jean'] },
      { line: 3, cells: ['pas-une-adresse', '', 'X'] },
      { line: 4, cells: ['', '12 34', 'Y'] },
      { line: 5, cells: ['', '', 'Z'] },
      { line: 6, cells: ['jean@exemple.fr', '', 'Doublon'] },
      { line: 7, cells: ['', '+33 6 12 34 56 78', 'Doublon tel'] },
      { line: 8, cells: ["'=cmd|' /C calc'!A0@exemple.fr", '', ''] },
      { line: 9, cells: ['ok@exemple.fr', '', "'=HYPERLINK()"] },
    ];
    const { valid, rejected } = validateRows(rows, { email: 0, phone: 1, firstName: 2 });
    expect(valid.map((r) => [r.line, r.email, r.phoneE164, r.firstName])).to.deep.equal([
      [2, 'jean@exemple.fr', '+33612345678', 'Jean'],
      [9, 'ok@exemple.fr', null, '=HYPERLINK()'],
    ]);
    expect(rejected.map((r) => [r.line, r.reason, r.params ?? null])).to.deep.equal([
      [3, 'contacts.import.reasons.emailInvalid', null],
      [4, 'contacts.import.reasons.phoneInvalid', null],
      [5, 'contacts.import.reasons.missingContact', null],
      [6, 'contacts.import.reasons.duplicateInFile', { firstLine: 2 }],
      [7, 'contacts.import.reasons.duplicateInFile', { firstLine: 2 }],
      [8, 'contacts.import.reasons.emailInvalid', null],
    ]);
    expect(rejected[0].values).to.deep.equal({ email: 'pas-une-adresse', phone: '', firstName: 'X' });
  });

  it('neutralises every formula start and round-trips the corpus payloads', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(neutralizeCell(`${start}1`)).to.equal(`'${start}1`);
    expect(neutralizeCell('Jeanne')).to.equal('Jeanne');
    const values = [...payloads, 'a;b', 'say "hi"', 'line\nbreak', '-12', '+33612345678', '\t=1', ' =1'];
    const document = writeCsv(['value'], values.map((v) => [v]));
    expect(document.startsWith('\uFEFFvalue\r\n')).to.equal(true);
    const parsed = parse(document.slice(1), { delimiter: ';', relax_column_count: false }) as string[][];
    expect(parsed.length).to.equal(values.length + 1);
    parsed.slice(1).forEach(([cell], i) => {
      expect(cell, values[i]).to.not.match(/^[=+\-@\t\r]/);
      expect(unneutralizeCell(cell)).to.equal(values[i]);
    });
    // the corpus' formula payloads all come back prefixed; the DDE one (no formula start) stays as is
    for (const p of payloads) expect(neutralizeCell(p)).to.equal(/^[=+\-@]/.test(p) ? `'${p}` : p);
  });
});
