"""A Redis that was out of reach, not restarted, comes back holding copies that writes
dropped meanwhile should have changed; the cache forgets them all before serving again."""

import time

import redis

from config.cache import RETRY_AFTER, RedisCache


def _cache(server) -> RedisCache:
    return RedisCache(server.url(0), {"OPTIONS": {"socket_timeout": 0.2}})


def test_a_delete_dropped_during_an_outage_does_not_bring_the_copy_back(redis_server):
    cache = _cache(redis_server)
    cache.set("session:alice", "signed in", 600)
    assert cache.get("session:alice") == "signed in"

    # Clients paused: Redis keeps its data but answers nobody, as behind a partition.
    redis.Redis(port=redis_server.port).client_pause(1500)
    cache.delete("session:alice")  # Alice signs out; the cache cannot hear it.
    assert cache.get("session:alice") is None, "a miss while Redis is away"

    time.sleep(1.6 + RETRY_AFTER)
    assert redis.Redis(port=redis_server.port).get(":1:session:alice") is not None, (
        "the copy outlived the outage in Redis"
    )
    assert cache.get("session:alice") is None, "a dropped write must not be undone"
    cache.set("fresh", 1)
    assert cache.get("fresh") == 1


def test_without_an_outage_nothing_is_emptied(redis_server):
    cache = _cache(redis_server)
    cache.set("a", 1)
    cache.set("b", 2)
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
