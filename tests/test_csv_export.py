"""CSV downloads: Excel-friendly encoding and cells that cannot run as formulas."""

import csv
import io
from decimal import Decimal

import pytest

from ssi_portal.lib.csv_export import csv_response, safe_cell


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example","Click")',
        "+44 20 7946 0000",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_text_cell_a_spreadsheet_would_run_is_prefixed_with_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Aurora Energy", "", "a=b", " =1", "Power-Co"])
def test_ordinary_text_is_left_alone(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [-3, 0, 2.5, Decimal("-1.5"), None])
def test_numbers_and_empty_values_are_left_as_they_are(value):
    assert safe_cell(value) == value


def test_a_download_is_utf8_with_a_bom_a_header_and_safe_cells():
    response = csv_response(
        "report-2026-01-01.csv", ["Name", "Count"], [["=1+1", 3], ["Café Énergie", -1]]
    )
    body = response.content.decode("utf-8")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report-2026-01-01.csv"'
    assert body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body[1:]))) == [
        ["Name", "Count"],
        ["'=1+1", "3"],
        ["Café Énergie", "-1"],
    ]
