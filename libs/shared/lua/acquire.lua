-- Atomically decides whether one request may start on one key now, and if so records the start.
-- A free-model request is held to its account's minute and day and to the spacing; a paid-model
-- request only to the key being usable and PAID_REQUESTS_PER_MINUTE (its own cap, off by default).
-- KEYS[1] cancel key of the request (all our keys share its cluster slot: redis-keys.ts)
-- ARGV: base, requestId, interval, perMinute, perDay, leadMs, horizonMs, sendLockMs,
--       accountMap, spacingScope, perDayExplicit (0/1), quota ('free' | 'paid'), paidPerMinute,
--       heartbeatStaleMs, heartbeat of the waiting API process or '' (not watched), client key record or '' (none),
--       the asking worker's line id or ''
-- The queue's BullMQ limiter key lives in the queue's own slot: the script cannot write it, so its
-- reply says how to hold the queue back and key-slots.ts does it (hold: -1 leave it, 0 release,
-- > 0 hold for that many ms). The hold only paces BullMQ's hand-outs; the limits are held here.
-- Returns {code, ms, hold, departIn}, codes from ACQUIRE (lua-constants.ts): granted (ms = the account's
--   starts today: names the start; departIn = ms the worker waits, from this reply, before it sends:
--   > 0 when the slot is a reservation within the horizon; and never less than the spacing after
--   its line's previous departure, which it alone knows when this start follows that one), waitHere ms (only while another granted
--   request holds the send lock), waitInQueue ms, cancelled, exhausted for today
--   (ms until the day resets), disabled (invalid, no credits), orphaned (its API process is gone),
--   revoked (its client key was revoked or disabled)
local base = ARGV[1]
local request_id = ARGV[2]
local interval = tonumber(ARGV[3])
local per_minute = tonumber(ARGV[4])
local per_day = tonumber(ARGV[5])
local lead = tonumber(ARGV[6])
local horizon = tonumber(ARGV[7])
local send_lock = tonumber(ARGV[8])
local abase = account_base(ARGV[9], base)
local sbase = spacing_base(ARGV[10], base, abase)
local explicit = tonumber(ARGV[11])
local paid = ARGV[12] == 'paid'
local paid_per_minute = tonumber(ARGV[13])
local heartbeat_stale = tonumber(ARGV[14])
local map = ARGV[9]
local cfg = {
  interval = interval, per_minute = per_minute, per_day = per_day, scope = ARGV[10],
  explicit = explicit, paid_per_minute = paid_per_minute,
}
local cancel_key = KEYS[1]
local heartbeat_key = ARGV[15]
local client_record = ARGV[16]
-- The worker's line of this key's jobs (slot-line.ts), or '' (none: never follows a grant).
local line = ARGV[17]
local hold = -1
-- A grant's wait before it may leave: > 0 for a reserved slot.
local depart_in = 0
local now = now_ms()

-- The request's reservation, on the key and on its account (route.lua made both), and the
-- routing index of every key whose estimate that changes.
local function drop_reservation()
  redis.call('ZREM', key_pending(base), request_id)
  if abase ~= base then redis.call('ZREM', key_pending(abase), request_id) end
end
local function reindexed(reply)
  reindex_account(cfg, map, abase, base, now)
  return reply
end
local function paid_reindexed(reply)
  reindex_paid(cfg, map, base, now)
  return reply
end

-- Nobody is waiting for the answer any more (its API process stopped beating, its client key was
-- revoked): the reply code to spend nothing on it, or nil. Only a stale beat counts: a missing one
-- is a Redis that lost its data (the API process re-beats within a second) or an API process that
-- closed cleanly after answering everything it waited for.
local function owner_gone()
  if heartbeat_key ~= '' then
    local beat = tonumber(redis.call('GET', heartbeat_key))
    if beat and beat + heartbeat_stale < now then return ACQUIRE.orphaned end
  end
  if client_record ~= '' and redis.call('HGET', client_record, 'active') ~= '1' then return ACQUIRE.revoked end
  return nil
end

local function decide_paid()
  if redis.call('EXISTS', cancel_key) == 1 then
    redis.call('ZREM', key_paid_pending(base), request_id)
    return paid_reindexed({ACQUIRE.cancelled, 0})
  end
  local gone = owner_gone()
  if gone then
    redis.call('ZREM', key_paid_pending(base), request_id)
    return paid_reindexed({gone, 0})
  end
  if disabled_reason(base) then
    redis.call('ZREM', key_paid_pending(base), request_id)
    return paid_reindexed({ACQUIRE.disabled, 0})
  end
  local paid_minute = key_paid_minute(base)
  if paid_per_minute > 0 then
    local free_at = window_free_at(paid_minute, now, MINUTE_WINDOW_MS, paid_per_minute)
    -- Never through the queue's limiter: that would hold back the key's free-model jobs too.
    if free_at > now then return {ACQUIRE.waitHere, free_at - now} end
  end
  redis.call('ZREM', key_paid_pending(base), request_id)
  local today = key_day(base, day_number(now))
  local started = redis.call('HINCRBY', today, 'paidStarted', 1)
  redis.call('PEXPIRE', today, 8 * DAY_MS)
  if paid_per_minute > 0 then
    redis.call('ZADD', paid_minute, now, request_id .. ':' .. started)
    redis.call('PEXPIRE', paid_minute, MINUTE_WINDOW_MS)
  end
  return paid_reindexed({ACQUIRE.granted, started})
