import { expect } from 'chai';
import { costMicros, type ModelPrices } from '../../../../src/modules/ai/domain.js';

const sonnet: ModelPrices = {
  inputPriceMicrosPerMtok: 3_000_000,
  outputPriceMicrosPerMtok: 15_000_000,
  cachedInputPriceMicrosPerMtok: 300_000,
  cacheWritePriceMicrosPerMtok: 3_750_000,
  audioPriceMicrosPerMinute: 0,
  batchDiscountBp: 5000,
};
const none = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 };

describe('costMicros', () => {
  it('prices uncached input and output per million tokens', () => {
    // 1,000 in × $3/M = 3,000 µ$ ; 500 out × $15/M = 7,500 µ$
    expect(costMicros(sonnet, { ...none, inputTokens: 1000, outputTokens: 500 })).to.equal(10_500);
  });

  it('bills cache reads and cache writes at their own prices', () => {
    // 10,000 cached × $0.30/M = 3,000 ; 2,000 written × $3.75/M = 7,500 ; 100 in = 300 ; 100 out = 1,500
    expect(costMicros(sonnet, { inputTokens: 100, outputTokens: 100, cachedInputTokens: 10_000, cacheWriteTokens: 2_000 })).to.equal(12_300);
  });

  it('falls back to the input price when a model has no cache prices', () => {
    const plain = { ...sonnet, cachedInputPriceMicrosPerMtok: null, cacheWritePriceMicrosPerMtok: null };
    expect(costMicros(plain, { ...none, cachedInputTokens: 1000, cacheWriteTokens: 1000 })).to.equal(6_000);
  });

  it('applies the batch discount (-50%)', () => {
    expect(costMicros(sonnet, { ...none, inputTokens: 1000, outputTokens: 500 }, { batch: true })).to.equal(5_250);
  });

  it('prices audio by the second and rounds up once at the end', () => {
    const whisper = { ...sonnet, inputPriceMicrosPerMtok: 0, outputPriceMicrosPerMtok: 0, audioPriceMicrosPerMinute: 6_000 };
    expect(costMicros(whisper, { ...none, audioSeconds: 11 })).to.equal(1_100);
    expect(costMicros(whisper, { ...none, audioSeconds: 1 })).to.equal(100);
    // 1 token at $3/M = 3 µ$ exactly; 1 token at $0.10/M = 0.1 µ$ → 1
    expect(costMicros({ ...sonnet, inputPriceMicrosPerMtok: 100_000 }, { ...none, inputTokens: 1 })).to.equal(1);
  });

  it('costs nothing for nothing', () => {
    expect(costMicros(sonnet, none)).to.equal(0);
  });
});
