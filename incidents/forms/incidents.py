"""Forms only collect and shape input; the rules live in ``incidents.services``."""

from django import forms

from accounts.models import Supplier
from inventory.identifiers import INSTALL_CODE_MISSING

from ..models import CloseOutcome, IncidentStatus
from ..services import CONTAINS_CODE_MESSAGE, NOTE_MAX_LENGTH, looks_like_install_code

_CODE_ATTRS = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}


class UnechoedTextInput(forms.TextInput):
    """A text box that never sends back what was typed: an install code refused for a typing
    error is a credential, and is not repeated in the response."""

    def format_value(self, value):
        return None


class _CodeSafe:
    """A widget that sends back what was typed, unless it looks like an install code: a text
    refused for holding one (``CONTAINS_CODE_MESSAGE`` says so, and that it was not kept) comes
    back empty rather than repeating the credential in the response."""

    def format_value(self, value):
        if value and looks_like_install_code(str(value)):
            return None
        return super().format_value(value)


class CodeSafeTextInput(_CodeSafe, forms.TextInput):
    pass


class CodeSafeTextarea(_CodeSafe, forms.Textarea):
    pass


class RaiseForm(forms.Form):
    device_id = forms.CharField(
        label="Device ID",
        max_length=64,
        help_text="The EUI-64 of the meter or other Device, e.g. 00-DB-12-34-56-78-90-A0. "
        "Lower case and IDs without hyphens are accepted.",
        widget=CodeSafeTextInput(attrs=_CODE_ATTRS),
    )


class AnswerForm(forms.Form):
    install_code = forms.CharField(
        label="Install code",
        max_length=80,
        help_text="32 hex digits, or 36 when the label prints the 4-digit CRC after the code. "
        "Spaces, hyphens and colons between groups are ignored.",
        # The other refusals come from the parser (inventory.identifiers), as in bulk files.
        error_messages={"required": INSTALL_CODE_MISSING},
        widget=UnechoedTextInput(attrs=_CODE_ATTRS),
    )


class NotInstalledForm(forms.Form):
    reason = forms.CharField(
        label="Anything the helpdesk should know (optional)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=CodeSafeTextarea(attrs={"rows": 2}),
    )


class CodeFailedForm(forms.Form):
    reason = forms.CharField(
        label="What happened when you used the code?",
        max_length=NOTE_MAX_LENGTH,
        widget=CodeSafeTextarea(attrs={"rows": 2}),
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Why are you closing this request?",
        choices=CloseOutcome.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, code_provided: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not code_provided:
            # Without a code there is nothing that could have worked: offer withdrawal only.
            self.fields["outcome"].choices = [
                (CloseOutcome.NO_LONGER_NEEDED, CloseOutcome.NO_LONGER_NEEDED.label)
            ]


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Add a note",
        max_length=NOTE_MAX_LENGTH,
        help_text="Seen by both Suppliers and the DCC helpdesk. "
        "Never put an install code in a note.",
        widget=CodeSafeTextarea(attrs={"rows": 3}),
    )


class IncidentFilterForm(forms.Form):
    STATUS_CHOICES = [("", "Any status"), ("open", "Open (any)"), *IncidentStatus.choices]

    status = forms.ChoiceField(
        label="Status",
        choices=STATUS_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)
    due_today = forms.BooleanField(label="Due today only", required=False)
    to_reveal = forms.BooleanField(label="Install codes not yet revealed", required=False)
    q = forms.CharField(label="Device ID or reference", required=False, max_length=64)

    def __init__(self, data=None, *args, **kwargs):
        # A search that looks like an install code is refused, and the box comes back empty:
        # the value is dropped before any rendering can show it (the list draws its own box).
        self.code_refused = bool(data) and looks_like_install_code(data.get("q") or "")
        if self.code_refused:
            data = data.copy()
            data["q"] = ""
        super().__init__(data, *args, **kwargs)

    def clean(self):
        if self.code_refused:
            self.add_error("q", forms.ValidationError(CONTAINS_CODE_MESSAGE, code="contains_code"))
        return super().clean()


class ReassignForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label="Assign to Supplier",
        queryset=Supplier.objects.order_by("name"),
    )
    reason = forms.CharField(
        label="Reason",
        max_length=NOTE_MAX_LENGTH,
        widget=CodeSafeTextarea(attrs={"rows": 3}),
        help_text="Recorded on the incident's timeline and seen by both Suppliers.",
    )
