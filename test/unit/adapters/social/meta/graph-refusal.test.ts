import { expect } from 'chai';
import { graphRefusal } from '../../../../../src/adapters/social/meta/graph.js';

function refusal(status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) {
  return graphRefusal('facebook', status, new Headers(headers), { error }, JSON.stringify({ error }));
}

describe('Graph API refusal mapping', () => {
  it('reads throttling from the error code, with Meta’s estimated wait or a default', () => {
    const withEstimate = refusal(400, { code: 32 }, { 'x-business-use-case-usage': '{"1":[{"estimated_time_to_regain_access":3}]}' });
    expect([withEstimate.kind, withEstimate.code, withEstimate.options.retryAfterMs]).to.deep.equal(['temporary', 'rateLimited', 180_000]);
    const noEstimate = refusal(403, { code: 613 });
    expect([noEstimate.kind, noEstimate.options.retryAfterMs]).to.deep.equal(['temporary', 15 * 60_000]);
    expect(refusal(429, { code: 4 }, { 'retry-after': '20' }).options.retryAfterMs).to.equal(20_000);
  });

  it('tells an expired token (190/463) from a revoked one (190/460)', () => {
    expect(refusal(400, { code: 190, error_subcode: 463 })).to.include({ kind: 'permanent', code: 'tokenExpired' });
    expect(refusal(400, { code: 190, error_subcode: 460 })).to.include({ kind: 'permanent', code: 'tokenRevoked' });
  });

  it('keeps transient errors temporary but a refused app secret (code 1 too) permanent', () => {
    expect(refusal(400, { code: 2 })).to.include({ kind: 'temporary', code: 'networkUnavailable' });
    expect(refusal(400, { code: 1, message: 'Error validating client secret.' })).to.include({ kind: 'permanent', code: 'appRejected' });
    expect(refusal(400, { code: 100, is_transient: true })).to.include({ kind: 'temporary' });
  });

  it('names permissions, duplicates, media and other refusals', () => {
    expect(refusal(403, { code: 200 }).code).to.equal('permissionDenied');
    expect(refusal(400, { code: 506 }).code).to.equal('duplicateContent');
    expect(refusal(400, { code: 9004 }).code).to.equal('mediaRejected');
    expect(refusal(400, { code: 100 })).to.include({ kind: 'permanent', code: 'contentRejected' });
  });
});
