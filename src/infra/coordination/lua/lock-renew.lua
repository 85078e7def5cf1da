-- Extends a lock only while ARGV[1] still holds it. KEYS[1] the lock; ARGV[2] its new lifetime (ms).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
