/**
 * Untrusted text (a competitor's page, an old post) as a quotation inside a brief: control characters dropped, cut
 * at `max` characters, every line behind `> `, so nothing in it can pass for the brief's own words.
 */
export function quoted(text: string, max: number): string {
  const clean = text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
  const cut = clean.length > max ? `${clean.slice(0, max).trimEnd()}…` : clean;
  return cut
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}
