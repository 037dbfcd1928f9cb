"""The rows of the lists of requests, drawn in Python: the lists are the busiest pages, and
the template engine's lookups, conditions and escaping for 25 rows of eight cells were most of
what drawing a list cost. The markup is the one ``incidents/list.html`` had, a row at a time."""

from html import escape  # as Django's escape(), without its checks for lazy text: str only

from django import template
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
