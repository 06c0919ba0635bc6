"""The Lua scripts behind the Redis stores on Redis Cluster.

Redis Cluster runs a script on the node that serves its keys, and refuses a
script whose keys lie in different hash slots. So on a cluster every key one
script touches carries the same hash tag:

* conversations are spread over ``shards`` hash tags (a customer's shard is
  fixed by its ids); a conversation's record ``{prefix}conv:{<tag>}:{bot}:{user}``,
  its history ids ``…:history`` and its shard of the expiring index
  ``{prefix}expiring:{<tag>}`` share the tag, so every per-customer write
  (record and expiring index together) stays one atomic script;
* a ticket link ``{prefix}ticket:{ticket}`` and a claim
  ``{prefix}claim:{token}`` are single keys, each in its own slot.

What one script cannot do across slots, the store does in steps (see
`botcopy_handover.state._redis_core`): linking a ticket writes the
record, then the ticket key, then unlinks the former owner; finding by ticket
reads the ticket key, then the record, and trusts the link only if the record
names the ticket too. The ticket key's expiry cannot be re-armed by the
record's scripts, so a writing script returns ``{payload, renew}``: ``renew``
is ``{ticket key, ttl ms}`` when the ticket key must live longer (at most
once per ``retention``), else ``false``. Times come from the caller's clock
(``ARGV[1]``, ms), never from Redis.
"""

from __future__ import annotations

__all__ = [
    "CLAIM",
    "DELETE",
    "DROP_TICKET",
    "EXPIRING",
    "FIND",
    "HISTORY",
    "LAPSE",
    "LINK",
    "PAUSE",
    "READ_TICKET",
    "RENEW_TICKET",
    "RESUME",
    "SET_TICKET",
    "TOUCH",
    "UNLINK",
]

from botcopy_handover.state._lua import CLAIM

# Shared by the writing scripts. ARGV[1] is now (ms), ARGV[2] the retention
# (ms). save() stamps the record, re-arms the TTLs of the record and its
# history, and answers {record, renew}: the ticket key (another slot) gets a
# TTL of keep + retention whenever the record would outlive it.
_SAVE = """
local now = tonumber(ARGV[1])
local retention = tonumber(ARGV[2])
local function save(conv, history)
  redis.call('HSET', conv, 'updated_ms', string.format('%d', now))
  local keep = retention
  local expires = tonumber(redis.call('HGET', conv, 'expires_ms') or '')
  if redis.call('HGET', conv, 'paused') == '1' and expires and expires > now then
    keep = expires - now + retention
  end
  if keep < 1 then keep = 1 end
  local renew = false
  local ticket_key = redis.call('HGET', conv, 'ticket_key')
  if ticket_key then
    local until_ms = tonumber(redis.call('HGET', conv, 'ticket_until_ms') or '') or 0
    if now + keep > until_ms then
      renew = {ticket_key, keep + retention}
      redis.call('HSET', conv, 'ticket_until_ms', string.format('%d', now + keep + retention))
    end
  end
  local record = redis.call('HGETALL', conv)
  redis.call('PEXPIRE', conv, keep)
  redis.call('PEXPIRE', history, keep)
  return record, renew
end
local function ensure(conv, bot, user)
  redis.call('HSET', conv, 'bot_id', bot, 'user_id', user)
  redis.call('HSETNX', conv, 'paused', '0')
end
"""

# KEYS: conv, expiring shard, history. ARGV: now, retention, bot, user, member,
# minutes, set_name (0/1), name, set_avatar (0/1), avatar.
PAUSE = (
    _SAVE
    + """
local conv = KEYS[1]
local expires = now + tonumber(ARGV[6]) * 60000
ensure(conv, ARGV[3], ARGV[4])
redis.call('HSET', conv, 'paused', '1', 'minutes', ARGV[6],
           'expires_ms', string.format('%d', expires))
if ARGV[7] == '1' then redis.call('HSET', conv, 'agent_name', ARGV[8]) end
if ARGV[9] == '1' then redis.call('HSET', conv, 'agent_avatar_url', ARGV[10]) end
redis.call('ZADD', KEYS[2], expires, ARGV[5])
return {save(conv, KEYS[3])}
"""
)

