"""Requests for Install Code: what a raise would say, a request with its timeline, the lists
and the bodies of each action. Never an install code, but in the answer to a reveal."""

from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from incidents.models import CloseOutcome, EventKind, IncidentStatus
from incidents.services import NOTE_MAX_LENGTH

from .lodged import CODE_HELP

# The status filter: any status, or "open" (every status but closed).
REQUEST_STATUSES = IncidentStatus.values
STATUS_FILTERS = ["open", *REQUEST_STATUSES]
SIDES = ["raised", "assigned", "disclaimed"]
ORDERS = ["-raised", "raised", "due", "-due", "updated"]
MAX_PAGE_SIZE = 200


class DevicePreviewSerializer(serializers.Serializer):
    device_id = serializers.CharField(
        help_text="The Device ID in canonical form; empty when what was sent is not one."
    )
    eligible = serializers.BooleanField(help_text="Whether a raise now would be accepted.")
    code = serializers.CharField(
        help_text="The reason code a raise would be refused with (as the raise's problem "
        "``code``: not_in_smi, ineligible_type, ineligible_status, own_device, "
        "not_registered, already_open, ...); empty when eligible."
    )
    message = serializers.CharField(help_text="The words the raise would answer.")
    assigned_to = serializers.CharField(
        allow_null=True,
        help_text="The installing Supplier a raise would be assigned to; null for the DCC "
        "helpdesk, and when not eligible.",
    )
    warning = serializers.CharField(
        help_text="The registration warning a raise would carry (when the portal warns "
        "rather than refuses); else empty."
    )


class ListQuerySerializer(serializers.Serializer):
    side = serializers.ChoiceField(
        choices=SIDES,
        required=False,
        help_text="raised: by your Supplier; assigned: to your Supplier (its worklist); "
        "disclaimed: answered \u201cnot installed by us\u201d by your Supplier. Left out: all "
        "of them.",
    )
    status = serializers.ChoiceField(
        choices=STATUS_FILTERS, required=False, help_text="One status, or open (all but closed)."
    )
    due_before = serializers.DateTimeField(
        required=False,
        help_text="Only requests awaiting the installing Supplier whose deadline is before "
        "this moment (ISO 8601 with its offset).",
    )
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="Only requests changed after this moment. With order=updated, a client "
        "follows every change: keep the last ``updated_at`` seen and ask from a minute before "
        "it (a change committed late may carry an earlier time); requests seen twice are the "
        "same by ``id``.",
    )
    order = serializers.ChoiceField(
        choices=ORDERS,
        default="-raised",
        help_text="-raised: newest first (the default); raised: oldest first; due / -due: "
        "by deadline where a clock runs, then the others newest first; updated: least "
        "recently changed first.",
    )
    cursor = serializers.CharField(
        required=False, max_length=200, help_text="The ``next`` of the previous page."
    )
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=50)


class RequestRowSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    device_id = serializers.CharField()
    device_type = serializers.CharField()
    status = serializers.ChoiceField(choices=IncidentStatus.values)
    raising_supplier = serializers.CharField()
    assigned_supplier = serializers.CharField(
        allow_null=True, help_text="null: with the DCC helpdesk."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(
        allow_null=True, help_text="While the installing Supplier's clock runs; else null."
    )
    breached_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(help_text="The request in the API.")


class RequestPageSerializer(serializers.Serializer):
    results = RequestRowSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.CharField(allow_null=True)


class EventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EventKind.values)
    at = serializers.DateTimeField(source="created_at")
    actor = serializers.CharField(
        help_text="Who acted: a person's name, an API client's name, or the SSI Portal."
    )
    organisation = serializers.CharField(help_text="The actor's Supplier, or the DCC.")
    from_status = serializers.CharField(help_text="Empty when the event changed no status.")
    to_status = serializers.CharField()
    message = serializers.CharField()


class RequestSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    device_id = serializers.CharField()
    device_type = serializers.CharField()
    status = serializers.ChoiceField(choices=IncidentStatus.values)
    status_label = serializers.CharField()
    side = serializers.ChoiceField(
        choices=[*SIDES, "helpdesk"],
        help_text="What your Supplier is to it: raised it, is assigned it, or disclaimed it "
        "(read only: the timeline ends with its answer and later assignees are not named).",
    )
    raising_supplier = serializers.CharField()
    raiser_reference = serializers.CharField(help_text="The raiser's own reference, to it only.")
    assigned_supplier = serializers.CharField(
        allow_null=True, help_text="null: with the DCC helpdesk."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.CharField(
        help_text="The deadline in words, as the page says it (\u201cthe end of Friday 10 "
        "April, UK time\u201d); empty when no clock runs."
    )
    overdue = serializers.BooleanField()
    breached_at = serializers.DateTimeField(allow_null=True)
    has_install_code = serializers.BooleanField(
        help_text="Whether a code is held; reveal it with the reveal operation."
    )
    code_provided_by = serializers.CharField(allow_null=True)
    code_provided_at = serializers.DateTimeField(allow_null=True)
    close_outcome = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    actions = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["answer", "not_installed", "reveal", "code_failed", "close", "note"]
        ),
        help_text="What this token may do to the request now (its scopes and the access "
        "rules); the pages offer a person the same.",
    )
    timeline = EventSerializer(many=True)


class AnswerSerializer(serializers.Serializer):
    install_code = serializers.CharField(
        max_length=64, trim_whitespace=False, write_only=True, help_text=CODE_HELP
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why (optional); never an install code.",
    )


class RequiredReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=NOTE_MAX_LENGTH,
        help_text="What went wrong when commissioning; never an install code.",
    )


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=CloseOutcome.values,
        help_text="code_worked (a code was provided and it worked) or no_longer_needed.",
    )


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, help_text="Seen by both Suppliers; never an install code."
    )


class RaiseSerializer(serializers.Serializer):
    device_id = serializers.CharField(
        max_length=64,
        trim_whitespace=False,
        help_text="The Device's ID (EUI-64): 16 hex digits, with or without hyphens or colons.",
    )


class NoBodySerializer(serializers.Serializer):
    """An action that takes no body (an empty JSON object, or nothing)."""


class RevealSerializer(serializers.Serializer):
    reference = serializers.CharField()
    install_code = serializers.CharField(help_text="32 hex digits, upper case, no separators.")
    crc = serializers.CharField(help_text="Its CRC (4 hex digits), to check it was read right.")


class NoteCreatedSerializer(serializers.Serializer):
    reference = serializers.CharField()
    event = EventSerializer()


# --- Examples (public example values only) ------------------------------------------------------

_ID = "5f0c6a8e-3b1d-4c2a-9e7f-2d4b6c8a0e1f"
_DEVICE = "00-DB-12-34-56-78-90-A0"

PREVIEW_EXAMPLES = [
    OpenApiExample(
        "Eligible",
        value={
            "device_id": _DEVICE,
            "eligible": True,
            "code": "",
            "message": f"A request for Device {_DEVICE} would be assigned to the installing "
            "Supplier, Installing Power.",
            "assigned_to": "Installing Power",
            "warning": "",
        },
        response_only=True,
    ),
    OpenApiExample(
        "Not awaiting commissioning",
        value={
            "device_id": _DEVICE,
            "eligible": False,
            "code": "ineligible_status",
            "message": f"Device {_DEVICE} has SMI status Commissioned; an install code can be "
            "requested only for a Device awaiting commissioning (Pending, Whitelisted or "
            "InstalledNotCommissioned).",
            "assigned_to": None,
            "warning": "",
        },
        response_only=True,
    ),
]

