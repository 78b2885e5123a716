-- Records which account a key belongs to (or, with an empty account base, that it is its own).
-- A key joining an account from its own brings along what it started while it counted alone
-- (today's count, its sliding minute, a cooldown or exhaustion), so the account never forgets
-- requests already made. Its reservations move with it, and the routing index of both accounts'
-- keys follows. ARGV: accountMap, keyBase, accountBase ('' = its own), masked, source
local account_map = ARGV[1]
local base = ARGV[2]
local target = ARGV[3]
if target == '' then target = base end
local old = redis.call('HGET', account_map, base) or base
if target ~= base then redis.call('HSET', key_state(target), 'masked', ARGV[4], 'source', ARGV[5]) end
if old == target then return 0 end

local now = now_ms()
if old == base then
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
-- The key's reservations leave its old account's and join its new one's (a key alone keeps its own).
local mine = redis.call('ZRANGE', key_pending(base), 0, -1, 'WITHSCORES')
for i = 1, #mine, 2 do
  if old ~= base then redis.call('ZREM', key_pending(old), mine[i]) end
  if target ~= base then
    redis.call('ZADD', key_pending(target), mine[i + 1], mine[i])
  end
end
-- Never shortens the life of the account's other reservations.
if target ~= base and #mine > 0 then
  local ttl = tonumber(mine[#mine]) - now
  if ttl > 0 and redis.call('PTTL', key_pending(target)) < ttl then redis.call('PEXPIRE', key_pending(target), ttl) end
end
if old ~= base then redis.call('SREM', key_members(old), base) end
if target == base then
  redis.call('HDEL', account_map, base)
else
  redis.call('HSET', account_map, base, target)
  redis.call('SADD', key_members(target), base)
end
-- The map and both accounts' states changed above.
forget_accounts()
local cfg = read_route_config(account_map)
if old ~= base then reindex_account(cfg, account_map, old, nil, now) end
reindex_account(cfg, account_map, target, base, now)
return 1
