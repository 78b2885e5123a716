-- Picks the key whose next free slot comes first for one new request and reserves a place on it,
-- atomically, so several API processes never promise the same quota twice. A free-model request
-- is routed by its account's state (minute, today's use, cooldown) and the spacing; a paid-model
-- one (it counts toward no free-model limit) to the usable key with the least paid work waiting.
-- ARGV: requestId, pendingTtlMs, queueTimeoutMs, interval, perMinute, perDay, accountMap,
--       spacingScope, perDayExplicit (0/1), quota ('free' | 'paid'), paidPerMinute,
--       moving (1: a queued request looking for a sooner slot), base1, base2, ...
-- (a base prefixed with '!' is skipped: a key the request must not go back to)
-- Returns {index, ms}: index >= 1 chosen key (ms = estimated wait), ROUTE.noneToday none can serve today
-- (ms until the day resets), ROUTE.noneUsable every key is invalid or out of credits,
-- ROUTE.tooLong the estimated wait exceeds the queue timeout (ms = estimate).
local request_id = ARGV[1]
local pending_ttl = tonumber(ARGV[2])
local queue_timeout = tonumber(ARGV[3])
local interval = tonumber(ARGV[4])
local per_minute = tonumber(ARGV[5])
local per_day = tonumber(ARGV[6])
local account_map = ARGV[7]
local scope = ARGV[8]
local explicit = tonumber(ARGV[9])
local paid = ARGV[10] == 'paid'
local paid_per_minute = tonumber(ARGV[11])
local moving = ARGV[12] == '1'
local FIRST = 13
local now = now_ms()

local bases, skipped, abases, pend = {}, {}, {}, {}
local accounts = {}
for i = FIRST, #ARGV do
  local j = i - FIRST + 1
  local base = ARGV[i]
  if string.sub(base, 1, 1) == '!' then
    base = string.sub(base, 2)
    skipped[j] = true
  end
  bases[j] = base
  pend[j] = pending_count(key_pending(base), now)
  if not paid then
    local abase = account_base(account_map, base)
    abases[j] = abase
    local a = accounts[abase]
    if not a then
      a = { pending = 0 }
      accounts[abase] = a
    end
    -- Every reservation on the account counts, those of skipped keys too: they still start there.
    a.pending = a.pending + pend[j]
  end
end

local best, best_at, best_rank, best_load = 0, 0, 0, 0
local function consider(j, at, rank, load)
  if best == 0 or at < best_at or (at == best_at and (rank > best_rank or (rank == best_rank and load < best_load))) then
    best, best_at, best_rank, best_load = j, at, rank, load
  end
end

if paid then
  for j = 1, #bases do
    local base = bases[j]
    if not skipped[j] and not disabled_reason(base) then
      local queued = pending_count(key_paid_pending(base), now)
      local at = now
      if paid_per_minute > 0 then
        at = window_free_at(key_paid_minute(base), now, MINUTE_WINDOW_MS, paid_per_minute)
          + math.floor(queued / paid_per_minute) * MINUTE_WINDOW_MS
      end
      consider(j, at, 0, queued)
    end
  end
else
  for j = 1, #bases do
    local base = bases[j]
    local abase = abases[j]
    local a = accounts[abase]
    if not skipped[j] and not disabled_reason(base) and not account_exhausted(abase, now) then
      if a.used == nil then a.used, a.limit = account_day(abase, now, per_day, explicit) end
      local booked = a.used + a.pending
      if a.limit == 0 or booked < a.limit then
        local sbase = spacing_base(scope, base, abase)
        local spaced = pend[j]
        if scope == 'account' then spaced = a.pending end
        -- A request already queued has waited longer than most of its account's other reservations:
        -- for it only the target key's own queue counts ahead of it (acquire still holds the limits).
        local queued = a.pending
        if moving then queued = pend[j] end
        local at = estimate_start(abase, sbase, now, interval, per_minute, spaced, queued)
        -- Ties go to the account with more left today, then to the key with less waiting.
        local left = 1e15
        if a.limit > 0 then left = a.limit - booked end
        consider(j, at, left, pend[j])
      end
    end
  end
end

if best == 0 then
  -- Keys out of rotation for good (invalid, no credits), as opposed to done for today.
  local disabled = 0
  for j = 1, #bases do
    if disabled_reason(bases[j]) then disabled = disabled + 1 end
  end
  if disabled == #bases then return {ROUTE.noneUsable, 0} end
end
if best == 0 then
  return {ROUTE.noneToday, (day_number(now) + 1) * DAY_MS - now}
end
local wait = best_at - now
if wait > queue_timeout then
  return {ROUTE.tooLong, wait}
end
local reservations = key_pending(bases[best])
if paid then reservations = key_paid_pending(bases[best]) end
redis.call('ZADD', reservations, now + pending_ttl, request_id)
redis.call('PEXPIRE', reservations, pending_ttl)
return {best, wait}
