import { diffWords } from '../studio/version-diff.js';

/** A readable diff of two page texts (`watch_changes.diff_text`) and how much it changed. */
export interface TextDiff {
  /** Unified-diff-like text: `@@ -a,b +c,d @@` hunks, ` ` context, `-` removed and `+` added lines; bounded. */
  text: string;
  addedLines: number;
  removedLines: number;
  /** Words added plus words removed (word-level comparison of the whole texts). */
  changedWords: number;
  /** Words of the longer text (the base of the change ratio). */
  totalWords: number;
}

export interface TextDiffOptions {
  /** Unchanged lines shown around each change. */
  context?: number;
  /** Past this many diff lines, the rest is summarised in one line. */
  maxLines?: number;
  /** Hard cap on the text's length (a line longer than this is cut). */
  maxChars?: number;
}

// Past this many line pairs the comparison falls back to "everything replaced" (bounded memory and time).
const MAX_CELLS = 4_000_000;
const MAX_LINE_CHARS = 500;

/** Lines as a reader sees them: spaces collapsed, blank lines dropped (so whitespace-only edits are no change). */
export function normalisedLines(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

/** Line-level LCS diff of `a` → `b` (common prefix and suffix trimmed first). */
function diffLines(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = [];
  for (let i = 0; i < start; i++) ops.push({ kind: ' ', line: a[i], a: i, b: i });
  const n = endA - start;
  const m = endB - start;
  if (n * m > MAX_CELLS) {
    for (let i = start; i < endA; i++) ops.push({ kind: '-', line: a[i], a: i, b: start });
    for (let j = start; j < endB; j++) ops.push({ kind: '+', line: b[j], a: endA, b: j });
  } else {
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = a[start + i] === b[start + j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[start + i] === b[start + j]) {
        ops.push({ kind: ' ', line: a[start + i], a: start + i, b: start + j });
        i++;
        j++;
      } else if (j >= m || (i < n && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
        ops.push({ kind: '-', line: a[start + i], a: start + i, b: start + j });
        i++;
      } else {
        ops.push({ kind: '+', line: b[start + j], a: start + i, b: start + j });
        j++;
      }
    }
  }
  for (let k = 0; k < a.length - endA; k++) ops.push({ kind: ' ', line: a[endA + k], a: endA + k, b: endB + k });
  return ops;
}

/** Groups the changed lines with `context` lines around them into unified-diff hunks. */
function hunks(ops: Op[], context: number): string[] {
  const changed = ops.map((op, i) => (op.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  const out: string[] = [];
  let k = 0;
  while (k < changed.length) {
    const from = Math.max(0, changed[k] - context);
    let to = Math.min(ops.length - 1, changed[k] + context);
    while (k + 1 < changed.length && changed[k + 1] - context <= to + 1) {
      k++;
      to = Math.min(ops.length - 1, changed[k] + context);
    }
    k++;
    const slice = ops.slice(from, to + 1);
    const oldCount = slice.filter((op) => op.kind !== '+').length;
    const newCount = slice.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${slice[0].a + 1},${oldCount} +${slice[0].b + 1},${newCount} @@`);
    for (const op of slice) out.push(`${op.kind}${op.line.length > MAX_LINE_CHARS ? `${op.line.slice(0, MAX_LINE_CHARS)}…` : op.line}`);
  }
  return out;
}

const wordCount = (lines: string[]) => lines.reduce((sum, line) => sum + line.split(' ').length, 0);

/**
 * The diff of two texts, or null when they differ only by whitespace. Bounded: at most `maxLines` lines (then a
 * `… (N)` line: N lines left out) and `maxChars` characters, whatever the size of the pages.
 */
export function textDiff(before: string, after: string, options: TextDiffOptions = {}): TextDiff | null {
  const context = options.context ?? 2;
  const maxLines = options.maxLines ?? 60;
  const maxChars = options.maxChars ?? 6_000;
  const a = normalisedLines(before);
  const b = normalisedLines(after);
  if (a.length === b.length && a.every((line, i) => line === b[i])) return null;
  const ops = diffLines(a, b);
  const words = diffWords(a.join('\n'), b.join('\n'));
  const changedWords = words.filter((p) => p.kind !== 'same').reduce((sum, p) => sum + (p.text.match(/\S+/g)?.length ?? 0), 0);
  let lines = hunks(ops, context);
  if (lines.length > maxLines) lines = [...lines.slice(0, maxLines), `… (${lines.length - maxLines})`];
  let text = lines.join('\n');
  if (text.length > maxChars) text = `${text.slice(0, maxChars)}\n…`;
  return {
    text,
    addedLines: ops.filter((op) => op.kind === '+').length,
    removedLines: ops.filter((op) => op.kind === '-').length,
    changedWords,
    totalWords: Math.max(wordCount(a), wordCount(b)),
  };
}
