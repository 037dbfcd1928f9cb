"""The personas every test speaks of, as the portal sees them: each works for its organisation,
sees that organisation's requests and is refused the others' pages."""

import re

from django.urls import reverse


def _signed_in_as(client, user) -> str:
    """The name and organisation the page header shows for ``user``."""
    client.force_login(user)
    response = client.get(reverse("incidents:home"))
    assert response.status_code == 200
    [shown] = re.findall(
        r'class="nav-link text-white account-link"[^>]*>([^<]*)</a>', response.text
    )
    return shown


def _listed(client, name: str, incident) -> bool:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return incident.reference in response.text


def test_personas_belong_to_their_suppliers(
    client, gaining_user, installing_user, other_supplier_user, helpdesk_user, incident
):
    detail = reverse("incidents:detail", args=[incident.public_id])

    # The gaining Supplier's user raised the request: it is theirs, not assigned to them.
    assert _signed_in_as(client, gaining_user) == f"{gaining_user.get_full_name()} · Gaining Energy"
    assert _listed(client, "incidents:raised", incident)
    assert not _listed(client, "incidents:assigned", incident)

    # The installing Supplier's user answers it: assigned to them, not raised by them.
    assert (
        _signed_in_as(client, installing_user)
        == f"{installing_user.get_full_name()} · Installing Power"
    )
    assert _listed(client, "incidents:assigned", incident)
    assert not _listed(client, "incidents:raised", incident)
    assert client.get(detail).status_code == 200

    # A third Supplier's user sees it nowhere, and its page does not exist for them.
    assert (
        _signed_in_as(client, other_supplier_user)
        == f"{other_supplier_user.get_full_name()} · Third Party Gas"
    )
    assert not _listed(client, "incidents:raised", incident)
    assert not _listed(client, "incidents:assigned", incident)
    assert client.get(detail).status_code == 404

    # The helpdesk belongs to no Supplier: it opens every request but raises none.
    assert _signed_in_as(client, helpdesk_user) == f"{helpdesk_user.get_full_name()} · DCC helpdesk"
    assert client.get(detail).status_code == 200
    assert client.get(reverse("incidents:raise")).status_code == 403
