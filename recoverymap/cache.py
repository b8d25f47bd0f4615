"""A Redis cache that fails soft: the site keeps serving while Redis is down.

Every operation Django's ``RedisCache`` offers is wrapped: a connection error or a
timeout is logged as a warning (at most once a minute per process, so an outage does not
flood the logs) and the operation behaves as a miss (``get`` returns the default) or does
nothing (``set``, ``delete``). Pages are then built from the database, as on a cold cache.
Short socket timeouts (settings.CACHES ``OPTIONS``) keep an unreachable Redis from
holding up requests.

Rate-limit counters are the exception to "behaves as a miss": allauth reads a lock it
cannot take as "limit reached", so with Redis gone nobody could sign in, sign up or
reset a password. Their keys (``LOCAL_FALLBACK_PREFIXES``) go to this process's own
memory while Redis is down: guesses are still limited (per process, so a little more
loosely) and the right password gets in.

After a failure each cache stops asking Redis for ``RETRY_AFTER_SECONDS``, so an
unreachable host (a timeout, not a refused connection) does not cost every request
several timeouts.

``clear()`` deletes only the keys under this site's ``KEY_PREFIX``: Django's would empty
the whole Redis database, another site's (or another test run's) keys with it.
"""

import functools
import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("recoverymap.cache")

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY_SECONDS = 60
RETRY_AFTER_SECONDS = 5
# allauth's rate limits (their counters and the locks around them) and the exports'.
LOCAL_FALLBACK_PREFIXES = ("allauth:rl:", "exports:built:")
_last_warning = 0.0


class RedisSkipped(RedisConnectionError):
    """Redis failed a moment ago; not asked again yet."""


def _warn(operation: str, error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:
        _last_warning = now
        logger.warning("Redis unavailable (%s): %s; serving without the cache.", operation, error)


def _fail_soft(on_error):
    """Run the operation; when Redis is down, warn and return ``on_error(args, kwargs)``,
    or for a rate-limit key, run it on the process's own memory instead."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                if time.monotonic() < self._skip_until:
                    raise RedisSkipped("Redis failed less than a few seconds ago")
                return method(self, *args, **kwargs)
            except REDIS_DOWN as error:
                if not isinstance(error, RedisSkipped):
                    self._skip_until = time.monotonic() + RETRY_AFTER_SECONDS
                _warn(method.__name__, error)
                key = args[0] if args else kwargs.get("key")
                if isinstance(key, str) and key.startswith(LOCAL_FALLBACK_PREFIXES):
                    return getattr(self._fallback, method.__name__)(*args, **kwargs)
                return on_error(args, kwargs)

        return wrapper

    return decorate


def _default(args, kwargs):
    return kwargs.get("default", args[1] if len(args) > 1 else None)


def _missing(args, kwargs):
    raise ValueError("The cache is unavailable, so the key is missing.")


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's, with one ``redis.Redis`` per connection pool rather than a new one for
    every operation: each new one builds its table of some 160 response callbacks, which
    was a fifth of serving a kept page (three cache reads). A client is safe to share
    between threads: it takes a connection from the pool for each command."""

    @functools.cached_property
    def _clients(self) -> dict:
        return {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailSoftRedisCache(RedisCache):
    _class = ReusedClientRedisCacheClient
    _skip_until = 0.0

    @functools.cached_property
    def _fallback(self) -> LocMemCache:
        return LocMemCache(f"fail-soft-{id(self)}", {"TIMEOUT": self.default_timeout})

    get = _fail_soft(_default)(RedisCache.get)
    get_many = _fail_soft(lambda args, kwargs: {})(RedisCache.get_many)
    has_key = _fail_soft(lambda args, kwargs: False)(RedisCache.has_key)
    add = _fail_soft(lambda args, kwargs: False)(RedisCache.add)
    set = _fail_soft(lambda args, kwargs: None)(RedisCache.set)
    set_many = _fail_soft(lambda args, kwargs: list(args[0]) if args else [])(RedisCache.set_many)
    touch = _fail_soft(lambda args, kwargs: False)(RedisCache.touch)
    delete = _fail_soft(lambda args, kwargs: False)(RedisCache.delete)
    delete_many = _fail_soft(lambda args, kwargs: None)(RedisCache.delete_many)
    # A counter that cannot be read is missing: callers already handle that case.
    incr = _fail_soft(_missing)(RedisCache.incr)

    def ping(self) -> None:
        """Ask Redis if it is there; raises its error when not (for the health check)."""
        self._cache.get_client(None).ping()

    @_fail_soft(lambda args, kwargs: False)
    def clear(self):
        if not self.key_prefix:
            return super().clear()
        client = self._cache.get_client(None, write=True)
        # Keys are "prefix:version:key"; a glob character in the prefix is matched as is.
        prefix = "".join(f"\\{c}" if c in "*?[]\\" else c for c in self.key_prefix)
        batch = []
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            batch.append(key)
            if len(batch) == 1000:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
        return True
