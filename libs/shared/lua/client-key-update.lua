-- Sets fields of an existing client key; never creates one (a concurrent DELETE wins).
-- KEYS[1] record; ARGV: field, value, field, value, ...
local record = KEYS[1]
if redis.call('EXISTS', record) == 0 then return 0 end
for i = 1, #ARGV, 2 do
  redis.call('HSET', record, ARGV[i], ARGV[i + 1])
end
return 1
