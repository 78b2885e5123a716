-- Shared helpers, prepended to every script by lua-script.ts (after the generated prelude).
local DAY_MS = 86400000
-- Starts are checked against a window slightly longer than 60 s so that a request
-- recorded here and arriving upstream a little later still falls in the same window.
local MINUTE_WINDOW_MS = 61000

-- Sliding window over a zset of start times: drops what left the window and returns when one
-- more start is allowed (now, or when the (count - limit + 1)-th oldest leaves).
local function window_free_at(zset_key, now, window_ms, limit)
  redis.call('ZREMRANGEBYSCORE', zset_key, '-inf', now - window_ms)
  local count = redis.call('ZCARD', zset_key)
  if count < limit then return now end
  local oldest = redis.call('ZRANGE', zset_key, count - limit, count - limit, 'WITHSCORES')
  return tonumber(oldest[2]) + window_ms
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function day_number(ms)
  return math.floor(ms / DAY_MS)
end

-- The day limit in force: the configured one, lowered by what upstream told us (learned).
local function day_limit(state_key, configured)
  local learned = tonumber(redis.call('HGET', state_key, 'dayLimit'))
  if learned and (configured == 0 or learned < configured) then return learned end
  return configured
end

-- A key out of rotation: invalid or out of credits (disabled), or told by upstream it is done
-- for the day (exhaustedUntil). Returns the reason, or nil when the key may serve.
local function out_of_rotation(state_key, now)
  local disabled = redis.call('HGET', state_key, 'disabled')
  if disabled then return disabled end
  local exhausted = tonumber(redis.call('HGET', state_key, 'exhaustedUntil'))
  if exhausted and exhausted > now then return 'exhausted' end
  return nil
end

local function started_today(base, now)
  return tonumber(redis.call('HGET', key_day(base, day_number(now)), 'started')) or 0
end

-- Earliest time a new request may start on this key, given spacing and the sliding minute.
local function next_start(base, now, interval, per_minute)
  local state_key = key_state(base)
  local t = now
  local last = tonumber(redis.call('HGET', state_key, 'last'))
  if last and interval > 0 and last + interval > t then t = last + interval end
  local cooldown = tonumber(redis.call('HGET', state_key, 'cooldownUntil'))
  if cooldown and cooldown > t then t = cooldown end
  if per_minute > 0 then
    local free_at = window_free_at(key_minute(base), now, MINUTE_WINDOW_MS, per_minute)
    if free_at > t then t = free_at end
  end
  return t
end

-- Estimated start of a new request that has `pending` routed requests ahead of it on this key:
-- spacing between them, and each start at least a window after the start per_minute places earlier.
local function estimate_start(base, now, interval, per_minute, pending)
  local first = next_start(base, now, interval, per_minute)
  local at = first + pending * interval
  if per_minute > 0 then
    local minute_key = key_minute(base)
    local count = redis.call('ZCARD', minute_key)
    local k = count + pending
    if k >= per_minute then
      local rounds = math.floor(k / per_minute)
      local r = k % per_minute
      local anchor
      if r < count then
        anchor = tonumber(redis.call('ZRANGE', minute_key, r, r, 'WITHSCORES')[2])
      else
        anchor = first + (r - count) * interval
      end
      local by_minute = anchor + rounds * MINUTE_WINDOW_MS
      if by_minute > at then at = by_minute end
    end
  end
  return at
end