end

-- Hold the queue's other jobs back until `at` minus the lead, so that BullMQ hands out
-- the next job just before its slot rather than letting every worker poll.
local function block_queue_until(at)
  hold = math.max(0, at - lead - now)
end

local function decide_free()
  if redis.call('EXISTS', cancel_key) == 1 then
    drop_reservation()
    block_queue_until(next_start(abase, sbase, now, interval, per_minute))
    return reindexed({ACQUIRE.cancelled, 0})
  end

  local gone = owner_gone()
  if gone then
    drop_reservation()
    block_queue_until(next_start(abase, sbase, now, interval, per_minute))
    return reindexed({gone, 0})
  end

  if disabled_reason(base) then
    drop_reservation()
    return reindexed({ACQUIRE.disabled, 0})
  end

  local used, limit = account_day(abase, now, per_day, explicit)
  if account_exhausted(abase, now) or (limit > 0 and used >= limit) then
    -- The queue is not blocked until midnight: its paid-model jobs may still run, and its
    -- free-model jobs each come here once and move on.
    drop_reservation()
    return reindexed({ACQUIRE.exhausted, (day_number(now) + 1) * DAY_MS - now})
  end

  local state = key_state(sbase)
  local sending = tonumber(redis.call('HGET', state, 'sendingUntil'))
  local held = sending and sending > now
  local follows = false
  if held and line ~= '' and redis.call('HGET', state, 'sendingLine') == line then
    -- The send lock is this worker's own line's: its previous request has left (the line asks only
    -- then) but is not committed yet. This one may follow it: the worker spaces it from that
    -- departure, which it knows exactly. Not while another worker waits for the key (fair turns).
    local contended = tonumber(redis.call('HGET', state, 'contendedUntil'))
    if not (contended and contended > now) then
      held = false
      follows = true
    end
  elseif held then
    -- Another worker holds the key: it hands the lock on at its next commit instead of following.
    redis.call('HSET', state, 'contendedUntil', now + 2 * interval + horizon)
  end
  local t = next_start(abase, sbase, now, interval, per_minute)
  if held and t <= now then
    -- The previous request has not left the worker yet; its commit moves `last` forward.
    return {ACQUIRE.waitHere, 2}
  end
  -- When the request may leave: now, or a slot within the horizon reserved for it (below).
  local at = now
  -- Following its line's previous start, the spacing is the worker's to keep (from that departure,
  -- which it knows exactly); only the minute and a cooldown are waited for from here.
  local unspaced_at = now
  if follows then unspaced_at = next_start(abase, sbase, now, 0, per_minute) end
  if t > now then
    local wait = t - now
    if wait > horizon then
      block_queue_until(t)
      return {ACQUIRE.waitInQueue, wait}
    end
    if held then
      block_queue_until(t + interval)
      return {ACQUIRE.waitHere, wait}
    end
    at = t
  end

  -- Granted: record the start everywhere it counts. A reservation (at > now) holds the send lock
  -- from now on, and the worker leaves no sooner than at - now after it has this reply, so its
  -- departure is never before `at` whatever the clocks; the commit then moves `last` to the
  -- real departure, as for a grant that leaves at once. The lock names its line and its start:
  -- only that start's commit releases it.
  redis.call('HSET', state, 'last', at)
  drop_reservation()
  local function count_start(b, day)
    local k = key_day(b, day)
    local n = redis.call('HINCRBY', k, 'started', 1)
    redis.call('PEXPIRE', k, 9 * DAY_MS)
    return n
  end
  local today = day_number(now)
  local started = count_start(abase, today)
  -- One member per start, never per request: a retried or re-run request starts again and must
  -- count again (keep in step with startMember() in key-slots.ts).
  local member = request_id .. ':' .. started
  if interval > 0 then redis.call('HSET', state, 'sendingUntil', at + send_lock, 'sendingLine', line, 'sendingMember', member) end
  forget_state(sbase)
  if per_minute > 0 then redis.call('ZADD', key_minute(abase), at, member) end
  if abase ~= base then
    -- The key's own share, for the status only (the limit is the account's).
    count_start(base, today)
    redis.call('ZREMRANGEBYSCORE', key_minute(base), '-inf', now - MINUTE_WINDOW_MS)
    redis.call('ZADD', key_minute(base), at, member)
  end
  -- A start in the last second of a UTC day may arrive upstream after midnight: count it in both days.
  if (today + 1) * DAY_MS - now < 1000 then count_start(abase, today + 1) end
  if limit > 0 and used + 1 >= limit then
    -- That was the account's last free-model request today: nothing to hold the queue back for.
    hold = 0
  else
    block_queue_until(next_start(abase, sbase, now, interval, per_minute))
  end
  depart_in = at - now
  if follows then depart_in = unspaced_at - now end
  return reindexed({ACQUIRE.granted, started})
end

local reply
if paid then reply = decide_paid() else reply = decide_free() end
reply[3] = hold
reply[4] = depart_in
return reply
