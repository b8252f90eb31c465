import type { PostMetrics } from '../../modules/publishing/ports.js';

/** Shared by the networks' `fetchMetrics`: a post's measures, each 0 until the network reports it. */
export function postMetrics(publicationId: string, measures: Partial<Omit<PostMetrics, 'publicationId'>>): PostMetrics {
  return {
    publicationId,
    impressions: count(measures.impressions),
    reach: count(measures.reach),
    reactions: count(measures.reactions),
    comments: count(measures.comments),
    shares: count(measures.shares),
    clicks: count(measures.clicks),
    saves: count(measures.saves),
    videoViews: count(measures.videoViews),
  };
}

/** A count as a network sends it (number or numeric string, sometimes absent): a non-negative integer. */
export function count(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
