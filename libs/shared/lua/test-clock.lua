-- TEST BUILDS ONLY. lua-script.ts appends this after common.lua solely for Redis clients that
-- useTestClock() registered, which the processes do only when TEST_HOOKS=true, and the config
-- refuses TEST_HOOKS unless NODE_ENV=test. Production scripts never contain it, so no value in
-- Redis can move their clock. TEST_CLOCK_KEY is defined just above by lua-script.ts.
-- Redis TIME plus the offset a test set (test/support/test-clock.ts); no offset = Redis TIME.
local redis_now_ms = now_ms
local function now_ms()
  return redis_now_ms() + (tonumber(redis.call('GET', TEST_CLOCK_KEY)) or 0)
end
