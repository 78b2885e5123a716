-- Revokes a client key: after this no API process can find it by its hash.
-- Day counters are left to expire on their own (8 days).
-- KEYS: record, byHash, index, window; ARGV: id
local hash = redis.call('HGET', KEYS[1], 'hash')
if not hash then return 0 end
redis.call('HDEL', KEYS[2], hash)
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[1], KEYS[4])
return 1
