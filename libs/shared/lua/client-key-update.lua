-- Sets fields of an existing client key; never creates one (a concurrent DELETE wins).
-- ARGV: record, field, value, field, value, ...
local record = ARGV[1]
if redis.call('EXISTS', record) == 0 then return 0 end
for i = 2, #ARGV, 2 do
  redis.call('HSET', record, ARGV[i], ARGV[i + 1])
end
return 1
