-- Picks the key whose next free slot comes first for one new request and reserves a place on it,
-- atomically, so several API processes never promise the same quota twice. A free-model request
-- is routed by its account's state (minute, today's use, cooldown) and the spacing; a paid-model
-- one (it counts toward no free-model limit) to the usable key with the least paid work waiting.
-- Its cost does not grow with the number of keys: candidates come from the routing index
-- (common.lua), best first, and only a few are checked exactly.
-- ARGV: requestId, pendingTtlMs, maxWaitMs (longest acceptable wait), interval, perMinute, perDay,
--       accountMap, spacingScope, perDayExplicit (0/1), quota ('free' | 'paid'), paidPerMinute,
--       moving (1: a queued request looking for a sooner slot), then bases the request must not go to
-- Returns {ROUTE.routed, ms, base} (ms = estimated wait), {ROUTE.noneToday, ms until the day resets},
-- {ROUTE.noneUsable, 0} every key is invalid or out of credits, {ROUTE.tooLong, estimate},
-- {ROUTE.unsynced, 0} there is no index to read (a Redis that lost its data): sync, then route again.
local request_id = ARGV[1]
local pending_ttl = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local map = ARGV[7]
local cfg = {
  interval = tonumber(ARGV[4]), per_minute = tonumber(ARGV[5]), per_day = tonumber(ARGV[6]),
  scope = ARGV[8], explicit = tonumber(ARGV[9]), paid_per_minute = tonumber(ARGV[11]),
}
local paid = ARGV[10] == 'paid'
local moving = ARGV[12] == '1'
local skipped = {}
for i = 13, #ARGV do skipped[ARGV[i]] = true end
local now = now_ms()

-- Candidates read per batch, and the most checked exactly per request.
local BATCH = 8
local MAX_CHECKED = 48
-- Index entries whose time came are brought up to date first (a bounded number per request).
local PROMOTE = 16

local ready, waiting, spent = index_ready(map), index_waiting(map), index_spent(map)
if redis.call('EXISTS', route_config(map)) == 0 then return {ROUTE.unsynced, 0} end

local best, best_at, best_rank, best_load = nil, 0, 0, 0
local function consider(base, at, rank, load)
  if best == nil or at < best_at or (at == best_at and (rank > best_rank or (rank == best_rank and load < best_load))) then
    best, best_at, best_rank, best_load = base, at, rank, load
  end
end

if paid then
  -- Scored by paid work waiting (and the optional paid cap): the best few are checked exactly.
  local top = redis.call('ZRANGE', index_paid(map), 0, BATCH * 2 - 1)
  for _, base in ipairs(top) do
    if not skipped[base] then
      local at, queued = paid_estimate(cfg, base, now)
      if at == nil then reindex_paid(cfg, map, base, now) else consider(base, at, 0, queued) end
    end
  end
  if best == nil and redis.call('ZCARD', index_paid(map)) == 0 then return {ROUTE.noneUsable, 0} end
else
  for _, zset in ipairs({ waiting, spent }) do
    for _, base in ipairs(redis.call('ZRANGEBYSCORE', zset, '-inf', now, 'LIMIT', 0, PROMOTE)) do
      reindex_free(cfg, map, base, now)
    end
  end
  -- Merge the ready keys (bound now + score) and the waiting ones (bound = score) in order of that
  -- bound, a batch at a time; the index orders ties as route would (more left today, less waiting).
  local function cursor(zset)
    return { zset = zset, list = {}, at = 1, offset = 0, done = false }
  end
  local function peek(c)
    if c.at > #c.list and not c.done then
      c.list = redis.call('ZRANGE', c.zset, c.offset, c.offset + BATCH - 1, 'WITHSCORES')
      c.at, c.offset = 1, c.offset + BATCH
      if #c.list < BATCH * 2 then c.done = true end
    end
    if c.at > #c.list then return nil end
    return c.list[c.at], tonumber(c.list[c.at + 1])
  end
  local rc, wc = cursor(ready), cursor(waiting)
  local checked, beyond = 0, nil
  while checked < MAX_CHECKED do
    local r_base, r_score = peek(rc)
    local w_base, w_score = peek(wc)
    local r_bound = r_score and now + math.floor(r_score)
    local base, bound
    if r_base and (not w_base or r_bound <= w_score) then
      base, bound = r_base, r_bound
      rc.at = rc.at + 2
    elseif w_base then
      base, bound = w_base, w_score
      wc.at = wc.at + 2
    else
      break
    end
    -- A moving request's estimates are below the index's: it checks a full batch.
    if best ~= nil and (checked >= BATCH or (bound >= best_at and not moving)) then break end
    if best == nil and bound - now > max_wait then
      beyond = bound - now
      break
    end
    if not skipped[base] then
      checked = checked + 1
      local at, _, left, pend = free_estimate(cfg, map, base, now, moving)
      if at == nil then
        -- The index was behind (a day spent, a key disabled): bring it up to date.
        reindex_free(cfg, map, base, now)
      else
        consider(base, at, left, pend)
      end
    end
  end
  if best == nil then
    if beyond then return {ROUTE.tooLong, beyond} end
    if redis.call('ZCARD', ready) + redis.call('ZCARD', waiting) + redis.call('ZCARD', spent) == 0 then
      return {ROUTE.noneUsable, 0}
    end
    return {ROUTE.noneToday, next_day_start(now) - now}
  end
end

if best == nil then return {ROUTE.noneToday, next_day_start(now) - now} end
local wait = best_at - now
if wait > max_wait then
  return {ROUTE.tooLong, wait}
end
if paid then
  redis.call('ZREMRANGEBYSCORE', key_paid_pending(best), '-inf', now)
  redis.call('ZADD', key_paid_pending(best), now + pending_ttl, request_id)
  redis.call('PEXPIRE', key_paid_pending(best), pending_ttl)
  reindex_paid(cfg, map, best, now)
else
  -- Reserved on the key and on its account (the account's reservations bound its day and queue).
  local abase = account_base(map, best)
  -- Expired reservations (jobs that were lost) go as a new one comes.
  redis.call('ZREMRANGEBYSCORE', key_pending(best), '-inf', now)
  redis.call('ZADD', key_pending(best), now + pending_ttl, request_id)
  redis.call('PEXPIRE', key_pending(best), pending_ttl)
  if abase ~= best then
    redis.call('ZREMRANGEBYSCORE', key_pending(abase), '-inf', now)
    redis.call('ZADD', key_pending(abase), now + pending_ttl, request_id)
    redis.call('PEXPIRE', key_pending(abase), pending_ttl)
  end
  reindex_account(cfg, map, abase, best, now)
end
return {ROUTE.routed, wait, best}
