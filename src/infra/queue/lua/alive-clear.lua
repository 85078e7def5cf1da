-- A stopping process gives up its heartbeat, so its leases are free at once; only if the key still
-- holds its own nonce (a newer boot of the same instance may have taken the name).
-- KEYS[1] the instance's alive key, ARGV[1] its nonce
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
