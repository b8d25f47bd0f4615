"""A Redis cache that fails soft: the site keeps serving while Redis is down.

Every operation Django's ``RedisCache`` offers is wrapped: a connection error or a
timeout is logged as a warning (at most once a minute per process, so an outage does not
flood the logs) and the operation behaves as a miss (``get`` returns the default) or does
nothing (``set``, ``delete``). Pages are then built from the database, as on a cold cache.
Short socket timeouts (settings.CACHES ``OPTIONS``) keep an unreachable Redis from
holding up requests.

``clear()`` deletes only the keys under this site's ``KEY_PREFIX``: Django's would empty
the whole Redis database, another site's (or another test run's) keys with it.
"""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("recoverymap.cache")

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY_SECONDS = 60
_last_warning = 0.0


def _warn(operation: str, error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:
        _last_warning = now
        logger.warning("Redis unavailable (%s): %s; serving without the cache.", operation, error)


def _fail_soft(on_error):
    """Run the operation; when Redis is down, warn and return ``on_error(args, kwargs)``."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except REDIS_DOWN as error:
                _warn(method.__name__, error)
                return on_error(args, kwargs)

        return wrapper

    return decorate


def _default(args, kwargs):
    return kwargs.get("default", args[1] if len(args) > 1 else None)


def _missing(args, kwargs):
    raise ValueError("The cache is unavailable, so the key is missing.")


class FailSoftRedisCache(RedisCache):
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
