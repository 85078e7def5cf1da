-- Lets go of a conversation's lease, only if ARGV[1] still holds it (a holder that was taken over
-- must not free its successor's lease), and forgets it in the registry.
-- KEYS[1] the lease, KEYS[2] the lane's registry of leases
-- ARGV[1] the holder, ARGV[2] the conversation id
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
return 1
