import { expect } from 'chai';
import { CircuitBreaker } from '../../../../src/modules/ai/circuit-breaker.js';

function frozenClock(start = 1_000_000) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after three consecutive failures for the cooldown, then lets one call try', () => {
    const clock = frozenClock();
    const breaker = new CircuitBreaker(clock, 3, 30_000);
    breaker.recordFailure('m');
    breaker.recordFailure('m');
    expect(breaker.isAvailable('m')).to.equal(true);
    breaker.recordFailure('m');
    expect(breaker.state('m')).to.equal('open');
    clock.advance(29_999);
    expect(breaker.isAvailable('m')).to.equal(false);
    clock.advance(1);
    expect(breaker.state('m')).to.equal('half_open');
    breaker.recordFailure('m');
    expect(breaker.state('m')).to.equal('open');
    clock.advance(30_000);
    breaker.recordSuccess('m');
    expect(breaker.state('m')).to.equal('closed');
    expect(breaker.failures('m')).to.equal(0);
  });

  it('honours a provider Retry-After at once', () => {
    const clock = frozenClock();
    const breaker = new CircuitBreaker(clock);
    const until = breaker.recordFailure('m', 5_000);
    expect(until?.getTime()).to.equal(clock.now().getTime() + 5_000);
    expect(breaker.isAvailable('m')).to.equal(false);
    clock.advance(5_000);
    expect(breaker.isAvailable('m')).to.equal(true);
  });

  it('keeps models apart', () => {
    const breaker = new CircuitBreaker(frozenClock(), 1);
    breaker.recordFailure('a');
    expect(breaker.isAvailable('a')).to.equal(false);
    expect(breaker.isAvailable('b')).to.equal(true);
  });
});
