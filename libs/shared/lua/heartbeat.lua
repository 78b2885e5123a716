-- One beat of an API process: stores Redis's own clock (so workers compare like with like) and
-- returns the previous beat, nil when there was none (the first beat, or Redis lost its data).
-- KEYS[1] heartbeat key, ARGV[1] ttl ms
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], now_ms(), 'PX', tonumber(ARGV[1]))
return previous
