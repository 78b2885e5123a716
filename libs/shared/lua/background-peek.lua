-- The next background item to dispatch, without taking it: the client with the least fair-share
-- virtual time whose backlog holds something; its async jobs before its batches' lines, its
-- batches oldest first. Clients and batches found empty are dropped from the rotation here, in
-- the same atomic step that saw them empty (a submit re-adds them atomically too).
-- KEYS: clients zset. ARGV: async backlog prefix, client batches prefix, batch backlog prefix.
-- Returns {} or {clientId, lane, itemId, batchId ('' for async)}.
local clients = KEYS[1]
local async_prefix, batches_prefix, batch_prefix = ARGV[1], ARGV[2], ARGV[3]
local members = redis.call('ZRANGE', clients, 0, 99)
for _, client in ipairs(members) do
  local id = redis.call('LINDEX', async_prefix .. client, 0)
  if id then return {client, 'async', id, ''} end
  local batches = batches_prefix .. client
  while true do
    local b = redis.call('LINDEX', batches, 0)
    if not b then break end
    id = redis.call('LINDEX', batch_prefix .. b, 0)
    if id then return {client, 'batch', id, b} end
    redis.call('LPOP', batches)
  end
  redis.call('ZREM', clients, client)
end
return {}
