"""The incident change list's rows and filter choices (``incidents.admin``) as template tags."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from incidents.admin.changelist import result_list
from incidents.admin.filters import choices_html

register = template.Library()


@register.tag(name="incident_result_list")
def incident_result_list_tag(parser, token):
    # Django's ``result_list`` tag, its table's rows written in one pass.
    return InclusionAdminNode(
        "incident_result_list",
        parser,
        token,
        func=result_list,
        template_name="change_list_rows.html",
        takes_context=False,
    )


@register.simple_tag
def filter_choices(choices):
    return choices_html(choices)
