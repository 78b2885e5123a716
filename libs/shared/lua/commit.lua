-- Marks the moment a granted request has fully left the worker: spacing counts from here,
-- so event-loop lag between the grant and the write can never squeeze two requests together.
-- KEYS[1] BullMQ limiter key; ARGV: base, startMember (as recorded by acquire.lua), interval, perMinute, leadMs
local base = ARGV[1]
local start_member = ARGV[2]
local interval = tonumber(ARGV[3])
local per_minute = tonumber(ARGV[4])
local lead = tonumber(ARGV[5])
local state_key = key_state(base)
local now = now_ms()
local last = tonumber(redis.call('HGET', state_key, 'last')) or 0
if now > last then redis.call('HSET', state_key, 'last', now) end
redis.call('HDEL', state_key, 'sendingUntil')
if per_minute > 0 then redis.call('ZADD', key_minute(base), 'XX', now, start_member) end
local ms = next_start(base, now, interval, per_minute) - lead - now
if ms > 0 then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < ms then redis.call('SET', KEYS[1], LIMITER_BLOCKED, 'PX', ms) end
end
return now
