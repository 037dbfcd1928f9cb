"""Forms only collect and shape input; the rules live in ``notifications.services``."""

from django import forms


class NotificationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=[
            ("", "Any status"),
            ("pending", "Pending"),
            ("sent", "Sent"),
            ("failed", "Failed"),
        ],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class ContactAddForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="A shared mailbox your team watches is best: incident requests must be "
        "answered within five Working Days.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
