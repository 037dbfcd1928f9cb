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
        ("incident_breached", "installs@installing.example", installing_supplier.audience),
        ("incident_breached", "ops@installing.example", installing_supplier.audience),
        ("incident_breached", "raiser@gaining.example", gaining_supplier.audience),
        ("incident_breached", "helpdesk@dcc.example", ""),
    }


def test_a_supplier_sees_the_emails_sent_to_it_and_not_the_others(
    client, incident, installing_user, gaining_user
):
    client.force_login(installing_user)
    html = client.get(reverse("notifications:sent_emails")).content.decode()
    assert f"{incident.reference}: Request for Install Code assigned to you" in html
    client.force_login(gaining_user)
    html = client.get(reverse("notifications:sent_emails")).content.decode()
    assert "assigned to you" not in html
