-- Revokes a client key: after this no API process can find it by its hash.
-- Day counters are left to expire on their own (8 days).
-- ARGV: record, byHash, index, id
local record = ARGV[1]
local hash = redis.call('HGET', record, 'hash')
if not hash then return 0 end
redis.call('HDEL', ARGV[2], hash)
redis.call('ZREM', ARGV[3], ARGV[4])
redis.call('DEL', record, window_key(record))
return 1
