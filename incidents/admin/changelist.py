"""The incident change list's rows: read as values, written as HTML in one pass a page.

Django's admin writes every cell through ``items_for_result``: a field lookup, a display
function, ``format_html``, a localised date through ``dateformat``, and ``reverse()`` for each
row's link. At 100 rows that was about 30 ms of Python a page against 3 ms for its queries,
and the helpdesk works from this page all day. Here the page's rows are read as values in the
same one query (the Device and both Suppliers joined; no model instances, and the sealed
install code is not read at all), and what is the same on every row (the link's pattern with
the preserved filters, the status labels, the empty value, the date format, the time zone) is
worked out once a page.

The markup is Django's own, cell for cell: ``tests/incidents/test_admin_changelist.py`` holds
it against ``items_for_result``. What these rows do not cover (a popup choosing an incident,
editable columns, other columns) falls back to Django's rendering.
"""

import html

from django.conf import settings
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.template.defaultfilters import capfirst
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from ssi_portal.lib.compiled import CompiledQuery
from ssi_portal.lib.kept import Kept

from ..models import Incident, reference_for
from .common_list import CommonListMixin

# ``IncidentAdmin.list_display``, and the values its cells are written from, in this order.
COLUMNS = (
    "reference_display",
    "device",
    "raising_supplier",
    "assigned_supplier",
    "status",
    "due_at",
    "created_at",
)
_VALUES = (
    "pk",
    "device__device_id",
    "device__device_type",
    "raising_supplier__name",
    "assigned_supplier__name",
    "status",
    "due_at",
    "created_at",
)
_PK = "__pk__"  # stands for each row's key in the link worked out once a page
_ESCAPE = html.escape  # what django.utils.html.escape does, without a SafeString per call
_TWO_DIGITS = [f"{n:02d}" for n in range(60)]
_QUERY_STRINGS: Kept[str] = Kept(10_000)  # the change list's links, by its parameters and theirs
_PLAIN = (str, int, bool, type(None))
_UNSET = object()
# By database, order and place (None: the ORM's).
_PAGES: Kept[CompiledQuery | None] = Kept(500)
_ROWS: Kept[Kept[str]] = Kept(20)  # each row's HTML by its values, by page constants
_ROWS_KEPT = 20_000
_HEADINGS: Kept[str] = Kept(2_000)  # the heading row, by what result_headers reads
_MONTHS: dict[str | None, list[str]] = {}  # the months' short names, by language
_LINKS: Kept[tuple[str, str]] = Kept(2_000)  # a row's link around its key (see _change_link)


class IncidentChangeList(CommonListMixin, ChangeList):
    """Django's change list whose page of incidents is read as values (``rows_as_values``)."""

    def get_results(self, request):
        super().get_results(request)
        self.rows_as_values = (
            tuple(self.list_display) == COLUMNS and not self.is_popup and not self.list_editable
        )
        if self.rows_as_values and self.common:
            # The whole list's page as compiled before for its order and place (where the
            # ORM's SQL for it was compared): its values_list() is not built again.
            query, db = self.result_list.query, self.result_list.db
            key = (db, tuple(query.order_by), query.low_mark, query.high_mark)
            compiled = _PAGES.peek(key)
            if compiled is not None:
                self.result_list = compiled.rows(using=db)
                return
        if self.rows_as_values:
            page = self.result_list.values_list(*_VALUES)
            # Still lazy where it is not compiled: the view's len() and the rows read it once.
            self.result_list = _compiled_page(self, page) or page

    def get_query_string(self, new_params=None, remove=None):
        # A pure function of the list's parameters and its arguments, asked for some fifty
        # times a page (each filter's choices, each heading, each page's link) with the same
        # few: each answer kept once made.
        key = self._query_key(new_params, remove)
        if key is None:
            return super().get_query_string(new_params, remove)
        write = super().get_query_string
        return _QUERY_STRINGS.get(key, lambda: write(new_params, remove))

    def _query_key(self, new_params, remove) -> tuple | None:
        """What ``get_query_string`` answers from, where that is only text and numbers (each
        value with its type: True and 1 are written apart)."""
        params = self.__dict__.get("_params_key", _UNSET)
        if params is _UNSET:
            params = self._params_key = _params_key(self.filter_params)
        if params is None:
            return None
        new = ()
        if new_params:
            new = tuple((k, type(v), v) for k, v in new_params.items())
            for k, kind, _ in new:
                if type(k) is not str or kind not in _PLAIN:
                    return None
        removed = ()
        if remove:
            removed = tuple(remove)
            for r in removed:
                if type(r) is not str:
                    return None
        return (params, new, removed)


