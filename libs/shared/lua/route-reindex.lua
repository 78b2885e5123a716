-- Brings one key's routing index entries up to date after a change made outside the limit scripts
-- (upstream's verdict on the key or its account, a key back in rotation, credit spent).
-- ARGV: accountMap, keyBase
local now = now_ms()
reindex_key(read_route_config(ARGV[1]), ARGV[1], ARGV[2], now)
return 1
