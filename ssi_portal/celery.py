import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssi_portal.settings.dev")

app = Celery("ssi_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
