-- Holds a key queue's BullMQ hand-outs back (or lets them go), as acquire.lua and commit.lua
-- decided: a step of its own because the limiter key lives in the queue's cluster slot.
-- KEYS[1] the queue's BullMQ limiter key; ARGV: mode ('set': exactly ms, 0 releases;
-- 'extend': at least ms, never shorter than a hold already there), ms
local ms = tonumber(ARGV[2])
if ARGV[1] == 'extend' then
  if ms > 0 and redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], LIMITER_BLOCKED, 'PX', ms) end
elseif ms > 0 then
  redis.call('SET', KEYS[1], LIMITER_BLOCKED, 'PX', ms)
else
  redis.call('DEL', KEYS[1])
end
return 1
