"""``{% form_fields form %}`` draws a form as crispy-forms' Bootstrap 5 pack does
(``{{ form|crispy }}``): the same elements, classes, ids and ARIA attributes, blank or with
errors, for each form the incident's page draws this way."""

import re

import pytest
from django import forms
from django.template import Context, Template

from incidents.forms.incidents import (
    AnswerForm,
    CloseForm,
    CodeFailedForm,
    NoteForm,
    NotInstalledForm,
)


def drawn(markup: str) -> str:
    """The markup with whitespace between and inside tags dropped (HTML shows it as one space
    or none)."""
    markup = re.sub(r"\s+", " ", markup)
    return re.sub(r"\s*([<>])\s*", r"\1", markup).strip()


def both(form) -> tuple[str, str]:
    context = Context({"form": form})
    crispy = Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(context)
    plain = Template("{% load plain_forms %}{% form_fields form %}").render(context)
    return drawn(crispy), drawn(plain)


FORMS = [
    AnswerForm,
    NotInstalledForm,
    CodeFailedForm,
    NoteForm,
    CloseForm,
    lambda *args: CloseForm(*args, code_provided=False),
]


@pytest.mark.parametrize("make", FORMS)
def test_a_blank_form_is_drawn_as_crispy_forms_draws_it(make):
    crispy, plain = both(make())

    assert plain == crispy


@pytest.mark.parametrize("make", FORMS)
def test_a_form_with_errors_is_drawn_as_crispy_forms_draws_it(make):
    form = make({"outcome": "nonsense"})
    form.is_valid()
    for name in form.fields:
        form.add_error(name, "Not like <that>.")  # a second error where one is already

    crispy, plain = both(form)

    assert plain == crispy


def test_a_filled_in_form_keeps_its_values_as_crispy_forms_does():
    form = CloseForm({"outcome": "code_worked"})
    form.is_valid()

    crispy, plain = both(form)

    assert plain == crispy and "checked" in plain


def test_values_are_escaped(db):
    class Search(forms.Form):
        q = forms.CharField(label="<b>Find</b>", help_text="Any words")

    crispy, plain = both(Search({"q": '"><script>'}))

    assert plain == crispy and "<script>" not in plain and "&lt;b&gt;Find" in plain


def test_a_kind_of_field_it_does_not_draw_is_refused():
    class Agree(forms.Form):
        agree = forms.BooleanField()

    with pytest.raises(TypeError, match="CheckboxInput"):
        Template("{% load plain_forms %}{% form_fields form %}").render(Context({"form": Agree()}))
