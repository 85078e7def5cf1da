-- Frees a lock only while ARGV[1] still holds it: a holder whose lock expired must not free the
-- next holder's. KEYS[1] the lock.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
