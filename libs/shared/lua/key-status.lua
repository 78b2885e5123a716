-- Reads one key's limit state for /api/status and Bull Board, with the same arithmetic the
-- limit scripts use. ARGV: base, interval, perMinute, perDay
local base = ARGV[1]
local interval = tonumber(ARGV[2])
local per_minute = tonumber(ARGV[3])
local per_day = tonumber(ARGV[4])
local state_key = base .. ':state'
local now = now_ms()
local start = next_start(base, now, interval, per_minute)
local minute = redis.call('ZCOUNT', base .. ':minute', now - 60000, '+inf')
local day = redis.call('HMGET', base .. ':day:' .. day_number(now), 'started', 'succeeded', 'failed', 'prompt_tokens', 'completion_tokens')
redis.call('ZREMRANGEBYSCORE', base .. ':pending', '-inf', now)
local pending = redis.call('ZCARD', base .. ':pending')
local limit = day_limit(state_key, per_day)
local cooldown = redis.call('HGET', state_key, 'cooldownUntil') or '0'
local disabled = redis.call('HGET', state_key, 'disabled') or ''
local exhausted_until = redis.call('HGET', state_key, 'exhaustedUntil') or '0'
return {now, start, minute, day[1] or '0', day[2] or '0', day[3] or '0', day[4] or '0', day[5] or '0', pending, limit, cooldown, disabled, exhausted_until}
