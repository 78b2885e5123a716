-- Takes a peeked background item out of its backlog once the router reserved it a key, in one
-- step with the bookkeeping that lets a lost dispatch be found again (the in-flight zset).
-- KEYS: backlog list, clients zset, in-flight zset, item hash.
-- ARGV: itemId, clientId, virtual-time increment, in-flight deadline (ms), now (ms), keyId.
-- Returns 1 when taken, 0 when it was no longer there (cancelled meanwhile).
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
if redis.call('ZSCORE', KEYS[2], ARGV[2]) then redis.call('ZINCRBY', KEYS[2], ARGV[3], ARGV[2]) end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('HSET', KEYS[4], 'status', 'dispatched', 'dispatchedAt', ARGV[5], 'keyId', ARGV[6])
return 1
