"""What a broker (Redis) outage looks like to code that sends Celery tasks."""

from __future__ import annotations

from kombu.exceptions import KombuError
from rest_framework import status
from rest_framework.exceptions import APIException

from apps.core.i18n import t

try:  # the Redis client raises its own errors when kombu does not wrap them
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    _REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError)
except ImportError:  # pragma: no cover - Redis is optional (file-system broker)
    _REDIS_ERRORS = ()

# Sending a task while the broker is unreachable raises one of these (after kombu's own short retries).
BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuError, OSError, *_REDIS_ERRORS)


class BrokerUnavailable(APIException):
    """A request that must hand work to a worker, made while the broker is down: 503, nothing queued."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "broker_unavailable"
    default_detail = t(
        "任务队列暂时不可用，请稍后重试。", "The task queue is temporarily unavailable; try again shortly."
    )
