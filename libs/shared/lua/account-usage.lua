-- Stores what GET /key reported about an account's free-model requests today, with our own count
-- at that moment, so that our later starts are added to upstream's figure (account_day in common.lua).
-- ARGV: accountBase, used, limit (-1 = not reported), accountMap, keyBase (the key that read it)
local abase = ARGV[1]
local used = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local now = now_ms()
local today = day_number(now)
local started = tonumber(redis.call('HGET', key_day(abase, today), 'started')) or 0
-- Our latest starts may not have reached upstream before it answered: count them as not in its figure.
local recent = redis.call('ZCOUNT', key_minute(abase), now - UPSTREAM_READ_MARGIN_MS, '+inf')
redis.call('HSET', key_state(abase), 'upUsed', used, 'upStarted', math.max(0, started - recent), 'upDay', today, 'upAt', now)
if limit >= 0 then redis.call('HSET', key_state(abase), 'upLimit', limit) end
forget_state(abase)
if ARGV[4] then reindex_account(read_route_config(ARGV[4]), ARGV[4], abase, ARGV[5], now) end
return 1
