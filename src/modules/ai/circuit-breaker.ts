import type { Clock } from '../../shared/clock.js';

interface ModelState {
  consecutiveFailures: number;
  openUntil: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Per-model cooldown so a dead model is not retried on every call. Opens after `threshold` consecutive
 * failures for `cooldownMs`, or at once for a provider's Retry-After. After the cooldown one call may
 * try it (half open); a success closes it, a failure opens it again.
 */
export class CircuitBreaker {
  private readonly states = new Map<string, ModelState>();

  constructor(
    private readonly clock: Clock,
    private readonly threshold = 3,
    private readonly cooldownMs = 30_000,
  ) {}

  state(modelId: string): BreakerState {
    const s = this.states.get(modelId);
    if (!s || s.openUntil === 0) return 'closed';
    return this.clock.now().getTime() < s.openUntil ? 'open' : 'half_open';
  }

  isAvailable(modelId: string): boolean {
    return this.state(modelId) !== 'open';
  }

  recordSuccess(modelId: string): void {
    this.states.delete(modelId);
  }

  /** Returns the time the model stays unavailable until, if this failure opened (or kept open) the circuit. */
  recordFailure(modelId: string, retryAfterMs?: number): Date | null {
    const s = this.states.get(modelId) ?? { consecutiveFailures: 0, openUntil: 0 };
    s.consecutiveFailures += 1;
    const now = this.clock.now().getTime();
    const wasHalfOpen = s.openUntil !== 0 && now >= s.openUntil;
    if (retryAfterMs !== undefined) s.openUntil = Math.max(s.openUntil, now + retryAfterMs);
    else if (s.consecutiveFailures >= this.threshold || wasHalfOpen) s.openUntil = now + this.cooldownMs;
    this.states.set(modelId, s);
    return s.openUntil > now ? new Date(s.openUntil) : null;
  }

  failures(modelId: string): number {
    return this.states.get(modelId)?.consecutiveFailures ?? 0;
  }
}
