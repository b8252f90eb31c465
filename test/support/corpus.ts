import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared real-world test corpus: `shared/corpus`, a sibling of the repository (never edited). */
export const CORPUS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus');
