import { h } from './dom.js';
import { count, duration } from './format.js';
import type { PoolView } from './view-model.js';

function stat(id: string, label: string, value: string, detail: (Node | string)[], tone = ''): HTMLElement {
  return h(
    'article',
    { class: `stat ${tone}`.trim(), 'data-stat': id, 'aria-labelledby': `stat-${id}` },
    h('h3', { id: `stat-${id}`, class: 'stat-label' }, label),
    h('p', { class: 'stat-value' }, value),
    h('p', { class: 'stat-detail' }, ...detail),
  );
}

/** A bar of how much of today's capacity is spent; only where the pool has a limit. */
export function meter(used: number, limit: number | null, label: string): HTMLElement | null {
  if (limit === null || limit <= 0) return null;
  const share = Math.min(1, used / limit);
  const bar = h('span', { class: `meter-fill${share >= 0.9 ? ' hot' : share >= 0.7 ? ' warm' : ''}` });
  bar.style.width = `${(share * 100).toFixed(1)}%`;
  return h('span', { class: 'meter', role: 'meter', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': limit, 'aria-valuenow': used }, bar);
}

export function renderPool(p: PoolView, now: number): HTMLElement[] {
  const usedToday = p.capacityToday === null || p.remainingToday === null ? null : p.capacityToday - p.remainingToday;
  const remaining =
    p.remainingToday === null
      ? stat('remaining', 'Remaining today', 'No limit', [`across ${count(p.accounts)} account${p.accounts === 1 ? '' : 's'}`])
      : stat(
          'remaining',
          'Remaining today',
          count(p.remainingToday),
          [
            `of ${count(p.capacityToday ?? 0)} · ${count(p.usableAccounts)} of ${count(p.accounts)} account${p.accounts === 1 ? '' : 's'} usable`,
            meter(usedToday ?? 0, p.capacityToday, 'Share of today’s requests spent') ?? '',
          ],
          p.remainingToday === 0 ? 'bad' : p.capacityToday && p.remainingToday < p.capacityToday * 0.1 ? 'warn' : '',
        );
  const errors =
    p.upstreamErrorsLastHour === null
      ? stat('errors', 'Upstream errors (1 h)', '–', ['not reported by this server'])
      : stat(
          'errors',
          'Upstream errors (1 h)',
          count(p.upstreamErrorsLastHour),
          [
            p.upstreamErrorsByOutcome.length === 0
              ? 'none'
              : p.upstreamErrorsByOutcome
                  .slice(0, 3)
                  .map(([outcome, n]) => `${count(n)} ${outcome}`)
                  .join(' · '),
          ],
          p.upstreamErrorsLastHour > 0 ? 'warn' : '',
        );
  return [
    stat('answered', 'Answered today', count(p.answeredToday), [p.failedToday > 0 ? `${count(p.failedToday)} failed` : 'no failures']),
    remaining,
    stat('reset', 'Daily reset in', duration(p.resetsAt - now), [`free-model quotas reset at 00:00 UTC`]),
    stat('waiting', 'Waiting', count(p.waiting), [`${count(p.active)} in progress upstream`], p.waiting > 0 ? 'busy' : ''),
    errors,
  ];
}
