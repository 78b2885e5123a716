-- Marks the moment a granted free-model request has fully left the worker: spacing counts from
-- here, so event-loop lag between the grant and the write can never squeeze two requests together.
-- KEYS[1] the account map (anchors the script in our cluster slot); ARGV: base, startMember (as
--   recorded by acquire.lua), interval, perMinute, leadMs, accountMap, spacingScope, perDay, perDayExplicit (0/1)
-- Returns {now, hold}: hold > 0 asks key-slots.ts to hold the queue back at least that many ms
-- (its BullMQ limiter key is in the queue's slot, out of this script's reach).
local base = ARGV[1]
local start_member = ARGV[2]
local interval = tonumber(ARGV[3])
local per_minute = tonumber(ARGV[4])
local lead = tonumber(ARGV[5])
local abase = account_base(ARGV[6], base)
local sbase = spacing_base(ARGV[7], base, abase)
local spacing_state = key_state(sbase)
local now = now_ms()
local last = tonumber(redis.call('HGET', spacing_state, 'last')) or 0
if now > last then redis.call('HSET', spacing_state, 'last', now) end
-- A later start of the same line may hold the lock already (acquire.lua): then it is that one's to release.
local holder = redis.call('HGET', spacing_state, 'sendingMember')
if not holder or holder == start_member then redis.call('HDEL', spacing_state, 'sendingUntil', 'sendingLine', 'sendingMember') end
forget_state(sbase)
if per_minute > 0 then redis.call('ZADD', key_minute(abase), 'XX', now, start_member) end
local used, limit = account_day(abase, now, tonumber(ARGV[8]), tonumber(ARGV[9]))
local cfg = {
  interval = interval, per_minute = per_minute, per_day = tonumber(ARGV[8]), scope = ARGV[7],
  explicit = tonumber(ARGV[9]), paid_per_minute = 0,
}
-- The spacing moved: the routing index follows.
reindex_account(cfg, ARGV[6], abase, base, now)
local ms = next_start(abase, sbase, now, interval, per_minute) - lead - now
-- Once the account's free-model day is spent, the queue is not held back: its paid-model jobs run.
local hold = 0
if ms > 0 and (limit == 0 or used < limit) then hold = ms end
return {now, hold}
