import type { Request, Response } from 'express';
import type { GenerationEvent } from './domain.js';

/** A request made by studio.js for the streamed answer (a plain form post has no such Accept). */
export function wantsEventStream(req: Request): boolean {
  return (req.get('Accept') ?? '').includes('text/event-stream');
}

export interface StreamFailure {
  status: number;
  message: string;
}

/**
 * Sends a generation as Server-Sent Events over the POST response: `delta` events with the text as it comes, then
 * `done` with what `onDone` returns (the refreshed editor), or `error` with a message for the page.
 *
 * The first event is awaited before anything is sent, so a refusal known up front (credits, regeneration cap,
 * generation in progress, no model) is answered with its own HTTP status. Once streaming, a failure becomes an
 * `error` event. If the client goes away, the generation is still consumed to its end so its version is saved and
 * the content leaves `generating`; only the writing stops. Data is JSON: no newline ever breaks an event.
 */
export async function streamGeneration(
  req: Request,
  res: Response,
  events: AsyncIterable<GenerationEvent>,
  handlers: {
    onDone(event: Extract<GenerationEvent, { type: 'done' }>): Promise<Record<string, unknown>>;
    failure(err: unknown): StreamFailure;
  },
): Promise<void> {
  let clientLeft = false;
  res.on('close', () => {
    if (!res.writableFinished) clientLeft = true;
  });
  const gone = () => clientLeft || res.destroyed || Boolean(req.socket?.destroyed);
  const send = (event: string, data: unknown) => {
    if (!gone()) res.write(frame(event, data));
  };

  const iterator = events[Symbol.asyncIterator]();
  let step: IteratorResult<GenerationEvent>;
  try {
    step = await iterator.next();
  } catch (err) {
    const failure = handlers.failure(err);
    startStream(res, failure.status);
    send('error', failure);
    res.end();
    return;
  }

  startStream(res, 200);
  try {
    for (; !step.done; step = await iterator.next()) {
      const event = step.value;
      if (event.type === 'delta') send('delta', { text: event.text });
      else if (!gone()) send('done', await handlers.onDone(event));
    }
  } catch (err) {
    send('error', handlers.failure(err));
  }
  if (gone()) req.log?.info({ contentId: req.params.id }, 'generation finished after the client left');
  res.end();
}

function startStream(res: Response, status: number): void {
  if (res.headersSent) return;
  res.status(status);
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no', // a proxy must not hold the events back
  });
  res.flushHeaders();
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
