"""The rows of the lists of requests, drawn in Python: the lists are the busiest pages, and
the template engine's lookups, conditions and escaping for 25 rows of eight cells were most of
what drawing a list cost. The markup is the one ``incidents/list.html`` had, a row at a time."""

from html import escape  # as Django's escape(), without its checks for lazy text: str only

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_ROW = (
    "<tr>\n"
    '      <td data-label="Reference"><a href="{url}">{reference}</a></td>\n'
    '      <td data-label="Device ID" class="font-monospace text-nowrap">{device_id}</td>\n'
    '      <td data-label="Type">{device_type}</td>\n'
    '      <td data-label="{party_label}">{other_party}</td>\n'
    '      <td data-label="Status"><span class="badge {badge}">{status_label}</span></td>\n'
    '      <td data-label="Raised">{raised}</td>\n'
    '      <td data-label="Answer due">{due}</td>\n'
    "    </tr>\n"
)
_FLAG = '{due} <span class="badge text-bg-danger">{flag}</span>'


@register.simple_tag
def list_rows(rows, scope: str) -> SafeString:
    """``{% list_rows rows scope %}``: the table rows of a list (``views.lists.ListRow``)."""
    party_label = "Assigned to" if scope == "raised" else "Raised by"
    drawn = []
    for row in rows:
        if not row.due:
            due = "—"
        elif row.due_flag:
            due = _FLAG.format(due=escape(row.due), flag=escape(row.due_flag))
        else:
            due = escape(row.due)
        drawn.append(
            _ROW.format(
                url=escape(row.url),
                reference=escape(row.reference),
                device_id=escape(row.device_id),
                device_type=escape(row.device_type),
                party_label=party_label,
                other_party=escape(row.other_party),
                badge=escape(row.badge),
                status_label=escape(row.status_label),
                raised=escape(row.raised),
                due=due,
            )
        )
    return mark_safe("    ".join(drawn))  # noqa: S308 (every value escaped above)


@register.simple_tag
def sort_heading(link, title: str) -> SafeString:
    """``{% sort_heading link "Title" %}``: a sortable column's heading (``views.lists.SortLink``),
    a link that sorts by it and says how, with ``aria-sort`` on the column sorted by."""
    arrow = _ARROWS.get(link.aria_sort, "")
    aria_sort = f' aria-sort="{escape(link.aria_sort)}"' if link.aria_sort else ""
    title = escape(title)
    return mark_safe(  # noqa: S308 (every value escaped)
        f'<th scope="col" class="sortable"{aria_sort}><a class="sort-link" '
        f'href="{escape(link.url)}" aria-label="{title}: {escape(link.hint)}">{title}{arrow}'
        "</a></th>\n"
    )


_ARROWS = {
    "ascending": '<span class="sort-arrow" aria-hidden="true">▲</span>',
    "descending": '<span class="sort-arrow" aria-hidden="true">▼</span>',
}


@register.simple_tag
def list_filters(form, scope: str, sort: str) -> SafeString:
    """``{% list_filters form scope sort %}``: a list's filter form
    (``forms.IncidentFilterForm``), each box labelled, the search's error beside its box and
    named by it; ``sort`` kept ("" for the default order). Drawn here rather than by the
    template engine (a lookup per attribute of each field) or the widgets' own templates."""
    status, q = form["status"], form["q"]
    chosen = set(status.field.widget.format_value(status.value()))
    options = "".join(
        f'<option value="{escape(str(value))}"{" selected" if str(value) in chosen else ""}>'
        f"{escape(str(label))}</option>\n    "
        for value, label in status.field.choices
    )
    errors = q.errors
    boxes = ["overdue", "due_today", *(["to_reveal"] if scope == "raised" else [])]
    checks = [_CHECK.format(*_check(form[name])) for name in boxes]
    return mark_safe(  # noqa: S308 (every value escaped)
        _FILTERS.format(
            status_id=conditional_escape(status.id_for_label),
            status_label=conditional_escape(status.label),
            status_invalid=' aria-invalid="true"' if status.errors else "",
            status_auto_id=conditional_escape(status.auto_id),
            options=options,
            q_id=conditional_escape(q.id_for_label),
            q_label=conditional_escape(q.label),
            q_invalid=" is-invalid" if errors else "",
            q_value=conditional_escape(q.value() or ""),
            q_described=' aria-describedby="q-error"' if errors else "",
            q_errors=_Q_ERRORS.format(" ".join(map(conditional_escape, errors))) if errors else "",
            checks="".join(checks[:2]),
            raised_checks=f"\n{checks[2]}  " if scope == "raised" else "",
            sort=f'<input type="hidden" name="sort" value="{conditional_escape(sort)}">'
            if sort
            else "",
        )
    )


def _check(field) -> tuple[str, str, str, str]:
    checked = " checked" if field.value() else ""
    return (
        field.name,
        conditional_escape(field.id_for_label),
        checked,
        conditional_escape(field.label),
    )


_FILTERS = """<form method="get" class="row g-2 align-items-end mb-3" aria-label="Filter requests">
  <div class="col-sm-4 col-lg-3">
    <label class="form-label" for="{status_id}">{status_label}</label>
    <select name="status" class="form-select"{status_invalid} id="{status_auto_id}">
    {options}</select>
  </div>
  <div class="col-sm-4 col-lg-3">
    <label class="form-label" for="{q_id}">{q_label}</label>
    <input type="search" name="q" id="{q_id}" class="form-control{q_invalid}" \
value="{q_value}"{q_described}>
    {q_errors}
  </div>
{checks}  {raised_checks}
  {sort}
  <div class="col-auto"><button type="submit" class="btn btn-primary">Filter</button></div>
</form>"""
_Q_ERRORS = '<div class="invalid-feedback" id="q-error">{}</div>'
_CHECK = """  <div class="col-auto">
    <div class="form-check mb-2">
      <input class="form-check-input" type="checkbox" name="{0}" id="{1}"{2}>
      <label class="form-check-label" for="{1}">{3}</label>
    </div>
  </div>
"""
