import { expect } from 'chai';
import { Semaphore } from '../../../src/shared/semaphore.js';

describe('Semaphore', () => {
  it('never runs more than its size at once, and runs everything', async () => {
    const semaphore = new Semaphore(3);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        semaphore.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setImmediate(r));
          running--;
          done.push(i);
        }),
      ),
    );
    expect(peak).to.equal(3);
    expect(done).to.have.length(20);
  });

  it('frees the slot when a task throws', async () => {
    const semaphore = new Semaphore(1);
    await semaphore.run(async () => Promise.reject(new Error('boom'))).catch(() => undefined);
    expect(await semaphore.run(async () => 'next')).to.equal('next');
  });

  it('refuses a size below one', () => {
    expect(() => new Semaphore(0)).to.throw();
  });
});
