"""Forms only collect and shape input; the rules (and their words) live in
``api.services.clients``, whose refusals the views put on the field they name."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone

from ..models import ApiClient, ApiScope

# Generous: 50 networks of an IPv6 CIDR each. The service names a bad line or too many lines.
SOURCE_ADDRESSES_MAX_LENGTH = 5000


class ApiClientForm(forms.Form):
    # Not required here, nor limited in length: the service says what is wrong in its own
    # words (the name's length, "choose at least one scope"), one table of refusals.
    name = forms.CharField(
        label="Name",
        required=False,
        strip=False,
        help_text="The system that uses it, such as “Billing back office”: the requests' "
        "timelines show this name for what the client does. At most 80 characters.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scopes = forms.MultipleChoiceField(
        label="Scopes",
        required=False,
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the client may do: choose at least one, and no more than the system "
        "needs. Raising and answering also need your organisation's right to do so.",
    )
    source_addresses = forms.CharField(
        label="Source addresses (optional)",
        required=False,
        max_length=SOURCE_ADDRESSES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        help_text="One IP address (203.0.113.7) or network (203.0.113.0/24) a line: the client "
        "gets tokens only from these. Leave empty to allow any address.",
    )


def api_client_initial(client: ApiClient) -> dict:
    return {
        "name": client.name,
        "scopes": sorted(client.scope_set),
        "source_addresses": client.source_addresses,
    }


def _seen_rotation(client: ApiClient) -> str:
    return client.rotated_at.isoformat() if client.rotated_at else "never"


class RotateForm(forms.Form):
    """The confirmation of a new secret, made for the client as the page showed it: sent again
    (a reload, the back button) once the secret has changed, it is refused rather than
    silently replacing the secret just shown."""

    seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, client: ApiClient, **kwargs):
        super().__init__(*args, initial={"seen": _seen_rotation(client)}, **kwargs)
        self.client = client

    def clean(self):
        if self.cleaned_data.get("seen") != _seen_rotation(self.client):
            rotated = self.client.rotated_at
            when = (
                f" on {formats.date_format(timezone.localtime(rotated), 'j M Y, H:i')}"
                if rotated
                else ""
            )
            raise ValidationError(
                f"The secret of {self.client.name} was rotated{when}, after this page was "
                "shown, and is not shown again. Rotate again only if you need another secret.",
                code="stale",
            )
        return self.cleaned_data