def _params_key(params: dict) -> tuple | None:
    """The list's own parameters (the request's, each a list of text) as a key, or None."""
    for values in params.values():
        if type(values) is not list or not all(type(v) is str for v in values):
            return None
    return tuple((k, tuple(v)) for k, v in params.items())


def _compiled_page(cl, page) -> list | None:
    """The rows of an unfiltered page (any order, any page), read through SQL compiled once
    for its order and place: compiling the page's query was a tenth of the page's time.

    The first time, the SQL is compared with the ORM's for the same page; if it differs
    (another queryset from ``get_queryset``, say), that order and place are read by the ORM."""
    query = page.query
    if cl.filter_params.keys() - {ORDER_VAR} or cl.query or query.where:
        return None
    if not all(type(field) is str for field in query.order_by):
        return None
    key = (page.db, tuple(query.order_by), query.low_mark, query.high_mark)
    compiled = _PAGES.get(key, lambda: _compile_page(cl, page))
    return None if compiled is None else compiled.rows(using=page.db)


def _compile_page(cl, page) -> CompiledQuery | None:
    order, low, high = page.query.order_by, page.query.low_mark, page.query.high_mark
    related = cl.list_select_related

    def build():
        rows = cl.model._default_manager.select_related(*related).order_by(*order)
        return rows.values_list(*_VALUES)[low:high]

    if page.query.sql_with_params() != build().query.sql_with_params():
        return None
    return CompiledQuery(build, kinds=())


def result_list(cl) -> dict:
    """The context of ``change_list_rows.html``: Django's ``result_list`` tag's, with the page's
    rows written in one string."""
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": _rows(cl),
    }


def results_table(cl) -> str:
    """What ``{% incident_result_list cl %}`` writes (``change_list_rows.html``), in Python."""
    rows = _rows(cl)
    if not rows:
        return "\n\n\n"
    return (
        '\n\n\n<div class="results">\n<table id="result_list">\n<thead>\n<tr>\n'
        f"{_headings(cl)}\n</tr>\n</thead>\n<tbody>\n{rows}</tbody>\n</table>\n</div>\n\n"
    )


def _headings(cl) -> str:
    """The heading row's cells, kept once written: ``result_headers`` reads only the columns,
    the admin's labels and ordering, which columns sort, the list's parameters and the words."""
    params = cl.__dict__.get("_params_key", _UNSET)
    if params is _UNSET:
        params = cl._params_key = _params_key(cl.filter_params)
    if params is None:
        return _write_headings(cl)
    admin = cl.model_admin
    sortable = None if cl.sortable_by is None else tuple(cl.sortable_by)
    ordering = admin.ordering
    if ordering is not None and type(ordering) is not tuple:
        return _write_headings(cl)
    key = (get_language(), params, tuple(cl.list_display), sortable, admin, ordering, cl.model)
    return _HEADINGS.get(key, lambda: _write_headings(cl))


def _write_headings(cl) -> str:
    headers = list(admin_list.result_headers(cl))
    num_sorted_fields = sum(1 for h in headers if h["sortable"] and h["sorted"])
    return "".join(_heading(h, num_sorted_fields) for h in headers)


def _heading(header: dict, num_sorted_fields: int) -> str:
    """One ``<th>`` of ``change_list_rows.html``'s heading row."""
    text = conditional_escape(capfirst(header["text"]))
    if header["sortable"]:
        text = f'<a role="button" href="{_ESCAPE(header["url_primary"])}">{text}</a>'
    else:
        text = f"<span>{text}</span>"
    options = ""
    if header["sortable"] and header["sort_priority"] > 0:
        priority = ""
        if num_sorted_fields > 1:
            number = localize(header["sort_priority"])
            said = gettext("Sorting priority: %(priority_number)s") % {"priority_number": number}
            priority = f'<span class="sortpriority" title="{said}">{number}</span>'
        direction = "ascending" if header["ascending"] else "descending"
        options = (
            '\n       <div class="sortoptions">\n'
            f'         <a class="sortremove" href="{_ESCAPE(header["url_remove"])}" '
            f'title="{gettext("Remove from sorting")}"></a>\n'
            f"         {priority}\n"
            f'         <a href="{_ESCAPE(header["url_toggle"])}" class="toggle {direction}" '
            f'title="{gettext("Toggle sorting")}"></a>\n'
            "       </div>\n   "
        )
    return (
        f'\n<th scope="col"{header["class_attrib"]}>\n   {options}\n'
        f'   <div class="text">{text}</div>\n   <div class="clear"></div>\n</th>'
    )


