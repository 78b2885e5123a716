-- Makes the routing index hold exactly this pool of keys, every entry freshly computed, and stores
-- the limits it is computed with (for the scripts that are not given them). Run by each process
-- before its first route: the one O(keys) step; routing itself then reads only the best few.
-- ARGV: accountMap, interval, perMinute, perDay, perDayExplicit (0/1), spacingScope, paidPerMinute,
--       then every key base of the pool
local map = ARGV[1]
redis.call('HSET', route_config(map), 'interval', ARGV[2], 'perMinute', ARGV[3], 'perDay', ARGV[4],
  'explicit', ARGV[5], 'scope', ARGV[6], 'paidPerMinute', ARGV[7])
local cfg = read_route_config(map)
local now = now_ms()
local pool = {}
for i = 8, #ARGV do pool[ARGV[i]] = true end
-- Keys no longer configured leave every zset.
for _, zset in ipairs({ index_ready(map), index_waiting(map), index_spent(map), index_paid(map) }) do
  for _, base in ipairs(redis.call('ZRANGE', zset, 0, -1)) do
    if not pool[base] then redis.call('ZREM', zset, base) end
  end
end
for i = 8, #ARGV do
  reindex_free(cfg, map, ARGV[i], now, true)
  reindex_paid(cfg, map, ARGV[i], now)
end
return #ARGV - 7
