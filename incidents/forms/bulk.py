"""The form of the bulk upload pages: one CSV file. The checks of its content are the
service's (``incidents.services.bulk.files``), so a refused file is kept in the history."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import pluralize


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        allow_empty_file=True,  # the service refuses it with its own message, and records it
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, header: str, or_header: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.SSI_BULK_MAX_ROWS
        self.fields["file"].help_text = (
            f"Line 1 must be the header {header}{f', or {or_header}' if or_header else ''}. "
            "UTF-8 (Excel: \u201cCSV UTF-8\u201d), comma- or semicolon-separated, up to "
            f"{limit:,} row{pluralize(limit)}."
        )