def _rows(cl) -> SafeString:
    empty = cl.model_admin.get_empty_value_display()  # already HTML
    link_start, link_end = _change_link(cl)
    statuses = {
        value: _ESCAPE(str(label))
        for value, label in Incident._meta.get_field("status").flatchoices
    }
    when, constants = _datetime_writer(empty)
    escaped: dict[str, str] = {}

    def repeated(value: str) -> str:
        # Supplier names and Device Types recur on a page: each escaped once.
        text = escaped.get(value)
        if text is None:
            text = escaped[value] = _ESCAPE(value)
        return text

    def write(row) -> str:
        pk, device_id, device_type, raising, assigned, status, due_at, created_at = row
        return (
            f'<tr><th class="field-reference_display"><a href="{link_start}{pk}{link_end}">'
            f"{reference_for(pk)}</a></th>"
            f'<td class="field-device nowrap">{_ESCAPE(device_id)} ({repeated(device_type)})</td>'
            f'<td class="field-raising_supplier nowrap">{repeated(raising)}</td>'
            '<td class="field-assigned_supplier nowrap">'
            f"{empty if assigned is None else repeated(assigned)}</td>"
            f'<td class="field-status">{statuses.get(status, empty)}</td>'
            f'<td class="field-due_at nowrap">{when(due_at)}</td>'
            f'<td class="field-created_at nowrap">{when(created_at)}</td></tr>\n'
        )

    if constants is None:
        return SafeString("".join(write(row) for row in cl.result_list))
    # A row is written from its values and what is the same on every row of the page (the
    # link, the words, the time zone): the same rows come back on each view of a page.
    kept = _kept_rows((link_start, link_end, empty, tuple(statuses.items()), *constants))
    rows = []
    for row in cl.result_list:
        row = tuple(row)
        rows.append(kept.get(row, lambda: write(row)))  # noqa: B023 (called at once)
    return SafeString("".join(rows))


def _kept_rows(constants: tuple) -> Kept[str]:
    return _ROWS.get(constants, lambda: Kept(_ROWS_KEPT))


def _change_link(cl) -> tuple[str, str]:
    """The change page's address around a row's key, with the list's filters preserved (as
    ``items_for_result`` has it: ``cl.url_for_result`` and ``add_preserved_filters``); kept
    for each URL conf, prefix, admin site and preserved filters."""
    opts = cl.opts
    site = cl.model_admin.admin_site.name
    urls = get_urlconf() or settings.ROOT_URLCONF
    key = (urls, get_script_prefix(), site, opts.label, cl.preserved_filters)
    return _LINKS.get(key, lambda: _write_change_link(cl))


def _write_change_link(cl) -> tuple[str, str]:
    opts = cl.opts
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=(_PK,),
        current_app=cl.model_admin.admin_site.name,
    )
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": opts}, url)
    start, end = _ESCAPE(url).split(_PK)
    return start, end


def _datetime_writer(empty: str):
    """A date and time as the admin writes it (``localize(template_localtime(value))``), and
    what its text follows besides the value (None: more than can be told).

    The portal's format ("j M Y H:i", ssi_portal/formats) written directly: ``dateformat``
    and the time zone's lookup cost more than the rest of a row. Any other format goes
    through Django's own.
    """
    if not settings.USE_TZ or get_format("DATETIME_FORMAT") != "j M Y H:i":

        def write(value) -> str:
            if value is None:
                return empty
            return _ESCAPE(localize(timezone.template_localtime(value)))

        return write, None
    zone = timezone.get_current_timezone()
    language = get_language()
    months = _MONTHS.get(language)
    if months is None:
        months = _MONTHS[language] = [""] + [
            _ESCAPE(str(MONTHS_3[month]).title()) for month in range(1, 13)
        ]
    two_digits = _TWO_DIGITS  # looked up: formatting each number was most of a row's time

    def write(value) -> str:
        if value is None:
            return empty
        local = value.astimezone(zone)
        year = local.year
        return (
            f"{local.day} {months[local.month]} {year if year >= 1000 else f'{year:04d}'} "
            f"{two_digits[local.hour]}:{two_digits[local.minute]}"
        )

    return write, (zone, tuple(months))
