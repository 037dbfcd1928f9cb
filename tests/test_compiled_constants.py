"""On PostgreSQL a compiled query (ssi_portal/lib/compiled.py) is sent with the constants of its
shape written into its SQL and only the values of each run bound: the statement prepared on a
connection then has a generic plan that can read a partial index, and is planned once."""

import pytest
from django.db import connection

from accounts.models import Supplier
from incidents.selectors.incidents import incident_side_page
from incidents.selectors.lists import list_criteria
from incidents.selectors.orders import LIST_ORDERS
from ssi_portal.lib.compiled import CompiledQuery

pytestmark = [pytest.mark.postgres("prepared statements and their plans"), pytest.mark.django_db]


def _prepared(fragment: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchall()


def test_a_constant_is_written_in_as_a_literal_and_a_value_stays_bound(installing_supplier):
    odd = Supplier.objects.create(
        name="50% O'Brien Power", user_id="90-B3-D5-1F-30-00-00-73", mpid="OBRN"
    )
    query = CompiledQuery(
        lambda pk: Supplier.objects.filter(pk=pk, name="50% O'Brien Power").values_list("mpid"),
        kinds=(int,),
    )

    for _ in range(2):  # prepared the second time a connection runs it
        assert query.rows(odd.pk) == [["OBRN"]]
        assert query.rows(installing_supplier.pk) == []

    [(_name, statement)] = _prepared("O''Brien")
    assert "\"name\" = '50% O''Brien Power'" in statement
    assert '"id" = $1' in statement and str(odd.pk) not in statement


def test_the_worklist_by_deadline_has_a_generic_plan_that_reads_the_running_clocks_index(
    installing_user,
):
    criteria = list_criteria()
    order = LIST_ORDERS["due"]
    for _ in range(2):
        incident_side_page(installing_user, "assigned", criteria, None, size=25, order=order)
    [(name, statement)] = _prepared("UNION ALL")
    assert "'awaiting_installer'" in statement

    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute("SET enable_seqscan = off")
        try:
            supplier = int(installing_user.supplier_id)  # in each of the two parts
            cursor.execute(f"EXPLAIN EXECUTE {name}({supplier}, {supplier})")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("RESET enable_seqscan")
    # The running clocks by deadline, read from the partial index of the assigned Supplier's
    # running clocks: a generic plan could not prove its condition from a bound status.
    assert "inc_assignee_awaiting_idx" in plan
