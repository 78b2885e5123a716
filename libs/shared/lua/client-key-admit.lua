-- Admits one request presented with a client key: looks the key up by its hash, checks that it
-- is active and under its per-minute limit (sliding 60 s window), and counts the request.
-- One atomic step, so every API process shares the limit and sees a revocation at once.
-- ARGV: byHash, recordPrefix, keyHash, member (unique per request)
-- Returns {status, id, retryAfterMs, limit}, status from ADMIT (lua-constants.ts): unknown, admitted, disabled, overLimit.
local CLIENT_WINDOW_MS = 60000
local id = redis.call('HGET', ARGV[1], ARGV[3])
if not id then return {ADMIT.unknown, '', 0, 0} end
local record = ARGV[2] .. id
local fields = redis.call('HMGET', record, 'active', 'rateLimit')
if not fields[1] then return {ADMIT.unknown, '', 0, 0} end
if fields[1] ~= '1' then return {ADMIT.disabled, id, 0, 0} end
local now = now_ms()
local limit = tonumber(fields[2]) or 0
if limit > 0 then
  local window = key_window(record)
  local free_at = window_free_at(window, now, CLIENT_WINDOW_MS, limit)
  if free_at > now then return {ADMIT.overLimit, id, free_at - now, limit} end
  redis.call('ZADD', window, now, ARGV[4])
  redis.call('PEXPIRE', window, CLIENT_WINDOW_MS)
end
local day = key_day(record, day_number(now))
redis.call('HINCRBY', record, 'requests', 1)
redis.call('HSET', record, 'lastUsedAt', now)
redis.call('HINCRBY', day, 'requests', 1)
redis.call('PEXPIRE', day, 8 * DAY_MS)
return {ADMIT.admitted, id, 0, limit}
