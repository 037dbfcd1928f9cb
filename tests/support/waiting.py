import time
from collections.abc import Callable


def wait_until[T](
    probe: Callable[[], T],
    *,
    timeout: float = 20.0,
    interval: float = 0.05,
    what: str = "the condition",
) -> T:
    """Poll ``probe`` until it returns something truthy and return that; fail after ``timeout``.

    Work done by another thread (the Celery worker, the live server) finishes at its own pace,
    so the tests poll for its effect instead of sleeping a fixed time.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.")
        time.sleep(interval)
