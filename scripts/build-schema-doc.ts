// Assembles docs/schema.md from the per-module parts in docs/schema/*.md (npm run docs:schema).
import fs from 'node:fs';
import path from 'node:path';

const dir = path.resolve('docs/schema');
const order = ['tenancy', 'billing', 'ai', 'brand', 'studio', 'calendar', 'publishing', 'watch', 'analytics', 'pipeline'];
const parts = fs.readdirSync(dir).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3));
const sorted = [...order.filter((p) => parts.includes(p)), ...parts.filter((p) => !order.includes(p)).sort()];

const intro = `# Schema

Generated from \`docs/schema/*.md\` by \`npm run docs:schema\`; edit the parts, not this file.

The specification's golden rule: every table that V1, V2 and V3 need exists from the first migration;
interfaces and engines come in their phase. **Phase** is when the feature ships; **V1 status** is the
specification's reading: "✓ used in V1" (created and used) or "◉ prepared" (created now, interface or
engine plugged in later). A test checks that every table of the database appears here.

Conventions: UUID keys; \`tenant_id NOT NULL\` with row-level security on every tenant-owned table (see
\`docs/architecture.md\`); foreign keys; CHECK constraints for states; money in integer cents, AI costs in
integer micro-units, credits as integers; JSONB only where the shape is truly open; \`created_at\` /
\`updated_at\` everywhere; a \`locale\` column on every table with translatable text.

## Translatable fields (all modules)

The exhaustive list of translatable text (the specification's action item §4.2) is the union of the
"Translatable fields" sections below. Each of these columns lives in a table that has a \`locale\` column;
V1 runs one active language per tenant (\`tenants.locale\`), V2 adds translations through the UI without a
schema change (a translated row is another row with another \`locale\`).
`;

const body = sorted.map((p) => fs.readFileSync(path.join(dir, `${p}.md`), 'utf8').trim()).join('\n\n');
fs.writeFileSync('docs/schema.md', `${intro}\n${body}\n`);
console.log(`docs/schema.md: ${sorted.join(', ')}`);
