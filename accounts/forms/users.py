"""Forms only collect and shape input; the rules live in ``accounts.services``."""

from django import forms

from ..models import User


class RolesForm(forms.Form):
    can_raise = forms.BooleanField(
        label="May raise requests",
        required=False,
        help_text="Raises Requests for Install Code for your organisation.",
    )
    can_answer = forms.BooleanField(
        label="May answer requests",
        required=False,
        help_text="Answers the requests assigned to your organisation with install codes.",
    )
    is_supplier_admin = forms.BooleanField(
        label="Administrator",
        required=False,
        help_text="Manages your organisation's users and contact addresses.",
    )


class InviteForm(RolesForm):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="What they will log in with: letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off"}),
    )
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="Their own address: the invitation's link to choose a password goes there.",
    )

    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "can_raise",
        "can_answer",
        "is_supplier_admin",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["can_raise"].initial = True
        self.fields["can_answer"].initial = True


def roles_initial(user: User) -> dict:
    return {name: getattr(user, name) for name in RolesForm.base_fields}


class FirstAdministratorForm(forms.Form):
    """The DCC helpdesk's invitation of a Supplier's first administrator: the address is one the
    Supplier registered, never one typed in."""

    username = InviteForm.base_fields["username"]
    first_name = InviteForm.base_fields["first_name"]
    last_name = InviteForm.base_fields["last_name"]
    email = forms.ChoiceField(
        label="Registered address",
        help_text="One of the Supplier's contact addresses: the invitation's link to choose a "
        "password goes there.",
    )

    def __init__(self, *args, supplier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].choices = [(c.email, c.email) for c in supplier.contacts.all()]