# KEYS: conv, expiring shard, history. ARGV: now, retention, member.
TOUCH = (
    _SAVE
    + """
local conv = KEYS[1]
if redis.call('HGET', conv, 'paused') ~= '1' then return false end
local expires = tonumber(redis.call('HGET', conv, 'expires_ms') or '')
if not expires or expires <= now then return false end
local new_expires = now + tonumber(redis.call('HGET', conv, 'minutes')) * 60000
redis.call('HSET', conv, 'expires_ms', string.format('%d', new_expires))
redis.call('ZADD', KEYS[2], new_expires, ARGV[3])
return {save(conv, KEYS[3])}
"""
)

# KEYS: conv, expiring shard, history. ARGV: now, retention, bot, user, member.
RESUME = (
    _SAVE
    + """
local conv = KEYS[1]
ensure(conv, ARGV[3], ARGV[4])
redis.call('HSET', conv, 'paused', '0', 'minutes', '0', 'expires_ms', '')
redis.call('ZREM', KEYS[2], ARGV[5])
return {save(conv, KEYS[3])}
"""
)

# KEYS: conv, expiring shard, history. ARGV: now, retention, member, expected
# expiry (ms). Answers false, or {1, renew}.
LAPSE = (
    _SAVE
    + """
local conv = KEYS[1]
if redis.call('HGET', conv, 'paused') ~= '1' then return false end
if redis.call('HGET', conv, 'expires_ms') ~= ARGV[4] then return false end
if tonumber(ARGV[4]) > now then return false end
redis.call('HSET', conv, 'paused', '0', 'minutes', '0', 'expires_ms', '')
redis.call('ZREM', KEYS[2], ARGV[3])
local _, renew = save(conv, KEYS[3])
return {1, renew}
"""
)

# KEYS: conv, history. ARGV: now, retention, bot, user, ticket id, ticket key.
# Answers {record, renew, the former ticket key or false}.
LINK = (
    _SAVE
    + """
local conv = KEYS[1]
local old = redis.call('HGET', conv, 'ticket_key')
if old == ARGV[6] then old = false end
ensure(conv, ARGV[3], ARGV[4])
redis.call('HSET', conv, 'ticket_id', ARGV[5], 'ticket_key', ARGV[6], 'ticket_until_ms', '0')
local record, renew = save(conv, KEYS[2])
return {record, renew, old}
"""
)

# KEYS: ticket key. ARGV: member, ttl (ms). Points the ticket at the member;
# answers the member it pointed at before, or false.
SET_TICKET = """
local owner = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return owner
"""

# KEYS: the former owner's conv. ARGV: ticket id. Forgets the link if the
# record still names this ticket.
UNLINK = """
if redis.call('HGET', KEYS[1], 'ticket_id') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'ticket_id', 'ticket_key', 'ticket_until_ms')
return 1
"""

# KEYS: a ticket key. ARGV: member. Deletes it if it still points at member.
DROP_TICKET = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""

# KEYS: a ticket key. ARGV: member, ttl (ms). Re-arms it if it still points at member.
RENEW_TICKET = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""

# KEYS: a ticket key. The member it points at, or false.
READ_TICKET = """
return redis.call('GET', KEYS[1])
"""

# KEYS: conv. ARGV: ticket id. The record, if it names the ticket.
FIND = """
if redis.call('HGET', KEYS[1], 'ticket_id') ~= ARGV[1] then return false end
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: conv, history. ARGV: now, retention, bot, user, ids... Answers {new ids, renew}.
HISTORY = (
    _SAVE
    + """
local conv = KEYS[1]
ensure(conv, ARGV[3], ARGV[4])
local new = {}
for i = 5, #ARGV do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then new[#new + 1] = ARGV[i] end
end
if #ARGV >= 5 then redis.call('HSET', conv, 'last_history_id', ARGV[#ARGV]) end
local _, renew = save(conv, KEYS[2])
return {new, renew}
"""
)

# KEYS: one expiring shard. ARGV: conv key prefix of that shard (same hash
# tag, so the records read are in the script's slot), horizon (ms), limit.
EXPIRING = """
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
local found = {}
for _, member in ipairs(members) do
  local conv = ARGV[1] .. member
  if redis.call('HGET', conv, 'paused') == '1' then
    found[#found + 1] = redis.call('HGETALL', conv)
  else
    -- The record expired or was resumed without its member removed.
    redis.call('ZREM', KEYS[1], member)
  end
end
return found
"""

# KEYS: conv, expiring shard, history. ARGV: member. Answers {deleted (0/1),
# ticket key or false}; the store then drops the ticket key if it is still ours.
DELETE = """
local ticket_key = redis.call('HGET', KEYS[1], 'ticket_key')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return {redis.call('DEL', KEYS[1]), ticket_key}
"""
