"""Lodging install codes in advance through the API, and withdrawing them: batches judged item
by item with the rules and words of a lodge file's rows, nothing half-written."""

import pytest

from accounts.models import SecurityEvent, SecurityEventKind
from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.models import IncidentStatus, LodgedCode
from incidents.services import incident_raise
from inventory.models import DeviceType
from ssi_portal.lib.crypto import key_ring
from tests.factories import DeviceFactory
from tests.support.bulk import LODGE_HEADER, results, run

from .conftest import caller

pytestmark = pytest.mark.django_db
LODGE = "/api/v1/lodged-codes/"
WITHDRAW = "/api/v1/lodged-codes/withdraw/"
MISSING = "00-DB-FF-FF-FF-FF-FF-01"


def lodge(api, *items):
    return api.post(LODGE, [{"device_id": d, "install_code": c} for d, c in items])


@pytest.fixture
def lodged(installing_api, device):
    """The installing Supplier lodged its Device's code through the API."""
    assert lodge(installing_api, (device.device_id, INSTALL_CODE_WITH_CRC)).status_code == 200
    return LodgedCode.objects.get(device=device)


# --- Lodging ------------------------------------------------------------------------------------


def test_the_installing_supplier_lodges_the_code_of_a_device_it_pre_notified(
    installing_api, device
):
    response = lodge(installing_api, (device.device_id.lower().replace("-", ""), INSTALL_CODE))

    assert response.status_code == 200
    assert response.json() == {
        "lodged": 1,
        "refused": 0,
        "results": [
            {
                "index": 0,
                "device_id": device.device_id,
                "result": "lodged",
                "code": "",
                "message": "Install code lodged: a request raised for this Device is answered "
                "at once.",
                "replaced": False,
            }
        ],
    }
    code = LodgedCode.objects.get(device=device)
    assert code.lodged_by == installing_api.api_client.user
    opened = key_ring().open(code.code_sealed, aad=LodgedCode.seal_context_for(device.device_id))
    assert opened.hex().upper() == INSTALL_CODE


def test_a_request_raised_later_is_answered_at_once_from_the_code_lodged(
    lodged, gaining_user, device
):
    incident = incident_raise(actor=gaining_user, device_id=device.device_id)

    assert incident.status == IncidentStatus.CODE_PROVIDED
    assert not LodgedCode.objects.exists()


def test_lodging_a_code_again_replaces_the_one_lodged_before(installing_api, lodged, device):
    response = lodge(installing_api, (device.device_id, INSTALL_CODE))

    [item] = response.json()["results"]
    assert item["replaced"] is True and item["message"].endswith(
        "It replaces the code lodged before."
    )
    assert LodgedCode.objects.count() == 1


def test_each_item_is_refused_on_its_own_with_the_words_of_a_lodge_files_row(
    installing_api, installing_user, installing_supplier, device, gaining_user, other_supplier
):
    foreign = DeviceFactory(installing_supplier=other_supplier)
    hub = DeviceFactory(installing_supplier=installing_supplier, device_type=DeviceType.CHF)
    opened = DeviceFactory(installing_supplier=installing_supplier)
    incident_raise(actor=gaining_user, device_id=opened.device_id)
    items = [
        (device.device_id, INSTALL_CODE_WITH_CRC),
        ("not-a-device", INSTALL_CODE),
        (foreign.device_id, INSTALL_CODE),
        (MISSING, INSTALL_CODE),
        (hub.device_id, INSTALL_CODE),
        (opened.device_id, INSTALL_CODE),
        (device.device_id, INSTALL_CODE),
        (foreign.device_id, "83FED340"),
    ]

    response = lodge(installing_api, *items)
    file_rows = results(
        run(installing_user, "lodge", LODGE_HEADER, *(f"{d},{c}" for d, c in items))
    )

    found = response.json()["results"]
    assert [(r["index"], r["result"], r["code"]) for r in found] == [
        (0, "lodged", ""),
        (1, "refused", "bad_format"),
        (2, "refused", "not_prenotified_by_you"),
        (3, "refused", "not_in_smi"),
        (4, "refused", "ineligible_type"),
        (5, "refused", "already_open"),
        (6, "refused", "duplicate_in_batch"),
        (7, "refused", "bad_install_code"),
    ]
    assert response.json()["lodged"] == 1 and response.json()["refused"] == 7
    in_the_file = [row.message for row in file_rows.values()]
    for index in (1, 2, 3, 4, 5, 7):  # the same words as the rows of a lodge file
        assert found[index]["message"] == in_the_file[index], index
    assert found[6]["message"] == (
        f"Device {device.device_id} is also at index 0 of this batch; only index 0 is used."
    )
    assert list(LodgedCode.objects.values_list("device", flat=True)) == [device.pk]


