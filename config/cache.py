"""Django's Redis cache, with one client object per connection pool instead of one per call.

Django's backend builds a new `redis.Redis` for every cache operation, and each copies
redis-py's table of some 170 response callbacks: a signed-in page makes 10–20 cache calls,
and those copies were a larger share of its time than the calls themselves. A client is
only a handle on its pool (thread-safe, and forked workers get new pools as Django makes
them), so it is kept with the pool.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
