-- The next `limit` background items in fair-share order, left in place: the client with the least
-- virtual time goes next, each pick adding 1/weight to it (as the commits will), its async jobs
-- before its batches' lines, its batches oldest first. Clients and batches found empty are dropped
-- from the rotation here, in the same atomic step that saw them empty (a submit re-adds them atomically).
-- KEYS: clients zset. ARGV: async backlog prefix, client batches prefix, batch backlog prefix,
--       limit, weights (JSON object clientId -> weight).
-- Returns a flat list: clientId, lane, itemId, batchId ('' for async), repeated.
local clients = KEYS[1]
local async_prefix, batches_prefix, batch_prefix = ARGV[1], ARGV[2], ARGV[3]
local limit = tonumber(ARGV[4])
local weights = cjson.decode(ARGV[5])
local members = redis.call('ZRANGE', clients, 0, 99, 'WITHSCORES')
local queues = {}
for i = 1, #members, 2 do
  local client = members[i]
  local items = {}
  for _, id in ipairs(redis.call('LRANGE', async_prefix .. client, 0, limit - 1)) do
    items[#items + 1] = {'async', id, ''}
  end
  local batches = batches_prefix .. client
  local seen = {}
  for _, b in ipairs(redis.call('LRANGE', batches, 0, -1)) do
    if #items >= limit then break end
    if not seen[b] then
      seen[b] = true
      local ids = redis.call('LRANGE', batch_prefix .. b, 0, limit - #items - 1)
      if #ids == 0 then
        redis.call('LREM', batches, 0, b)
      else
        for _, id in ipairs(ids) do items[#items + 1] = {'batch', id, b} end
      end
    end
  end
  if #items == 0 then
    redis.call('ZREM', clients, client)
  else
    local w = tonumber(weights[client]) or 1
    queues[#queues + 1] = {client = client, score = tonumber(members[i + 1]), step = 1 / w, items = items, next = 1}
  end
end
local out = {}
for _ = 1, limit do
  local best
  for _, q in ipairs(queues) do
    if q.next <= #q.items and (best == nil or q.score < best.score) then best = q end
  end
  if best == nil then break end
  local it = best.items[best.next]
  best.next = best.next + 1
  best.score = best.score + best.step
  out[#out + 1] = best.client
  out[#out + 1] = it[1]
  out[#out + 1] = it[2]
  out[#out + 1] = it[3]
end
return out
