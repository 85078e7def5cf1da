-- Takes one call from every window of every budget, all or nothing (sliding-window log).
-- KEYS[i]   a budget's sorted set of call times (ms, Redis' own clock so instances agree)
-- ARGV[1]   a member id unique to this call
-- ARGV[2]   JSON: for each key, its windows as [[limit, ms], ...]
-- Returns 0 when taken, else the ms until a call fits.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local budgets = cjson.decode(ARGV[2])
local wait = 0
for i, key in ipairs(KEYS) do
  for _, w in ipairs(budgets[i]) do
    local limit, ms = w[1], w[2]
    local inside = redis.call('ZCOUNT', key, '(' .. (now - ms), '+inf')
    if inside >= limit then
      -- The call `limit` places back must leave the window before one more fits.
      local blocking = redis.call('ZRANGEBYSCORE', key, '(' .. (now - ms), '+inf', 'WITHSCORES', 'LIMIT', inside - limit, 1)
      local until_free = tonumber(blocking[2]) + ms - now
      if until_free > wait then wait = until_free end
    end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local longest = 0
  for _, w in ipairs(budgets[i]) do
    if w[2] > longest then longest = w[2] end
  end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - longest)
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, longest)
end
return 0