def test_the_results_never_hold_an_install_code(installing_api, device):
    response = lodge(installing_api, (device.device_id, INSTALL_CODE_WITH_CRC), (MISSING, "ZZ"))

    assert INSTALL_CODE[:12] not in response.content.decode().upper()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], None),
        ({"device_id": MISSING, "install_code": INSTALL_CODE}, None),
        ([{"device_id": MISSING}], "[0].install_code"),
        (
            [{"device_id": MISSING, "install_code": INSTALL_CODE}, {"device_id": None}],
            "[1].device_id",
        ),
    ],
)
def test_a_batch_of_the_wrong_shape_is_refused_whole_naming_the_item(installing_api, body, field):
    response = installing_api.post(LODGE, body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert not LodgedCode.objects.exists()


def test_a_batch_of_more_than_a_thousand_items_is_refused_whole(installing_api, device):
    items = [(device.device_id, INSTALL_CODE)] * 1001

    response = lodge(installing_api, *items)

    assert response.status_code == 422
    assert "no more than 1000" in response.json()["detail"]


def test_lodging_needs_the_answer_scope(installing_supplier, device):
    api = caller(installing_supplier, scopes=["read", "raise"])

    response = lodge(api, (device.device_id, INSTALL_CODE))

    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert not LodgedCode.objects.exists()


# --- Withdrawing --------------------------------------------------------------------------------


def test_a_supplier_withdraws_the_code_it_lodged_and_the_security_log_records_it(
    installing_api, lodged, device
):
    response = installing_api.post(WITHDRAW, [device.device_id])

    assert response.status_code == 200
    assert response.json()["withdrawn"] == 1
    assert response.json()["results"][0]["result"] == "withdrawn"
    assert not LodgedCode.objects.exists()
    event = SecurityEvent.objects.get(kind=SecurityEventKind.LODGED_CODE_WITHDRAWN)
    assert event.reference == device.device_id
    assert event.actor == installing_api.api_client.user


def test_another_suppliers_code_is_refused_exactly_like_none_lodged(
    installing_api, other_api, lodged, device
):
    response = other_api.post(WITHDRAW, [device.device_id, MISSING])

    [foreign, missing] = response.json()["results"]
    assert (foreign["code"], missing["code"]) == ("not_lodged", "not_lodged")
    assert foreign["message"] == (
        f"Third Party Gas has no install code lodged for Device {device.device_id}."
    )
    assert missing["message"] == foreign["message"].replace(device.device_id, MISSING)
    assert LodgedCode.objects.filter(device=device).exists()
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.LODGED_CODE_WITHDRAWN)


def test_a_withdrawal_refuses_a_bad_or_repeated_device_id_on_its_own(
    installing_api, lodged, device
):
    response = installing_api.post(WITHDRAW, ["nonsense", device.device_id, device.device_id])

    assert [(r["result"], r["code"]) for r in response.json()["results"]] == [
        ("refused", "bad_format"),
        ("withdrawn", ""),
        ("refused", "duplicate_in_batch"),
    ]


def test_withdrawing_needs_the_answer_scope(installing_supplier, lodged, device):
    api = caller(installing_supplier, name="Reader", scopes=["read"])

    response = api.post(WITHDRAW, [device.device_id])

    assert response.status_code == 403
    assert LodgedCode.objects.exists()


def test_a_withdrawal_that_is_not_a_list_of_device_ids_is_refused_whole(installing_api, lodged):
    response = installing_api.post(WITHDRAW, {"device_ids": ["00-DB-12-34-56-78-90-A0"]})

    assert response.status_code == 422
    assert LodgedCode.objects.exists()
