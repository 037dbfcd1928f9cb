"""Every email an incident sends is filed under the organisation that receives it."""

import datetime as dt

from django.urls import reverse

from incidents.services import incident_escalate_overdue
from notifications.models import Notification


def test_emails_are_filed_under_the_receiving_organisation(
    incident, gaining_supplier, installing_supplier
):
    incident_escalate_overdue(now=incident.due_at + dt.timedelta(seconds=1))
    filed = set(Notification.objects.values_list("template", "recipient", "audience"))
    assert filed == {
        ("incident_assigned", "installs@installing.example", installing_supplier.audience),
        ("incident_assigned", "ops@installing.example", installing_supplier.audience),
        (
            "deadline_breached_installer",
            "installs@installing.example",
            installing_supplier.audience,
        ),
        ("deadline_breached_installer", "ops@installing.example", installing_supplier.audience),
        ("deadline_breached_raiser", "raiser@gaining.example", gaining_supplier.audience),
        ("deadline_breached_helpdesk", "helpdesk@dcc.example", ""),
    }


def test_a_supplier_sees_the_emails_sent_to_it_and_not_the_others(
    client, incident, installing_user, gaining_user
):
    # Past the deadline both Suppliers get an email: the raiser has one of its own to see.
    incident_escalate_overdue(now=incident.due_at + dt.timedelta(seconds=1))
    assigned = f"{incident.reference}: Request for Install Code assigned to you"
    breached = "1 of your Request for Install Code escalated to the DCC helpdesk"

    client.force_login(installing_user)
    response = client.get(reverse("notifications:sent_emails"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(assigned) == 2  # installs@ and ops@, the installer's two contacts
    assert "raiser@gaining.example" not in html

    client.force_login(gaining_user)
    response = client.get(reverse("notifications:sent_emails"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(breached) == 1  # to the raiser alone
    assert "raiser@gaining.example" in html
    assert "assigned to you" not in html
    assert "installing.example" not in html
