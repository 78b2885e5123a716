-- Reads one key's limit state and its account's for /api/status, Bull Board and /metrics, with
-- the same arithmetic the limit scripts use.
-- ARGV: base, interval, perMinute, perDay, accountMap, spacingScope, perDayExplicit (0/1)
local base = ARGV[1]
local interval = tonumber(ARGV[2])
local per_minute = tonumber(ARGV[3])
local per_day = tonumber(ARGV[4])
local abase = account_base(ARGV[5], base)
local sbase = spacing_base(ARGV[6], base, abase)
local explicit = tonumber(ARGV[7])
local now = now_ms()
local start = next_start(abase, sbase, now, interval, per_minute)
local own_minute = redis.call('ZCOUNT', key_minute(base), now - 60000, '+inf')
local account_minute = redis.call('ZCOUNT', key_minute(abase), now - 60000, '+inf')
local day = redis.call('HMGET', key_day(base, day_number(now)), 'started', 'succeeded', 'failed', 'prompt_tokens', 'completion_tokens', 'paidStarted')
local reserved = pending_count(key_pending(base), now)
local paid_reserved = pending_count(key_paid_pending(base), now)
local used, limit, source, account_started, upstream_used = account_day(abase, now, per_day, explicit)
local account = redis.call('HMGET', key_state(abase), 'cooldownUntil', 'exhaustedUntil', 'masked', 'source', 'upLimit')
local disabled = disabled_reason(base) or ''
-- A flat field/value list, read by name in key-status.ts (decodeKeyStatusReply).
return {
  'now', now, 'nextStart', start, 'thisMinute', own_minute,
  'started', day[1] or '0', 'succeeded', day[2] or '0', 'failed', day[3] or '0',
  'promptTokens', day[4] or '0', 'completionTokens', day[5] or '0', 'paidStarted', day[6] or '0',
  'reserved', reserved, 'paidReserved', paid_reserved, 'disabled', disabled,
  'cooldownUntil', account[1] or '0', 'exhaustedUntil', account[2] or '0',
  'accountBase', abase, 'accountMasked', account[3] or '', 'accountSource', account[4] or '',
  'accountMinute', account_minute, 'accountStarted', account_started,
  'dayUsed', used, 'dayLimit', limit, 'limitSource', source,
  'upstreamUsed', upstream_used or -1, 'upstreamLimit', account[5] or -1,
}
