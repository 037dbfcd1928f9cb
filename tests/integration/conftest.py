import pytest

from tests.support.fixtures import celery_worker, smtp_server  # noqa: F401 (fixtures)


@pytest.fixture
def throwaway_redis(tmp_path):
    """A redis-server of this test's own, which it may kill and start again."""
    from conftest import IN_CI
    from tests.support.redis_server import ThrowawayRedis

    server = ThrowawayRedis(tmp_path)
    if server.binary is None:
        message = "needs the redis-server binary on PATH (apt-get install redis-server)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    server.start()
    try:
        yield server
    finally:
        server.kill()
