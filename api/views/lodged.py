"""Install codes lodged in advance, in batches: lodge them, or withdraw them. Each item is
lodged (or withdrawn) or refused on its own, with its own reason, never half-written; an item
refused does not stop the others (``incidents.services.lodged``)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from incidents.services.lodged import lodged_codes_lodge, lodged_codes_withdraw

from ..serializers.lodged import (
    LODGE_EXAMPLES,
    WITHDRAW_EXAMPLES,
    WITHDRAW_SCHEMA,
    LodgeResultsSerializer,
    WithdrawResultsSerializer,
    lodge_batch,
    withdraw_batch,
)
from .base import ApiView

TAGS = ["Lodged codes"]
PER_ITEM = (
    " Each item is judged on its own, with the rules and words of a lodge file's rows: one "
    "refused (its ``code`` and ``message`` say why) writes nothing and does not stop the "
    "others. A body that is not a list of 1 to 1,000 items of the right shape is refused "
    "whole (422, ``errors`` naming each item and field)."
)


def _results(results, done: str) -> dict:
    return {
        done: sum(1 for r in results if r.result == done),
        "refused": sum(1 for r in results if r.result == "refused"),
        "results": results,
    }


class LodgeView(ApiView):
    required_scopes = {"POST": "answer"}

    @extend_schema(
        operation_id="lodged_codes_lodge",
        summary="Lodge install codes in advance",
        description=(
            "For Devices your Supplier pre-notified, awaiting commissioning and without an "
            "open request: a request later raised for one is answered at once from its code. "
            "Lodging a Device's code again replaces it." + PER_ITEM
        ),
        request=lodge_batch(),
        responses={200: LodgeResultsSerializer},
        examples=LODGE_EXAMPLES,
        tags=TAGS,
    )
    def post(self, request):
        batch = lodge_batch(request.data)
        batch.is_valid(raise_exception=True)
        items = [(item["device_id"], item["install_code"]) for item in batch.validated_data]
        results = lodged_codes_lodge(actor=request.user, items=items)
        return Response(LodgeResultsSerializer(_results(results, "lodged")).data)


class WithdrawView(ApiView):
    required_scopes = {"POST": "answer"}

    @extend_schema(
        operation_id="lodged_codes_withdraw",
        summary="Withdraw lodged install codes",
        description=(
            "The codes your Supplier lodged for these Devices are deleted, each withdrawal "
            "recorded in the security log. A Device without a code of yours lodged is refused "
            "``not_lodged``." + PER_ITEM
        ),
        request={"application/json": WITHDRAW_SCHEMA},
        responses={200: WithdrawResultsSerializer},
        examples=WITHDRAW_EXAMPLES,
        tags=TAGS,
    )
    def post(self, request):
        device_ids = withdraw_batch().run_validation(request.data)
        results = lodged_codes_withdraw(actor=request.user, device_ids=device_ids)
        return Response(WithdrawResultsSerializer(_results(results, "withdrawn")).data)
