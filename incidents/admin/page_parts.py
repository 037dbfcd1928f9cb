"""The parts of the incident change list's page around its table, written in Python as their
templates would write them (``incidents/admin/page.py``): the filters' sidebar
(``change_list.html`` and the portal's ``filter.html``), the search box (the portal's
``admin/search_form.html``) and the pages (Django's ``admin/pagination.html``)."""

from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.views.main import PAGE_VAR
from django.utils.formats import localize
from django.utils.html import conditional_escape as esc
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from ssi_portal.lib.templatetags.fixed_urls import fixed_static

from . import filters

_PAGE = "__page__"  # stands for each page's number in the pages' links


def filters_html(cl) -> str:
    """The filters' sidebar of ``change_list.html`` (``{% block filters %}``)."""
    extra = ""
    if cl.is_facets_optional or cl.has_active_filters:
        facets = clear = ""
        if cl.is_facets_optional:
            if cl.add_facets:
                link = f'<a href="{esc(cl.remove_facet_link)}" class="hidelink">'
                link += f"{gettext('Hide counts')}</a>\n                "
            else:
                link = f'<a href="{esc(cl.add_facet_link)}" class="viewlink">'
                link += f"{gettext('Show counts')}</a>"
            facets = f"<h3>\n                {link}\n              </h3>"
        if cl.has_active_filters:
            clear = (
                f'<h3>\n                <a href="{esc(cl.clear_all_filters_qs)}">&#10006; '
                f"{gettext('Clear all filters')}</a>\n              </h3>"
            )
        extra = (
            '<div id="changelist-filter-extra-actions">\n'
            f"              {facets}\n              {clear}\n            </div>"
        )
    specs = "".join(_filter(cl, spec) for spec in cl.filter_specs)
    return (
        '\n          <search id="changelist-filter" aria-labelledby="changelist-filter-header">\n'
        f'            <h2 id="changelist-filter-header">{gettext("Filter")}</h2>\n'
        f"            {extra}\n            {specs}\n          </search>\n          "
    )


def _filter(cl, spec) -> str:
    """``{% admin_list_filter cl spec %}``: the portal's ``filter.html`` written here, any
    other filter's template by Django."""
    if spec.template != filters.TEMPLATE:
        return admin_list.admin_list_filter(cl, spec)
    by = gettext(" By %(filter_title)s ") % {"filter_title": esc(spec.title)}
    return (
        f'\n\n<details data-filter-title="{esc(spec.title)}" open>\n  <summary>\n    {by}\n'
        f"  </summary>\n  <ul>\n  {filters.choices_html(spec.choices(cl))}\n  </ul>\n</details>\n"
    )


def search_html(cl) -> str:
    """The portal's ``admin/search_form.html`` (``{% search_form cl %}``)."""
    context = admin_list.search_form(cl)
    plural = esc(cl.opts.verbose_name_plural)
    label = gettext("Search %(name)s") % {"name": plural}
    search_var = context["search_var"]
    count = ""
    if context["show_result_count"]:
        results = ngettext("%(counter)s result", "%(counter)s results", cl.result_count) % {
            "counter": localize(cl.result_count)
        }
        query = ""
        if cl.is_popup:
            query = f"{context['is_popup_var']}=1{'&' if cl.add_facets else ''}"
        if cl.add_facets:
            query += context["is_facets_var"]
        if cl.show_full_result_count:
            total = gettext("%(full_result_count)s total") % {
                "full_result_count": localize(cl.full_result_count)
            }
        else:
            total = gettext("Show all")
        count = (
            f'\n    <span class="small quiet">{results} (<a href="?{query}">{total}</a>)</span>\n'
        )
    hidden = "".join(
        f'\n    <input type="hidden" name="{esc(name)}" value="{esc(value)}">\n'
        if name != search_var
        else "\n    \n"
        for name, value in cl.params.items()
    )
    described = ' aria-describedby="searchbar_helptext"' if cl.search_help_text else ""
    helptext = ""
    if cl.search_help_text:
        helptext = (
            f'\n<br class="clear">\n<div class="help" id="searchbar_helptext">'
            f"{esc(cl.search_help_text)}</div>\n"
        )
    return (
        '\n\n\n<div id="toolbar">\n'
        f'<h2 id="changelist-search-form" class="visually-hidden">{label}</h2>\n'
        '<form id="changelist-search" method="get" role="search" '
        'aria-labelledby="changelist-search-form">\n<div><!-- DIV needed for valid HTML -->\n'
        f'<label for="searchbar"><img src="{fixed_static("admin/img/search.svg")}" alt=""> '
        f"{label}</label>\n"
        f'<input type="text" size="40" name="{esc(search_var)}" value="{esc(cl.query)}" '
        f'id="searchbar"{described}>\n'
        f'<input type="submit" value="{gettext("Search")}">\n{count}\n{hidden}\n</div>\n'
        f"{helptext}\n</form></div>\n\n"
    )


def _page_links(cl, context):
    """``{% paginator_number cl i %}`` for each page; the links, which differ only in the
    page's number, from one query string."""
    pattern = escape(cl.get_query_string({PAGE_VAR: _PAGE})).split(_PAGE)
    for i in context["page_range"]:
        # The ellipsis is the one entry not a number (compared, it is translated each time).
        if type(i) is not int or i == cl.page_num or len(pattern) != 2:
            yield admin_list.paginator_number(cl, i)
        else:
            yield f'<a role="button" href="{pattern[0]}{int(i)}{pattern[1]}">{int(i)}</a> '


def pagination_html(cl) -> str:
    """Django's ``admin/pagination.html`` (``{% pagination cl %}``)."""
    context = admin_list.pagination(cl)
    name = esc(cl.opts.verbose_name_plural)
    pages = ""
    if context["pagination_required"]:
        links = "".join(f"\n        <li>{link}</li>\n    " for link in _page_links(cl, context))
        pages = f"\n    <ul>\n    {links}\n    </ul>\n    "
    one = cl.result_count == 1
    show_all = ""
    if context["show_all_url"]:
        show_all = (
            f'<a href="{esc(context["show_all_url"])}" class="showall">{gettext("Show all")}</a>'
        )
    return (
        '\n\n<nav class="paginator" aria-labelledby="pagination">\n'
        f'    <h2 id="pagination" class="visually-hidden">'
        f"{gettext('Pagination %(name)s') % {'name': name}}</h2>\n    {pages}\n"
        f"{localize(cl.result_count)} "
        f"{esc(cl.opts.verbose_name if one else cl.opts.verbose_name_plural)}\n"
        f"{show_all}\n</nav>\n"
    )
