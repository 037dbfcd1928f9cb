"""Real collaborators for the e2e and integration tests: a local SMTP server, an in-thread
Celery worker on the real Redis broker, and browser helpers."""
