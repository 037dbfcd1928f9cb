"""A form's fields in the markup of crispy-forms' Bootstrap 5 pack (``{{ form|crispy }}``),
drawn in Python: the pack looks up and renders a template per field and per part of a field
(label, errors, help text, each radio button), which cost more than the rest of a page with a
form or two. The same elements, classes, ids and ARIA attributes; the widgets themselves are
Django's own (``BoundField.as_widget``). Text boxes, text areas, selects and radio buttons:
the kinds the portal's pages draw this way; anything else is refused, not drawn otherwise.
"""

from collections.abc import Callable

from django import forms, template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


class BlankForm:
    """A form as a page offers it before anything is typed in, for :func:`form_fields` to draw
    once per process (and language) rather than on every page: its fields, widgets and markup
    are the same each time. ``make()`` builds the form; a form whose fields depend on anything
    but the language (the database, the time, the user) is not for this. Unbound, so never
    in a page's error summary."""

    is_bound = False
    errors: dict = {}  # never changed: a blank form has no errors

    def __init__(self, make: Callable[[], forms.Form]):
        self.make = make
        self._drawn: dict[str | None, SafeString] = {}
        _BLANK_FORMS.append(self)

    def drawn(self) -> SafeString:
        language = translation.get_language()
        markup = self._drawn.get(language)
        if markup is None:
            markup = self._drawn[language] = form_fields(self.make())
        return markup

    def forget(self) -> None:
        self._drawn.clear()


_BLANK_FORMS: list[BlankForm] = []


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    # What a widget's markup may follow: the renderer and its templates.
    if setting in ("FORM_RENDERER", "TEMPLATES"):
        for blank in _BLANK_FORMS:
            blank.forget()


@register.simple_tag
def error_summary(forms_with_errors) -> SafeString:
    """``{% error_summary forms %}``: ``{% include "includes/error_summary.html" with
    forms=forms %}``, which draws only ``forms``; with none, the two line ends it drew, without
    reading the template (a page without errors is the common case)."""
    if not forms_with_errors:
        return mark_safe("\n\n")
    return render_to_string("includes/error_summary.html", {"forms": forms_with_errors})


_TEXT_WIDGETS = (forms.TextInput, forms.Textarea, forms.NumberInput, forms.EmailInput)


@register.simple_tag
def form_fields(form) -> SafeString:
    """``{% form_fields form %}``: every field of ``form`` as ``{{ form|crispy }}`` draws it.
    The form's own errors are not drawn here: the page's error summary lists them
    (templates/bootstrap5/errors.html). A :class:`BlankForm` is drawn once."""
    if isinstance(form, BlankForm):
        return form.drawn()
    return mark_safe("".join(_field(field) for field in form))  # noqa: S308 (escaped below)


def _field(field) -> str:
    widget = field.field.widget
    if field.is_hidden:
        return str(field)
    if isinstance(widget, forms.RadioSelect):
        return _radios(field)
    if isinstance(widget, forms.Select):
        kind = "form-select"
    elif isinstance(widget, _TEXT_WIDGETS):
        kind = "form-control"
    else:
        raise TypeError(f"form_fields does not draw a {type(widget).__name__}")
    invalid = " is-invalid" if field.errors else ""
    required = field.field.required
    label = ""
    if field.label:
        label = format_html(
            '<label{} class="form-label{}">{}{}</label> ',
            format_html(' for="{}"', field.id_for_label) if field.id_for_label else "",
            " requiredField" if required else "",
            field.label,
            _ASTERISK if required else "",
        )
    classes = _widget_classes(widget, f"{kind}{invalid}")
    return format_html(
        '<div id="div_{}" class="mb-3{}"> {}{} {}{}</div>',
        field.auto_id,
        f" {field.css_classes()}" if field.css_classes() else "",
        label,
        field.as_widget(attrs={"class": classes}),
        _errors(field),
        _help(field),
    )


def _radios(field) -> str:
    required = field.field.required
    id_ = field.field.widget.attrs.get("id") or field.auto_id
    attrs = field.build_widget_attrs({"id": id_} if id_ else {})
    values = field.field.widget.format_value(field.value())
    invalid = " is-invalid" if field.errors else ""
    options = [
        option
        for _, group, _ in field.field.widget.optgroups(field.html_name, values, attrs)
        for option in group
    ]
    drawn = []
    for n, option in enumerate(options, 1):
        drawn.append(
            format_html(
                '<div class="form-check"> <input type="{}" class="form-check-input{}" '
                'name="{}" value="{}"{}> <label for="{}" class="form-check-label">{}</label>'
                "{} </div>",
                option["type"],
                invalid,
                field.html_name,
                option["value"],
                _attrs(option["attrs"]),
                option["attrs"].get("id", ""),
                option["label"],
                _errors(field, lead=" ") if n == len(options) else "",
            )
        )
    describedby = field.aria_describedby if hasattr(field, "aria_describedby") else None
    return format_html(
        '<div id="div_{}" class="mb-3{}"> <fieldset{}> <legend class="form-label{} fs-6">{}{}'
        "</legend> <div> {} </div> {}</fieldset> </div>",
        field.auto_id,
        f" {field.css_classes()}" if field.css_classes() else "",
        format_html(' aria-describedby="{}"', describedby) if describedby else "",
        " requiredField" if required else "",
        field.label,
        _ASTERISK if required else "",
        mark_safe(" ".join(drawn)),  # noqa: S308 (each part drawn by format_html)
        _help(field),
    )


_ASTERISK = mark_safe('<span class="asteriskField">*</span>')


def _widget_classes(widget, extra: str) -> str:
    """The widget's classes as crispy-forms sets them: its own, its class name in lower case,
    then the pack's."""
    name = type(widget).__name__.lower()
    classes = widget.attrs.get("class", "")
    if not classes:
        classes = name
    elif name not in classes:
        classes = f"{classes} {name}"
    for css in extra.split():
        if css not in classes.split():
            classes = f"{classes} {css}"
    return classes


def _attrs(attrs: dict) -> str:
    """Attributes as the pack's ``layout/attrs.html`` writes them (True alone, False left
    out)."""
    return mark_safe(  # noqa: S308 (each value escaped)
        "".join(
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{conditional_escape(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


def _errors(field, lead: str = "") -> str:
    if not field.errors:
        return ""
    return format_html(
        '{}<div id="{}_error" class="invalid-feedback">{}</div> ',
        lead,
        field.errors.field_id,
        mark_safe(  # noqa: S308 (each error escaped by format_html)
            "".join(
                format_html('<p id="error_{}_{}"><strong>{}</strong></p>', n, field.auto_id, e)
                for n, e in enumerate(field.errors, 1)
            )
        ),
    )


def _help(field) -> str:
    if not field.help_text:
        return ""
    # The pack writes help text unescaped (|safe): the portal's are its own words.
    return format_html(
        '<div{} class="form-text">{}</div> ',
        format_html(' id="{}_helptext"', field.auto_id) if field.auto_id else "",
        mark_safe(field.help_text),  # noqa: S308
    )
