-- Adds one answered request's tokens to a client key's totals and today's counts,
-- unless the key was deleted meanwhile (HINCRBY would bring its record back).
-- KEYS[1] record (its day hash is derived: the day comes from Redis TIME); ARGV: promptTokens, completionTokens
local record = KEYS[1]
if redis.call('EXISTS', record) == 0 then return 0 end
local day = key_day(record, day_number(now_ms()))
redis.call('HINCRBY', record, 'promptTokens', ARGV[1])
redis.call('HINCRBY', record, 'completionTokens', ARGV[2])
redis.call('HINCRBY', day, 'promptTokens', ARGV[1])
redis.call('HINCRBY', day, 'completionTokens', ARGV[2])
redis.call('PEXPIRE', day, 8 * DAY_MS)
return 1
