import express, { Router } from 'express';
import type { PaymentService } from './payment-service.js';

/**
 * `POST /webhooks/stripe`: Stripe's callbacks, authenticated by their `Stripe-Signature` over the raw body — no
 * session, no CSRF token. Mount before the body parsers (which would consume the raw body) and the session.
 */
export function stripeWebhookRoutes(deps: { paymentService: PaymentService }): Router {
  const router = Router();
  router.post('/webhooks/stripe', express.raw({ type: () => true, limit: '512kb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const answer = await deps.paymentService.handleStripeWebhook(raw, req.get('stripe-signature'));
    res.status(answer.status).json(answer.body);
  });
  return router;
}
