-- Picks the key whose next free slot comes first for one new request and reserves a place on it,
-- atomically, so several API processes never promise the same quota twice.
-- ARGV: requestId, pendingTtlMs, queueTimeoutMs, interval, perMinute, perDay, base1, base2, ...
-- (a base prefixed with '!' is skipped: a key the request must not go back to)
-- Returns {index, ms}: index >= 1 chosen key (ms = estimated wait), ROUTE.noneToday none can serve today
-- (ms until the day resets), ROUTE.tooLong the estimated wait exceeds the queue timeout (ms = estimate).
local request_id = ARGV[1]
local pending_ttl = tonumber(ARGV[2])
local queue_timeout = tonumber(ARGV[3])
local interval = tonumber(ARGV[4])
local per_minute = tonumber(ARGV[5])
local per_day = tonumber(ARGV[6])
local now = now_ms()

local best, best_at, best_load = 0, 0, 0
for i = 7, #ARGV do
  local base = ARGV[i]
  local state_key = key_state(base)
  if string.sub(base, 1, 1) ~= '!' and not out_of_rotation(state_key, now) then
    local pending_key = key_pending(base)
    redis.call('ZREMRANGEBYSCORE', pending_key, '-inf', now)
    local pending = redis.call('ZCARD', pending_key)
    local limit = day_limit(state_key, per_day)
    local used = started_today(base, now)
    if limit == 0 or used + pending < limit then
      local at = estimate_start(base, now, interval, per_minute, pending)
      local load = used + pending
      if best == 0 or at < best_at or (at == best_at and load < best_load) then
        best, best_at, best_load = i - 6, at, load
      end
    end
  end
end

if best == 0 then
  return {ROUTE.noneToday, (day_number(now) + 1) * DAY_MS - now}
end
local wait = best_at - now
if wait > queue_timeout then
  return {ROUTE.tooLong, wait}
end
redis.call('ZADD', key_pending(ARGV[6 + best]), now + pending_ttl, request_id)
redis.call('PEXPIRE', key_pending(ARGV[6 + best]), pending_ttl)
return {best, wait}
