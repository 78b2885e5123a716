-- Records which account a key belongs to (or, with an empty account base, that it is its own).
-- A key joining an account from its own brings along what it started while it counted alone
-- (today's count, its sliding minute, a cooldown or exhaustion), so the account never forgets
-- requests already made. ARGV: accountMap, keyBase, accountBase ('' = its own), masked, source
local account_map = ARGV[1]
local base = ARGV[2]
local target = ARGV[3]
if target == '' then target = base end
local old = redis.call('HGET', account_map, base) or base
if target ~= base then redis.call('HSET', key_state(target), 'masked', ARGV[4], 'source', ARGV[5]) end
if old == target then return 0 end

if old == base then
  local now = now_ms()
  local today = day_number(now)
  local started = tonumber(redis.call('HGET', key_day(base, today), 'started')) or 0
  if started > 0 then
    redis.call('HINCRBY', key_day(target, today), 'started', started)
    redis.call('PEXPIRE', key_day(target, today), 9 * DAY_MS)
  end
  redis.call('ZREMRANGEBYSCORE', key_minute(base), '-inf', now - MINUTE_WINDOW_MS)
  if redis.call('EXISTS', key_minute(base)) == 1 then
    redis.call('ZUNIONSTORE', key_minute(target), 2, key_minute(target), key_minute(base), 'AGGREGATE', 'MAX')
  end
  for _, field in ipairs({ 'cooldownUntil', 'exhaustedUntil', 'last' }) do
    local mine = tonumber(redis.call('HGET', key_state(base), field))
    local theirs = tonumber(redis.call('HGET', key_state(target), field))
    if mine and (not theirs or mine > theirs) then redis.call('HSET', key_state(target), field, mine) end
  end
end
if target == base then
  redis.call('HDEL', account_map, base)
else
  redis.call('HSET', account_map, base, target)
end
return 1
