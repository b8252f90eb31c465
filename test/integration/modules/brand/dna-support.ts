import type { Database } from '../../../../src/adapters/db/database.js';

/** Onboarding inputs of a tenant (one session), as the wizard stores them. */
export async function createInputs(database: Database, tenantId: string, inputs: { text: string; kind?: 'text' | 'url'; questionKey?: string }[]): Promise<string[]> {
  return database.forTenant(tenantId, async (trx) => {
    const [session] = await trx('onboardingSessions').insert({ tenantId, kind: 'pipeline', status: 'in_progress' }).returning('id');
    const ids: string[] = [];
    for (const input of inputs) {
      const kind = input.kind ?? 'text';
      const [row] = await trx('onboardingInputs')
        .insert({
          tenantId,
          sessionId: session.id,
          kind,
          status: 'done',
          questionKey: input.questionKey ?? null,
          rawText: kind === 'text' ? input.text : null,
          sourceUrl: kind === 'url' ? 'https://www.example.fr/' : null,
          extractedText: input.text,
          extractedChars: input.text.length,
        })
        .returning('id');
      ids.push(row.id);
    }
    return ids;
  });
}
