-- Puts a client into the fair-share rotation if it is not there, at the least virtual time of
-- those waiting: a client back from idle gets no credit for the time it sent nothing.
-- KEYS: clients zset. ARGV: clientId.
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local low = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local at = 0
if low[2] then at = tonumber(low[2]) end
redis.call('ZADD', KEYS[1], at, ARGV[1])
return 1
