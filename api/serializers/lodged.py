"""Install codes lodged in advance: batches to lodge or withdraw, and each item's result."""

from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from incidents.services.lodged import MAX_BATCH

CODE_HELP = "32 hex digits, or 36 with the CRC; spaces, hyphens and colons between groups."


class LodgeItemSerializer(serializers.Serializer):
    device_id = serializers.CharField(
        max_length=64, trim_whitespace=False, help_text="A Device your Supplier pre-notified."
    )
    install_code = serializers.CharField(
        max_length=64, trim_whitespace=False, write_only=True, help_text=CODE_HELP
    )


def lodge_batch(data=None) -> serializers.ListSerializer:
    return LodgeItemSerializer(data=data, many=True, min_length=1, max_length=MAX_BATCH)


WITHDRAW_SCHEMA = {
    "type": "array",
    "items": {"type": "string", "maxLength": 64, "description": "A Device ID."},
    "minItems": 1,
    "maxItems": MAX_BATCH,
    "description": "The Devices whose lodged codes to withdraw.",
}


def withdraw_batch() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=64, trim_whitespace=False),
        min_length=1,
        max_length=MAX_BATCH,
        help_text="The Devices whose lodged codes to withdraw.",
    )


class ItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's place in the batch, from 0.")
    device_id = serializers.CharField(help_text="Canonical; empty when the item's did not parse.")
    result = serializers.ChoiceField(choices=["lodged", "withdrawn", "refused"])
    code = serializers.CharField(help_text="The reason code of a refused item; else empty.")
    message = serializers.CharField()
    replaced = serializers.BooleanField(help_text="A code lodged before was replaced.")


class LodgeResultsSerializer(serializers.Serializer):
    lodged = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = ItemResultSerializer(many=True)


class WithdrawResultsSerializer(serializers.Serializer):
    withdrawn = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = ItemResultSerializer(many=True)


DEVICE = "00-DB-12-34-56-78-90-A0"
LODGE_EXAMPLES = [
    OpenApiExample(
        "Two codes",
        value=[
            {"device_id": DEVICE, "install_code": "83FED3407A939723A5C639B26916D505C3B5"},
            {"device_id": "00-DB-12-34-56-78-90-A1", "install_code": "83FED340"},
        ],
        request_only=True,
    ),
    OpenApiExample(
        "One lodged, one refused",
        value={
            "lodged": 1,
            "refused": 1,
            "results": [
                {
                    "index": 0,
                    "device_id": DEVICE,
                    "result": "lodged",
                    "code": "",
                    "message": "Install code lodged: a request raised for this Device is "
                    "answered at once.",
                    "replaced": False,
                },
                {
                    "index": 1,
                    "device_id": "00-DB-12-34-56-78-90-A1",
                    "result": "refused",
                    "code": "bad_install_code",
                    "message": "An install code is 32 hex digits (or 36 with its CRC); this "
                    "one has 8.",
                    "replaced": False,
                },
            ],
        },
        response_only=True,
    ),
]
WITHDRAW_EXAMPLES = [
    OpenApiExample("Two Devices", value=[DEVICE, "00-DB-12-34-56-78-90-A1"], request_only=True),
    OpenApiExample(
        "One withdrawn, one not lodged",
        value={
            "withdrawn": 1,
            "refused": 1,
            "results": [
                {
                    "index": 0,
                    "device_id": DEVICE,
                    "result": "withdrawn",
                    "code": "",
                    "message": "Lodged install code withdrawn.",
                    "replaced": False,
                },
                {
                    "index": 1,
                    "device_id": "00-DB-12-34-56-78-90-A1",
                    "result": "refused",
                    "code": "not_lodged",
                    "message": "Installing Power has no install code lodged for Device "
                    "00-DB-12-34-56-78-90-A1.",
                    "replaced": False,
                },
            ],
        },
        response_only=True,
    ),
]
