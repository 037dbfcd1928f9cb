"""An invitation email gives the same set-password link in its text and HTML parts, even when the
clock turns a second between their renders (the token holds the current second)."""

import datetime as dt
import re

import pytest

from accounts.models import User
from accounts.tokens import invitation_token_generator
from ssi_portal.lib.email import render_email

pytestmark = pytest.mark.django_db


def test_the_text_and_html_parts_carry_one_link(monkeypatch, gaining_supplier):
    user = User.objects.create(
        username="invited", email="invited@gaining.example", supplier=gaining_supplier
    )
    user.set_unusable_password()
    user.save()
    # Naive, as the token generator's own clock is.
    ticks = iter(dt.datetime(2026, 12, 2, 9, 0, n) for n in range(60))  # noqa: DTZ001
    monkeypatch.setattr(invitation_token_generator, "_now", lambda: next(ticks))
    context = {
        "user_id": user.pk,
        "email": user.email,
        "invited_by": "Ada",
        "supplier": gaining_supplier.name,
    }
    _, text, html = render_email("account_invited", context)
    links = re.findall(r"https?://[^\s\"<]+/set-password/[^\s\"<]+", text + html)
    assert len(set(links)) == 1 and len(links) >= 2, links
    # Each render on its own would have made another token: the memo is what keeps them one.
    assert invitation_token_generator.make_token(user) not in links[0]
