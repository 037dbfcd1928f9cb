"""Reading /metrics as Prometheus does, and a mail server that refuses every message."""

import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from prometheus_client.parser import text_string_to_metric_families


class Scrape(dict):
    """The samples of one scrape: ``scrape["name", {"label": "value"}]`` is a value."""

    def __getitem__(self, key):
        name, labels = key if isinstance(key, tuple) else (key, {})
        return super().__getitem__((name, frozenset(labels.items())))

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def names(self) -> set[str]:
        return {name for name, _ in self.keys()}


def parse(text: str) -> Scrape:
    scrape = Scrape()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            scrape[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return scrape


@pytest.fixture
def scrape(client):
    """GET /metrics (with ``headers``) and parse the answer; fails unless it is 200."""

    def get(**headers) -> Scrape:
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain")
        return parse(response.content.decode())

    return get


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every recipient for good (550)."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"anyone@example.org": (550, b"5.1.1 No such user")})


@pytest.fixture
def mail_refused(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
