-- Carrier throughput per sending number: GCRA with reservations (rateLimiter.ts has the design).
-- KEYS[1] tat of the number (the time it is free again), KEYS[2] reservation of this message
-- ARGV[1] cost (segments), ARGV[2] rate (segments/s)
-- Returns {delayMs, slotMs, nowMs}, clocked by Redis TIME so every process agrees.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held = redis.call('GET', KEYS[2])
if held then
  held = tonumber(held)
  if held <= now then redis.call('DEL', KEYS[2]) return {0, held, now} end
  return {held - now, held, now}
end
local cost = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(tat, now)
local nextFree = start + math.ceil(cost * 1000 / rate)
redis.call('SET', KEYS[1], nextFree, 'PX', nextFree - now + 1000)
if start > now then
  redis.call('SET', KEYS[2], start, 'PX', start - now + 3600000)
  return {start - now, start, now}
end
return {0, start, now}
