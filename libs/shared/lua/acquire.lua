-- Atomically decides whether one request may start on one key now, and if so records the start.
-- KEYS[1] BullMQ limiter key of the key's queue, KEYS[2] cancel key of the request
-- ARGV: base, requestId, interval, perMinute, perDay, leadMs, horizonMs, sendLockMs
-- Returns {code, ms}, codes from ACQUIRE (lua-constants.ts): granted (ms = starts today), waitHere ms,
--   waitInQueue ms, cancelled, exhausted for today (ms until the day resets), disabled (invalid, no credits)
local base = ARGV[1]
local request_id = ARGV[2]
local interval = tonumber(ARGV[3])
local per_minute = tonumber(ARGV[4])
local per_day = tonumber(ARGV[5])
local lead = tonumber(ARGV[6])
local horizon = tonumber(ARGV[7])
local send_lock = tonumber(ARGV[8])
local limiter_key = KEYS[1]
local state_key = key_state(base)
local now = now_ms()

-- Hold the queue's other jobs back until `at` minus the lead, so that BullMQ hands out
-- the next job just before its slot rather than letting every worker poll.
local function block_queue_until(at)
  local ms = at - lead - now
  if ms > 0 then
    redis.call('SET', limiter_key, LIMITER_BLOCKED, 'PX', ms)
  else
    redis.call('DEL', limiter_key)
  end
end

if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('ZREM', key_pending(base), request_id)
  block_queue_until(next_start(base, now, interval, per_minute))
  return {ACQUIRE.cancelled, 0}
end

local out = out_of_rotation(state_key, now)
if out and out ~= 'exhausted' then
  redis.call('ZREM', key_pending(base), request_id)
  return {ACQUIRE.disabled, 0}
end

local limit = day_limit(state_key, per_day)
if out == 'exhausted' or (limit > 0 and started_today(base, now) >= limit) then
  local reset = (day_number(now) + 1) * DAY_MS
  redis.call('ZREM', key_pending(base), request_id)
  block_queue_until(reset)
  return {ACQUIRE.exhausted, reset - now}
end

local sending = tonumber(redis.call('HGET', state_key, 'sendingUntil'))
local t = next_start(base, now, interval, per_minute)
if sending and sending > now and t <= now then
  -- The previous request has not left the worker yet; its commit moves `last` forward.
  return {ACQUIRE.waitHere, 2}
end
if t > now then
  local wait = t - now
  if wait > horizon then
    block_queue_until(t)
    return {ACQUIRE.waitInQueue, wait}
  end
  block_queue_until(t + interval)
  return {ACQUIRE.waitHere, wait}
end

-- Granted: record the start everywhere it counts.
redis.call('HSET', state_key, 'last', now)
if interval > 0 then redis.call('HSET', state_key, 'sendingUntil', now + send_lock) end
redis.call('ZREM', key_pending(base), request_id)
local today = key_day(base, day_number(now))
local started = redis.call('HINCRBY', today, 'started', 1)
redis.call('PEXPIRE', today, 8 * DAY_MS)
-- One member per start, never per request: a retried or re-run request starts again and must
-- count again (keep in step with startMember() in key-slots.ts).
if per_minute > 0 then redis.call('ZADD', key_minute(base), now, request_id .. ':' .. started) end
-- A start in the last second of a UTC day may arrive upstream after midnight: count it in both days.
local next_midnight = (day_number(now) + 1) * DAY_MS
if next_midnight - now < 1000 then
  local tomorrow = key_day(base, day_number(now) + 1)
  redis.call('HINCRBY', tomorrow, 'started', 1)
  redis.call('PEXPIRE', tomorrow, 9 * DAY_MS)
end
block_queue_until(next_start(base, now, interval, per_minute))
return {ACQUIRE.granted, started}
