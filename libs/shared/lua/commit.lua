-- Marks the moment a granted free-model request has fully left the worker: spacing counts from
-- here, so event-loop lag between the grant and the write can never squeeze two requests together.
-- KEYS[1] BullMQ limiter key; ARGV: base, startMember (as recorded by acquire.lua), interval,
--   perMinute, leadMs, accountMap, spacingScope, perDay, perDayExplicit (0/1)
local base = ARGV[1]
local start_member = ARGV[2]
local interval = tonumber(ARGV[3])
local per_minute = tonumber(ARGV[4])
local lead = tonumber(ARGV[5])
local abase = account_base(ARGV[6], base)
local sbase = spacing_base(ARGV[7], base, abase)
local spacing_state = key_state(sbase)
local now = now_ms()
local last = tonumber(redis.call('HGET', spacing_state, 'last')) or 0
if now > last then redis.call('HSET', spacing_state, 'last', now) end
redis.call('HDEL', spacing_state, 'sendingUntil')
if per_minute > 0 then redis.call('ZADD', key_minute(abase), 'XX', now, start_member) end
local used, limit = account_day(abase, now, tonumber(ARGV[8]), tonumber(ARGV[9]))
local cfg = {
  interval = interval, per_minute = per_minute, per_day = tonumber(ARGV[8]), scope = ARGV[7],
  explicit = tonumber(ARGV[9]), paid_per_minute = 0,
}
-- The spacing moved: the routing index follows.
reindex_account(cfg, ARGV[6], abase, base, now)
local ms = next_start(abase, sbase, now, interval, per_minute) - lead - now
-- Once the account's free-model day is spent, the queue is not held back: its paid-model jobs run.
if ms > 0 and (limit == 0 or used < limit) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < ms then redis.call('SET', KEYS[1], LIMITER_BLOCKED, 'PX', ms) end
end
return now