_REQUEST = {
    "id": _ID,
    "reference": "INC0000042",
    "device_id": _DEVICE,
    "device_type": "ESME",
    "status": "awaiting_installer",
    "status_label": "Awaiting installing Supplier",
    "side": "raised",
    "raising_supplier": "Gaining Energy",
    "raiser_reference": "",
    "assigned_supplier": "Installing Power",
    "created_at": "2026-12-01T09:30:00Z",
    "updated_at": "2026-12-01T09:30:00Z",
    "due_at": "2026-12-08T23:59:59.999999Z",
    "deadline": "the end of Tuesday 8 December, UK time",
    "overdue": False,
    "breached_at": None,
    "has_install_code": False,
    "code_provided_by": None,
    "code_provided_at": None,
    "close_outcome": "",
    "closed_at": None,
    "actions": ["close", "note"],
    "timeline": [
        {
            "kind": "raised",
            "at": "2026-12-01T09:30:00Z",
            "actor": "Gaining back office",
            "organisation": "Gaining Energy",
            "from_status": "",
            "to_status": "awaiting_installer",
            "message": "Assigned to the installing Supplier, Installing Power. Answer due by "
            "the end of Tuesday 8 December, UK time (five Working Days).",
        }
    ],
}

REQUEST_EXAMPLES = [OpenApiExample("Awaiting the installing Supplier", value=_REQUEST)]
RAISE_EXAMPLES = [
    OpenApiExample("A Device", value={"device_id": _DEVICE}, request_only=True),
    OpenApiExample("Raised", value=_REQUEST, response_only=True, status_codes=["201"]),
]
LIST_EXAMPLES = [
    OpenApiExample(
        "A page",
        value={
            "results": [
                {
                    "id": _ID,
                    "reference": "INC0000042",
                    "device_id": _DEVICE,
                    "device_type": "ESME",
                    "status": "awaiting_installer",
                    "raising_supplier": "Gaining Energy",
                    "assigned_supplier": "Installing Power",
                    "created_at": "2026-12-01T09:30:00Z",
                    "updated_at": "2026-12-01T09:30:00Z",
                    "due_at": "2026-12-08T23:59:59.999999Z",
                    "breached_at": None,
                    "url": f"/api/v1/requests/{_ID}/",
                }
            ],
            "next": "/api/v1/requests/?side=raised&cursor=bmV3OjA6MTc2NDU4MTQwMDAwMDAwMDo0Mjox",
            "previous": None,
        },
        response_only=True,
    )
]
ANSWER_EXAMPLES = [
    OpenApiExample(
        "A code with its CRC",
        value={"install_code": "0123-4567-89AB-CDEF-0123-4567-89AB-CDEF-1A2B"},
        request_only=True,
    ),
    OpenApiExample(
        "Answered",
        value={
            **_REQUEST,
            "side": "assigned",
            "status": "code_provided",
            "status_label": "Code provided",
            "has_install_code": True,
            "code_provided_by": "Installing Power",
            "code_provided_at": "2026-12-02T10:00:00Z",
            "due_at": None,
            "deadline": "",
            "actions": ["reveal", "note"],
        },
        response_only=True,
    ),
]
NOT_INSTALLED_EXAMPLES = [
    OpenApiExample(
        "With a reason",
        value={"reason": "Our install records show another Supplier fitted it."},
        request_only=True,
    )
]
CODE_FAILED_EXAMPLES = [
    OpenApiExample(
        "The HAN refused it",
        value={"reason": "The Comms Hub refused the code: HAN join failed twice."},
        request_only=True,
    )
]
CLOSE_EXAMPLES = [OpenApiExample("It worked", value={"outcome": "code_worked"}, request_only=True)]
NOTE_EXAMPLES = [
    OpenApiExample(
        "A note", value={"text": "Site visit booked for Thursday morning."}, request_only=True
    )
]
REVEAL_EXAMPLES = [
    OpenApiExample(
        "The code",
        value={
            "reference": "INC0000042",
            "install_code": "0123456789ABCDEF0123456789ABCDEF",
            "crc": "1A2B",
        },
        response_only=True,
    )
]
