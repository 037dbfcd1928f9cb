"""The incident change list's filters: Django's, their choices written in one pass.

Django's ``admin/filter.html`` writes each choice through the template engine (a condition,
a filter, two escaped values): with every Supplier listed twice that was some sixty choices
and about a tenth of the page's time. ``filter.html`` here is the same markup with the choices
written by ``choices_html``.
"""

from django.contrib import admin
from django.db import router
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ssi_portal.lib.compiled import CompiledObjectsQuery, CompiledQuery
from ssi_portal.lib.kept import Kept

from ..models import IncidentStatus

TEMPLATE = "admin/incidents/incident/filter.html"
_SUPPLIER_ID = "__supplier__"  # stands for each Supplier's id in the filter's link
_SELECTED = ' class="selected"'
_EVERY_ONE: dict[tuple, CompiledQuery] = {}  # by related model, ordering, key and text
_ITEMS: Kept[str] = Kept(5_000)  # each choice's list item, by its state, link and words


def choices_html(choices) -> SafeString:
    """Django's ``admin/filter.html`` list items (``{{ choice.query_string|iriencode }}``,
    ``{{ choice.display }}``, the chosen one marked), in one string."""
    return SafeString(
        "".join(_item(c["selected"], c["query_string"], c["display"]) for c in choices)
    )


def _item(selected, query_string: str, display) -> str:
    """One choice's list item; one whose words are plain text is written once and kept (the
    same links come back on every page view; quoting and escaping them was most of the
    filters' time)."""
    if isinstance(display, Promise):
        display = str(display)  # as conditional_escape has it
    if type(display) is not str:  # markup already, or another object: escaped each time
        return _write_item(selected, query_string, display)
    key = (bool(selected), query_string, display)
    return _ITEMS.get(key, lambda: _write_item(selected, query_string, display))


def _write_item(selected, query_string: str, display) -> str:
    return (
        f"<li{_SELECTED if selected else ''}>\n"
        f'<a href="{escape(iri_to_uri(query_string))}">{conditional_escape(display)}</a></li>\n'
    )


class StatusFilter(admin.ChoicesFieldListFilter):
    template = TEMPLATE


class DateFilter(admin.DateFieldListFilter):
    template = TEMPLATE


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"
    template = TEMPLATE

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = {"status": IncidentStatus.AWAITING_INSTALLER, "due_at__lt": timezone.now()}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


class BreachedFilter(admin.SimpleListFilter):
    title = "deadline breached"
    parameter_name = "breached"
    template = TEMPLATE

    def lookups(self, request, model_admin):
        return [("yes", "Breached (escalated)"), ("no", "Not breached")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(breached_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(breached_at__isnull=True)
        return queryset


class SupplierListFilter(admin.RelatedFieldListFilter):
    """Django's filter by a related Supplier, cheaper where it lists every Supplier: both
    Supplier filters read them in one query a request, and each Supplier's link is made from
    one pattern rather than from the whole query string again."""

    template = TEMPLATE

    def field_choices(self, field, request, model_admin):
        # Both list every Supplier in the Supplier admin's order; one query serves the two.
        ordering = tuple(self.field_admin_ordering(field, request, model_admin))
        key = (field.related_model, ordering, str(field.get_limit_choices_to()))
        read = request.__dict__.setdefault("_supplier_filter_choices", {})
        if key not in read:
            if field.get_limit_choices_to():
                read[key] = super().field_choices(field, request, model_admin)
            else:
                read[key] = _every_one(field, ordering)
        return read[key]

    def choices(self, changelist):
        if changelist.add_facets:  # counts beside each Supplier: Django's own
            yield from super().choices(changelist)
            return
        # Django's choices, in its order; the links differ only in the Supplier's id.
        yield {
            "selected": self.lookup_val is None and not self.lookup_val_isnull,
            "query_string": changelist.get_query_string(
                remove=[self.lookup_kwarg, self.lookup_kwarg_isnull]
            ),
            "display": _("All"),
        }
        start, end = changelist.get_query_string(
            {self.lookup_kwarg: _SUPPLIER_ID}, [self.lookup_kwarg_isnull]
        ).split(_SUPPLIER_ID)
        chosen = self.lookup_val or ()
        for pk_val, display in self.lookup_choices:
            yield {
                "selected": str(pk_val) in chosen,
                "query_string": f"{start}{pk_val}{end}",
                "display": display,
            }
        if self.include_empty_choice:
            yield {
                "selected": bool(self.lookup_val_isnull),
                "query_string": changelist.get_query_string(
                    {self.lookup_kwarg_isnull: "True"}, [self.lookup_kwarg]
                ),
                "display": self.empty_value_display,
            }


def _every_one(field, ordering: tuple) -> list[tuple]:
    """Django's ``field.get_choices(include_blank=False, ordering=ordering)`` for a relation
    that limits no choices: every related row, in that order (the model's own without one), as
    (key, ``str()``); its query compiled once per process. Where the model's text is one of its
    columns (``__str__.text_field``), the key and that column are read, not the rows."""
    model = field.related_model
    key = field.remote_field.get_related_field().attname
    text = getattr(model.__str__, "text_field", None)
    kept = (model, ordering, key, text)
    query = _EVERY_ONE.get(kept)
    if query is None:

        def every_one():
            rows = model._default_manager.all()
            rows = rows.order_by(*ordering) if ordering else rows
            return rows.values_list(key, text) if text else rows

        kind = CompiledQuery if text else CompiledObjectsQuery
        query = _EVERY_ONE[kept] = kind(every_one, kinds=())
    using = router.db_for_read(model)
    if text:
        return [(pk, str(name)) for pk, name in query.rows(using=using)]
    return [(getattr(row, key), str(row)) for row in query.objects(using=using)]
