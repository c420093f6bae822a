"""Django's Redis cache, with one client object per connection pool instead of one per call,
and a Redis that is down treated as an empty cache rather than an error.

Django's backend builds a new `redis.Redis` for every cache operation, and each copies
redis-py's table of some 170 response callbacks: a signed-in page makes 10–20 cache calls,
and those copies were a larger share of its time than the calls themselves. A client is
only a handle on its pool (thread-safe, and forked workers get new pools as Django makes
them), so it is kept with the pool.

The cache only ever holds copies of what the database holds (sessions are `cached_db`), so
pages keep serving while Redis is unreachable: a read is a miss, a write is dropped (and
the cache is emptied when Redis answers again, so no copy outlives a dropped change), and
the failure is logged (once per LOG_EVERY seconds, with how many were not). Short socket
timeouts make an unreachable Redis cost milliseconds, and after a failure the process
leaves Redis alone for RETRY_AFTER seconds, so a Redis that hangs rather than refuses
costs one timeout per second, not one per cache call.
"""

import logging
import threading
import time
from functools import wraps

from django.core.cache.backends import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
SOCKET_TIMEOUTS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
"""Seconds; the defaults unless OPTIONS say otherwise. A healthy Redis answers in well
under a millisecond."""
RETRY_AFTER = 1.0
LOG_EVERY = 10.0


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


def _tolerant(missing):
    """The operation, or `missing()` when Redis cannot be reached (now or a moment ago)."""

    def decorate(operation):
        @wraps(operation)
        def wrapper(self, *args, **kwargs):
            if time.monotonic() < self._down_until:
                self._failed()
                return missing(*args, **kwargs)
            try:
                if self._missed_writes:
                    self._forget_copies()
                return operation(self, *args, **kwargs)
            except UNAVAILABLE as error:
                self._down_until = time.monotonic() + RETRY_AFTER
                self._missed_writes = True
                self._failed(error)
                return missing(*args, **kwargs)

        return wrapper

    return decorate


def _default(key, default=None, *args, **kwargs):
    return default


def _nothing(*args, **kwargs):
    return None


def _no(*args, **kwargs):
    return False


def _no_values(*args, **kwargs):
    return {}


def _all_keys(data, *args, **kwargs):
    return list(data)


def _not_counted(*args, **kwargs):
    # What Django's backends raise for a key that is not there: callers of incr handle it.
    raise ValueError("the cache is unavailable")


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**SOCKET_TIMEOUTS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._down_until = 0.0
        self._missed_writes = False
        self._lock = threading.Lock()
        self._logged_at = 0.0
        self._unlogged = 0

    def _forget_copies(self) -> None:
        """Empty the cache once Redis answers again after this process lost it.

        Writes dropped meanwhile (a session ended, a page unpublished, a counter moved)
        left copies in Redis that the database no longer agrees with; a Redis that was
        only out of reach, not restarted, would serve them. Losing every copy costs a
        cold cache; keeping them could bring a signed-out session back.
        """
        redis.RedisCache.clear(self)
        self._missed_writes = False
        logger.warning("Cache reachable again: emptied, as writes were dropped meanwhile")

    def _failed(self, error: Exception | None = None) -> None:
        """Count a failed call; log one now and then, with how many went unlogged."""
        with self._lock:
            now = time.monotonic()
            if error is None or now - self._logged_at < LOG_EVERY:
                self._unlogged += 1
                return
            unlogged, self._unlogged, self._logged_at = self._unlogged, 0, now
        logger.warning(
            "Cache unavailable, served without it (%d more calls since the last report): %s",
            unlogged,
            error,
        )

    get = _tolerant(_default)(redis.RedisCache.get)
    get_many = _tolerant(_no_values)(redis.RedisCache.get_many)
    has_key = _tolerant(_no)(redis.RedisCache.has_key)
    set = _tolerant(_nothing)(redis.RedisCache.set)
    set_many = _tolerant(_all_keys)(redis.RedisCache.set_many)
    add = _tolerant(_no)(redis.RedisCache.add)
    touch = _tolerant(_no)(redis.RedisCache.touch)
    delete = _tolerant(_no)(redis.RedisCache.delete)
    delete_many = _tolerant(_nothing)(redis.RedisCache.delete_many)
    incr = _tolerant(_not_counted)(redis.RedisCache.incr)
    clear = _tolerant(_nothing)(redis.RedisCache.clear)
