"""The list the helpdesk opens most: every incident, in any order, on any page.

There Django's change list asks each filter for its rows (a clone of the query each) and the
search for its own, and each gives back the rows it was given; they are not asked. What they
would have done is certain only for the filters and the search known here, as written; any
other (or one changed) is asked as Django asks it.
"""

from django.contrib.admin import FieldListFilter, ModelAdmin
from django.contrib.admin.views.main import ORDER_VAR

from .filters import BreachedFilter, OverdueFilter

# Filters whose queryset(), with no value chosen, returns the rows it is given (as written).
_UNCHANGED_WITHOUT_VALUE = {kind: kind.queryset for kind in (OverdueFilter, BreachedFilter)}


class CommonListMixin:
    """For Django's ``ChangeList``: ``common`` where the list is every incident."""

    common = False

    def get_queryset(self, request, exclude_parameters=None):
        # The list the helpdesk opens most (no filter, no search, in any order, any page) is
        # Django's root queryset with its related rows and order: each filter's queryset(),
        # given none of its parameters, and the search, given no term, return the rows they
        # are given, and no parameter is left over. Those calls (a clone of the query each)
        # are skipped there; the filters are made as Django makes them, for the page.
        if exclude_parameters is not None or not self._common_request():
            return super().get_queryset(request, exclude_parameters)
        (
            self.filter_specs,
            self.has_filters,
            remaining,
            duplicates,
            self.has_active_filters,
        ) = self.get_filters(request)
        if remaining or duplicates or self.has_active_filters or not self._no_op_filters():
            return super().get_queryset(request, exclude_parameters)
        self.common = True
        qs = self.root_queryset
        if not qs.query.select_related:
            qs = self.apply_select_related(qs)
        qs = qs.order_by(*self.get_ordering(request, qs))
        self.clear_all_filters_qs = self.get_query_string({}, self.get_filters_params())
        return qs

    def _common_request(self) -> bool:
        model_admin = type(self.model_admin)
        return bool(
            self.filter_params.keys() <= {ORDER_VAR}
            and not self.query
            and model_admin.get_queryset is ModelAdmin.get_queryset
            and getattr(model_admin.get_search_results, "blank_term_unchanged", False)
        )

    def _no_op_filters(self) -> bool:
        for spec in self.filter_specs:
            if spec.used_parameters:
                return False
            kind = type(spec)
            if kind.queryset is not FieldListFilter.queryset and (
                kind.queryset is not _UNCHANGED_WITHOUT_VALUE.get(kind) or spec.value() is not None
            ):
                return False
        return True
