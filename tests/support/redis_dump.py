"""Everything a key prefix holds in Redis, as text, to check that no clear number or address is kept."""
from __future__ import annotations

import redis


def redis_dump(spy: redis.Redis, prefix: str) -> dict[str, tuple[str, int]]:
    """key -> (everything stored under it as text, PTTL)."""
    found = {}
    for key in spy.scan_iter(match=prefix + "*"):
        kind = spy.type(key)
        if kind == "string":
            value = spy.get(key)
        elif kind == "hash":
            value = spy.hgetall(key)
        elif kind == "zset":
            value = spy.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            value = spy.lrange(key, 0, -1)
        else:
            value = spy.smembers(key)
        found[key] = (f"{key} {value}", spy.pttl(key))
    return found
