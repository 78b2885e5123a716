import type { KeyStatus } from '../status/key-status-reader.js';

const clock = (iso: string): string => `${iso.slice(11, 19)} UTC`;
const of = (used: number, limit: number): string => (limit > 0 ? `${used}/${limit}` : `${used} (no limit)`);

function stateText(s: KeyStatus): string {
  switch (s.state) {
    case 'active':
      return 'active';
    case 'cooling-down':
      return `cooling down until ${s.cooldownUntil ? clock(s.cooldownUntil) : 'soon'}`;
    case 'exhausted':
      return `exhausted for today (resets ${clock(s.resetsAt)})`;
    case 'disabled':
      return `disabled${s.disabledReason ? `: ${s.disabledReason}` : ''}`;
  }
}

function nextSlotText(s: KeyStatus): string {
  if (s.state === 'disabled') return 'no next slot';
  if (s.nextFreeSlotInMs <= 0) return 'next free slot now';
  return `next free slot ${clock(s.nextFreeSlotAt)} (in ${Math.ceil(s.nextFreeSlotInMs / 1000)} s)`;
}

/**
 * One line for Bull Board under a key's queue: its state, today's and this minute's use against
 * the limits, and when it can next start a request. Shows nothing of the key but its mask.
 */
export function describeKeyQueue(s: KeyStatus): string {
  const a = s.account;
  const account = a.known ? `account ${a.id} (${a.source})` : 'account unknown (counts alone)';
  return [
    stateText(s),
    account,
    `account today ${of(a.used, a.limit)} (${a.limitSource}${a.upstreamUsed === null ? '' : `, upstream ${a.upstreamUsed}`}), this key ${s.today.started} started, ${s.today.succeeded} ok, ${s.today.failed} failed`,
    `account this minute ${of(a.thisMinute, s.limits.perMinute)}`,
    nextSlotText(s),
  ].join(' · ');
}
