-- Reads one key's limit state for /api/status and Bull Board, with the same arithmetic the
-- limit scripts use. ARGV: base, interval, perMinute, perDay
local base = ARGV[1]
local interval = tonumber(ARGV[2])
local per_minute = tonumber(ARGV[3])
local per_day = tonumber(ARGV[4])
local state_key = key_state(base)
local now = now_ms()
local start = next_start(base, now, interval, per_minute)
local minute = redis.call('ZCOUNT', key_minute(base), now - 60000, '+inf')
local day = redis.call('HMGET', key_day(base, day_number(now)), 'started', 'succeeded', 'failed', 'prompt_tokens', 'completion_tokens')
redis.call('ZREMRANGEBYSCORE', key_pending(base), '-inf', now)
local pending = redis.call('ZCARD', key_pending(base))
local limit = day_limit(state_key, per_day)
local cooldown = redis.call('HGET', state_key, 'cooldownUntil') or '0'
local disabled = redis.call('HGET', state_key, 'disabled') or ''
local exhausted_until = redis.call('HGET', state_key, 'exhaustedUntil') or '0'
-- A flat field/value list, read by name in key-status.ts (decodeKeyStatusReply).
return {
  'now', now, 'nextStart', start, 'thisMinute', minute,
  'started', day[1] or '0', 'succeeded', day[2] or '0', 'failed', day[3] or '0',
  'promptTokens', day[4] or '0', 'completionTokens', day[5] or '0',
  'reserved', pending, 'dayLimit', limit, 'cooldownUntil', cooldown, 'disabled', disabled, 'exhaustedUntil', exhausted_until,
}
