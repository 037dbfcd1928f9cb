"""Forms only collect and shape input; the rules live in ``accounts.services``."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Django's login form with the browser hints a password manager needs. A username longer
    than any account's is refused saying so, and counts as a failed login like any wrong one
    (django-axes records it cut to that length: ``accounts.audit.login_username``)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            username = self.cleaned_data.get("username") or ""
            limit = self.fields["username"].max_length
            if len(username) > limit:
                # Authentication ran (and failed, and was counted); only the words differ.
                self.add_error(
                    "username",
                    forms.ValidationError(
                        f"A username has at most {limit} characters; this one has {len(username)}.",
                        code="username_too_long",
                    ),
                )
                return self.cleaned_data
            raise


class CodeForm(forms.Form):
    """A code from the authenticator app, or a backup code."""

    otp_token = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows now, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class SetupCodeForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["otp_token"]
        field.label = "Code from your app"
        field.help_text = "The 6-digit code your authenticator app shows for the SSI Portal."
        field.widget.attrs["inputmode"] = "numeric"
