"""Settings of the operations app (Prometheus metrics, the helpdesk's operations page), part of
``base``."""

import environ

env = environ.Env()
# --- Operations --------------------------------------------------------------
# GET /metrics answers the Prometheus text format. With a token set, a scrape must send
# "Authorization: Bearer <token>" and anything else is refused with 401; production refuses to
# start without a token (production.py). Without a token /metrics is served to anyone only
# where SSI_METRICS_OPEN says so (the demo with DEBUG, the test settings), and answers 404
# everywhere else.
SSI_METRICS_TOKEN = env.str("SSI_METRICS_TOKEN", default="")
SSI_METRICS_OPEN = False
# Several gunicorn workers add up their request metrics through files in the directory named by
# the environment variable PROMETHEUS_MULTIPROC_DIR (read by prometheus-client itself, before
# any metric exists, so it is not a Django setting): set it for the web processes only, to an
# empty directory only they write (deploy/systemd/ssi-portal-web.service: /run/ssi-portal-metrics).
# The beat jobs' runs and the state of the outbox, requests and bulk uploads are read from the
# database at each scrape, so they are right whatever the number of processes.
