from tests.support.fixtures import celery_worker, smtp_server  # noqa: F401 (fixtures)
