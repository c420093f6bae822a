"""The Redis cache backend keeps one client per connection pool and still behaves as Django's."""

import uuid

import pytest
import redis

from config.cache import RedisCache

SERVER = "redis://127.0.0.1:6379/0"


@pytest.fixture
def backend():
    try:
        redis.Redis.from_url(SERVER).ping()
    except redis.ConnectionError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    cache = RedisCache(SERVER, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield cache
    cache.delete_many(["a", "b", "n"])


def test_one_client_serves_every_call(backend):
    backend.set("a", 1)
    first = backend._cache.get_client(write=True)
    assert backend._cache.get_client(write=False) is first
    assert backend.get("a") == 1
    assert backend._cache.get_client(write=True) is first


def test_the_operations_the_portal_uses(backend):
    assert backend.add("a", {"x": 1}) is True
    assert backend.add("a", {"x": 2}) is False
    backend.set_many({"b": "two", "n": 1})
    assert backend.get_many(["a", "b", "missing"]) == {"a": {"x": 1}, "b": "two"}
    assert backend.incr("n") == 2
    backend.delete("a")
    assert backend.get("a", "gone") == "gone"
