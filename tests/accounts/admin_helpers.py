"""The helpdesk in the admin: a persona holding every permission there is, so that a refusal
is the portal's rule and not a permission the deployment happened to leave out."""

import datetime as dt

from django import forms

USERS = "/admin/accounts/user/"
ADD_USER = USERS + "add/"
SUPPLIERS = "/admin/accounts/supplier/"
DEVICES = "/admin/inventory/device/"
NON_WORKING_DAYS = "/admin/incidents/nonworkingday/"


def change_url(user) -> str:
    return f"{USERS}{user.pk}/change/"


def password_url(user) -> str:
    return f"{USERS}{user.pk}/password/"


def invite_url(supplier) -> str:
    return f"{SUPPLIERS}{supplier.pk}/invite-administrator/"


def _posted(value):
    if isinstance(value, dt.datetime | dt.time):
        return value.replace(microsecond=0).isoformat()  # as the admin's widgets show it
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else value


def form_data(response) -> dict:
    """What the browser would send back for the admin form on the page, unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field.widget, forms.MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = _posted(part)
        elif isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [_posted(v) for v in value]
        else:
            data[name] = _posted(value)
    return data


def inline_data(response) -> dict:
    """The management form and rows of every inline formset on the page, unchanged."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for form in formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value not in (None, False):
                    data[f"{form.prefix}-{name}"] = "on" if value is True else value
    return data


def action(client, url: str, name: str, objects, **extra):
    return client.post(
        url,
        {"action": name, "_selected_action": [o.pk for o in objects], "index": 0, **extra},
    )
