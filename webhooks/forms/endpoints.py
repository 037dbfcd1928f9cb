"""The endpoint form. The URL is checked by the service (HTTPS, no credentials, a public
address), which words the refusal; the form only collects it."""

from django import forms

from ..models import WebhookEventType
from ..services.endpoints import DESCRIPTION_MAX_LENGTH


class EventCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose group the error summary can link to: its first box."""

    def id_for_label(self, id_, index="0"):
        return f"{id_}_{index}" if id_ else id_


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=2000,
        help_text="Where your system receives the events: an https:// address the internet "
        "can reach, e.g. https://hooks.example.com/ssi.",
        widget=forms.URLInput(attrs={"autocomplete": "url", "spellcheck": "false"}),
        error_messages={"required": "Enter the URL, e.g. https://hooks.example.com/ssi."},
    )
    description = forms.CharField(
        label="Description",
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        help_text="Optional: what this endpoint is for, e.g. “Work management system”.",
    )
    event_types = forms.MultipleChoiceField(
        label="Events to send",
        choices=WebhookEventType.choices,
        widget=EventCheckboxes,
        error_messages={
            "required": "Choose at least one event to send.",
            "invalid_choice": "Choose events from the list.",
        },
    )


def endpoint_initial(endpoint) -> dict:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
    }
