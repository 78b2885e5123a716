-- Gives back a reservation whose job will never start (removed while waiting, failed to enqueue):
-- from the key, from its account, and from the routing index's estimates.
-- ARGV: accountMap, keyBase, requestId, quota ('free' | 'paid')
local map, base, request_id = ARGV[1], ARGV[2], ARGV[3]
local now = now_ms()
local cfg = read_route_config(map)
if ARGV[4] == 'paid' then
  redis.call('ZREM', key_paid_pending(base), request_id)
  reindex_paid(cfg, map, base, now)
  return 1
end
local abase = account_base(map, base)
redis.call('ZREM', key_pending(base), request_id)
if abase ~= base then redis.call('ZREM', key_pending(abase), request_id) end
reindex_account(cfg, map, abase, base, now)
return 1
