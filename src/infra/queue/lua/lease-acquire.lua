-- Takes a conversation's lease in one lane unless a live process holds it.
-- A holder is "<owner>|<token>", an owner "<instance name>~<boot nonce>"; the owner is alive while
-- the key ARGV[3] .. <instance name> holds its nonce (its heartbeat, liveness.ts). A lease whose
-- owner died (or restarted: a new nonce) is taken over at once.
-- KEYS[1] the lease, KEYS[2] the lane's registry of leases (hash: conversation -> holder)
-- ARGV[1] the new holder, ARGV[2] the conversation id, ARGV[3] alive-key prefix, ARGV[4] lease ttl (ms)
local current = redis.call('GET', KEYS[1])
if current then
  local owner = string.match(current, '^([^|]*)|') or ''
  local name, nonce = string.match(owner, '^(.*)~([^~]*)$')
  if name and redis.call('GET', ARGV[3] .. name) == nonce then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1
