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

from botcopy_handover.state._lua import (
    CLAIM,
    ENSURE,
    EXPIRING,
    HISTORY_STEPS,
    KEEP,
    LAPSE_STEPS,
    PAUSE_STEPS,
    PREAMBLE,
    RESUME_STEPS,
    TOUCH_STEPS,
)

# Shared by the writing scripts. save() stamps the record, re-arms the TTLs of
# the record and its history, and answers {record, renew}: the ticket key
# (another slot) gets a TTL of keep + retention whenever the record would
# outlive it. The steps of each script are those of one server
# (`botcopy_handover.state._lua`); only save() and the answers differ.
_SAVE = (
    PREAMBLE
    + """
local function save(conv, history)
  redis.call('HSET', conv, 'updated_ms', string.format('%d', now))
"""
    + KEEP
    + """
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
"""
    + ENSURE
)

# KEYS: conv, expiring shard, history. Answers {record, renew}.
PAUSE = _SAVE + PAUSE_STEPS + "return {save(conv, KEYS[3])}\n"
TOUCH = _SAVE + TOUCH_STEPS + "return {save(conv, KEYS[3])}\n"
RESUME = _SAVE + RESUME_STEPS + "return {save(conv, KEYS[3])}\n"

# KEYS: conv, expiring shard, history. Answers false, or {1, renew}.
LAPSE = (
    _SAVE
    + "local nope = false\n"
    + LAPSE_STEPS
    + "local _, renew = save(conv, KEYS[3])\nreturn {1, renew}\n"
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

# KEYS: conv, history. Answers {new ids, renew}.
HISTORY = _SAVE + HISTORY_STEPS + "local _, renew = save(conv, KEYS[2])\nreturn {new, renew}\n"

# EXPIRING is one server's script, run on each expiring shard: KEYS[1] is the
# shard, ARGV[1] the conv key prefix of that shard (same hash tag, so the
# records read are in the script's slot).

# KEYS: conv, expiring shard, history. ARGV: member. Answers {deleted (0/1),
# ticket key or false}; the store then drops the ticket key if it is still ours.
DELETE = """
local ticket_key = redis.call('HGET', KEYS[1], 'ticket_key')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return {redis.call('DEL', KEYS[1]), ticket_key}
"""
