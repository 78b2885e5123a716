-- Shared helpers, prepended to every script by lua-script.ts (after the generated prelude).
--
-- Three bases take part in every free-model decision: the key's own (`base`: its disabled
-- state, its pending reservations), its account's (`abase`: the sliding minute, today's count,
-- cooldown and exhaustion, upstream's figures), and the spacing's (`sbase`: the key's or the
-- account's, KEY_MIN_INTERVAL_SCOPE). A key whose account is not known is its own account.
local DAY_MS = 86400000
-- Starts are checked against a window slightly longer than 60 s so that a request
-- recorded here and arriving upstream a little later still falls in the same window.
local MINUTE_WINDOW_MS = 61000
-- Starts this recent may not have reached upstream when it answered GET /key: counted as
-- not included in its figure, so today's use is never underestimated.
local UPSTREAM_READ_MARGIN_MS = 5000

-- Sliding window over a zset of start times: drops what left the window and returns when one
-- more start is allowed (now, or when the (count - limit + 1)-th oldest leaves).
local function window_free_at(zset_key, now, window_ms, limit)
  redis.call('ZREMRANGEBYSCORE', zset_key, '-inf', now - window_ms)
  local count = redis.call('ZCARD', zset_key)
  if count < limit then return now end
  local oldest = redis.call('ZRANGE', zset_key, count - limit, count - limit, 'WITHSCORES')
  return tonumber(oldest[2]) + window_ms
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function day_number(ms)
  return math.floor(ms / DAY_MS)
end

-- A key's or account's state hash, read once per script run (routing reads it for many checks);
-- a script that writes a state hash forgets it here so that later reads see the write.
local state_cache = {}
local function state_of(b)
  local s = state_cache[b]
  if s == nil then
    s = {}
    local flat = redis.call('HGETALL', key_state(b))
    for i = 1, #flat, 2 do s[flat[i]] = flat[i + 1] end
    state_cache[b] = s
  end
  return s
end
local function forget_state(b)
  state_cache[b] = nil
end

-- The account whose free-model limits a key's requests count against (account-registry.ts),
-- read once per script run; account-join.lua, the one script that changes it, forgets them.
local account_cache = {}
local function account_base(account_map, base)
  local a = account_cache[base]
  if a == nil then
    a = redis.call('HGET', account_map, base) or base
    account_cache[base] = a
  end
  return a
end
local function forget_accounts()
  account_cache = {}
  state_cache = {}
end

local function spacing_base(scope, base, abase)
  if scope == 'account' then return abase end
  return base
end

-- Why a key is out of rotation (invalid, no credits), or nil when it may serve.
local function disabled_reason(base)
  return state_of(base).disabled
end

local function account_exhausted(abase, now)
  local until_ms = tonumber(state_of(abase).exhaustedUntil)
  return until_ms ~= nil and until_ms > now
end

-- Today's free-model use of an account and the ceiling in force:
-- used = our own starts, or upstream's figure plus our starts since it was read, whichever is more;
-- limit = KEY_REQUESTS_PER_DAY when set explicitly (lowered by a per-day 429's X-RateLimit-Limit),
-- else upstream's ceiling (GET /key), else the 429's, else the configured default.
-- Returns used, limit, source ('config' | 'upstream' | 'learned'), our starts, upstream's used or false.
local function account_day(abase, now, configured, explicit)
  local today = day_number(now)
  local started = tonumber(redis.call('HGET', key_day(abase, today), 'started')) or 0
  local f = state_of(abase)
  local up_limit, up_used, up_started, up_day, learned = tonumber(f.upLimit), tonumber(f.upUsed), tonumber(f.upStarted), tonumber(f.upDay), tonumber(f.dayLimit)
  -- A learned ceiling (a per-day 429's X-RateLimit-Limit, learned-limits.ts) lapses at the next
  -- UTC reset: credits bought today count from tomorrow.
  local learned_until = tonumber(f.dayLimitUntil)
  if learned and (learned < 1 or not learned_until or learned_until <= now) then learned = nil end
  local used = started
  local upstream_used = false
  if up_used and up_day == today then
    upstream_used = up_used
    local estimate = up_used + math.max(0, started - (up_started or 0))
    if estimate > used then used = estimate end
  end
  local limit, source = configured, 'config'
  local lowered = learned ~= nil and (configured == 0 or learned < configured)
  if explicit == 1 then
    if lowered then limit, source = learned, 'learned' end
  elseif up_limit then
    limit, source = up_limit, 'upstream'
  elseif lowered then
    limit, source = learned, 'learned'
  end
  return used, limit, source, started, upstream_used
end

-- Earliest time a new free-model request may start on a key: its spacing, its account's
-- cooldown (upstream's per-minute 429) and its account's sliding minute.
local function next_start(abase, sbase, now, interval, per_minute)
  local t = now
  local last = tonumber(state_of(sbase).last)
  if last and interval > 0 and last + interval > t then t = last + interval end
  local cooldown = tonumber(state_of(abase).cooldownUntil)
  if cooldown and cooldown > t then t = cooldown end
  if per_minute > 0 then
    local free_at = window_free_at(key_minute(abase), now, MINUTE_WINDOW_MS, per_minute)
    if free_at > t then t = free_at end
  end
  return t
end

-- Estimated start of a new request with `spaced` routed requests ahead of it under the same
-- spacing and `queued` ahead of it on the same account: spacing between the former, and each
-- start at least a window after the start per_minute places earlier on the account.
local function estimate_start(abase, sbase, now, interval, per_minute, spaced, queued)
  local first = next_start(abase, sbase, now, interval, per_minute)
  local at = first + spaced * interval
  if per_minute > 0 then
    local minute = key_minute(abase)
    local count = redis.call('ZCARD', minute)
    local k = count + queued
    if k >= per_minute then
      local rounds = math.floor(k / per_minute)
      local r = k % per_minute
      local anchor = first
      if r < count then anchor = tonumber(redis.call('ZRANGE', minute, r, r, 'WITHSCORES')[2]) end
      local by_minute = anchor + rounds * MINUTE_WINDOW_MS
      if by_minute > at then at = by_minute end
    end
  end
  return at, first
end

-- Reservations not started yet (expired ones not counted; route.lua drops them when it adds one).
local function pending_count(zset_key, now)
  return redis.call('ZCOUNT', zset_key, '(' .. now, '+inf')
end

-- Routing index (route.lua reads it; every script that changes what routing depends on keeps it).
-- Three zsets next to the account map, members are key bases:
--   ready   keys free now, scored by the delay their queued work adds (ms; the fraction breaks ties);
--   waiting keys free later, scored by their estimated start (epoch ms; a lower bound);
--   spent   keys whose account is done for today (exhausted, day cap booked), scored by when that lapses.
-- A disabled key is in none. The paid zset scores every usable key by its paid work waiting.
-- The index is only a hint for choosing: route.lua re-checks each candidate, acquire.lua holds the limits.

-- Limits the index was built with (written by route-index-sync.lua), for scripts not given them.
local function read_route_config(map)
  local f = redis.call('HMGET', route_config(map), 'interval', 'perMinute', 'perDay', 'explicit', 'scope', 'paidPerMinute')
  return {
    interval = tonumber(f[1]) or 0, per_minute = tonumber(f[2]) or 0, per_day = tonumber(f[3]) or 0,
    explicit = tonumber(f[4]) or 0, scope = f[5] or 'key', paid_per_minute = tonumber(f[6]) or 0,
  }
end

local function next_day_start(now)
  return (day_number(now) + 1) * DAY_MS
end

-- One key's free-model estimate for a new request: at, first (free ignoring queued work), left today,
-- the key's reservations. nil, until when it cannot serve (account done for today); nil, nil when disabled.
local function free_estimate(cfg, map, base, now, moving)
  if disabled_reason(base) then return nil, nil end
  local abase = account_base(map, base)
  local pend = pending_count(key_pending(base), now)
  local apend = pend
  if abase ~= base then apend = pending_count(key_pending(abase), now) end
  local exhausted_until = tonumber(state_of(abase).exhaustedUntil)
  if exhausted_until and exhausted_until > now then return nil, exhausted_until end
  local used, limit = account_day(abase, now, cfg.per_day, cfg.explicit)
  local booked = used + apend
  if limit > 0 and booked >= limit then return nil, next_day_start(now) end
  local sbase = spacing_base(cfg.scope, base, abase)
  local spaced = pend
  if cfg.scope == 'account' then spaced = apend end
  -- A request already queued has waited longer than most of its account's other reservations:
  -- for it only the target key's own queue counts ahead of it (acquire still holds the limits).
  local queued = apend
  if moving then queued = pend end
  local at, first = estimate_start(abase, sbase, now, cfg.interval, cfg.per_minute, spaced, queued)
  local left = 1e15
  if limit > 0 then left = limit - booked end
  return at, first, left, pend
end

-- Puts a key in one of the free-model zsets (or none), leaving the others. The key's state hash
-- remembers which one holds it (field `routeIn`), so a key staying where it is costs one ZADD;
-- `thorough` (a sync) removes it from every other zset whatever that field says.
local function place_free(map, base, where, score, thorough)
  local zsets = { ready = index_ready(map), waiting = index_waiting(map), spent = index_spent(map) }
  local state = state_of(base)
  local was = state.routeIn
  for _, name in ipairs({ 'ready', 'waiting', 'spent' }) do
    if name ~= where and (thorough or was == name) then redis.call('ZREM', zsets[name], base) end
  end
  if where ~= nil then redis.call('ZADD', zsets[where], score, base) end
  local now_in = where or ''
  if was ~= now_in then
    redis.call('HSET', key_state(base), 'routeIn', now_in)
    state.routeIn = now_in
  end
end

local function reindex_free(cfg, map, base, now, thorough)
  local at, first, left, pend = free_estimate(cfg, map, base, now, false)
  if at == nil then
    if first == nil then place_free(map, base, nil, 0, thorough) else place_free(map, base, 'spent', first, thorough) end
  elseif first <= now then
    -- Ties (same delay) go to more left today, then to less waiting, as route.lua breaks them.
    local tie = (99999 - math.min(left, 99999)) / 1e5 + math.min(pend, 999) / 1e8
    place_free(map, base, 'ready', (at - now) + tie, thorough)
  else
    place_free(map, base, 'waiting', at, thorough)
  end
end

-- A key's paid-model estimate: at, paid work waiting; nil when disabled.
local function paid_estimate(cfg, base, now)
  if disabled_reason(base) then return nil end
  local queued = pending_count(key_paid_pending(base), now)
  local at = now
  if cfg.paid_per_minute > 0 then
    at = window_free_at(key_paid_minute(base), now, MINUTE_WINDOW_MS, cfg.paid_per_minute)
      + math.floor(queued / cfg.paid_per_minute) * MINUTE_WINDOW_MS
  end
  return at, queued
end

local function reindex_paid(cfg, map, base, now)
  local at, queued = paid_estimate(cfg, base, now)
  if at == nil then
    redis.call('ZREM', index_paid(map), base)
  else
    redis.call('ZADD', index_paid(map), (at - now) + math.min(queued, 999999) / 1000000, base)
  end
end

-- Every key whose free-model routing depends on this account's state: its members, or `base`
-- alone when the key is its own account (abase == base).
local function reindex_account(cfg, map, abase, base, now)
  if abase == base then
    reindex_free(cfg, map, base, now)
    return
  end
  for _, b in ipairs(redis.call('SMEMBERS', key_members(abase))) do reindex_free(cfg, map, b, now) end
end

-- After a change to one key: its free entry (through its account, which may hold others) and its paid one.
local function reindex_key(cfg, map, base, now)
  reindex_account(cfg, map, account_base(map, base), base, now)
  reindex_paid(cfg, map, base, now)
end
