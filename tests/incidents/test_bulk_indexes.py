"""The tables a bulk upload writes a row of for each row of its file (the incident, its clock,
its event, the row's result) keep no index another index makes redundant: each is one more
entry for every row written, 100,000 for a big file. And every foreign key of theirs still
leads an index, so that a read by it, a cascade or a protected delete never reads the table."""

import pytest
from django.db import connection
from django.db.models import Q

from incidents.models import Assignment, BulkRow, Incident, IncidentEvent

WRITTEN_PER_ROW = (Incident, Assignment, IncidentEvent, BulkRow)


def _indexes(model) -> dict[str, tuple[tuple[str, ...], bool, bool]]:
    """The table's indexes (unique constraints and the primary key too): name → (columns,
    unique, partial)."""
    partial = {index.name for index in model._meta.indexes if index.condition is not None} | {
        c.name for c in model._meta.constraints if getattr(c, "condition", None) is not None
    }
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        name: (tuple(info["columns"]), bool(info["unique"]), name in partial)
        for name, info in found.items()
        # PostgreSQL reports a unique constraint's index as the constraint, not as an index.
        if info["index"] or info["unique"]
    }


@pytest.mark.parametrize("model", WRITTEN_PER_ROW, ids=lambda m: m._meta.db_table)
def test_no_index_is_the_leading_columns_of_another(db, model):
    indexes = _indexes(model)
    redundant = [
        (name, other)
        for name, (columns, unique, partial) in indexes.items()
        if not unique and not partial
        for other, (wider, _, other_partial) in indexes.items()
        if other != name and not other_partial and wider[: len(columns)] == columns
    ]
    assert redundant == []


def _set_only(model) -> set[str]:
    """The partial indexes of rows where their first column is set: they answer every lookup
    of a value of it (``= 5``, ``IN (5, 7)``) as an index of the whole table would."""
    return {
        index.name
        for index in model._meta.indexes
        if index.condition == Q(**{f"{index.fields[0]}__isnull": False})
    }


@pytest.mark.parametrize("model", WRITTEN_PER_ROW, ids=lambda m: m._meta.db_table)
def test_every_foreign_key_leads_an_index_that_finds_each_of_its_values(db, model):
    set_only = _set_only(model)
    leading = {
        columns[0]
        for name, (columns, _, partial) in _indexes(model).items()
        if not partial or name in set_only
    }
    foreign_keys = {f.column for f in model._meta.concrete_fields if f.is_relation}
    assert foreign_keys - leading == set()


def test_a_request_is_raised_without_an_entry_for_the_supplier_that_will_answer_it(db):
    assert "inc_code_provider_idx" in _set_only(Incident)
    columns, _, partial = _indexes(Incident)["inc_code_provider_idx"]
    assert (columns, partial) == (("code_provided_by_id",), True)
    assert ("code_provided_by_id",) not in [c for c, _, p in _indexes(Incident).values() if not p]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A table this small is read whole unless the planner is told not to.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row for (row,) in cursor.fetchall())


@pytest.mark.postgres("the planner's reading of a partial index")
def test_a_suppliers_deletion_finds_the_codes_it_provided_through_the_partial_index(
    answered_incident,
):
    supplier = answered_incident.code_provided_by
    # What the deletion's protection asks (Collector.related_objects): by the Supplier's id.
    plan = _plan(Incident.objects.filter(code_provided_by__in=[supplier]).values("pk"))
    assert "inc_code_provider_idx" in plan
