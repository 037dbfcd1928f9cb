"""Devices: what a raise for a Device ID would answer now, before raising."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from incidents.services import incident_raise_preview

from ..serializers.requests import PREVIEW_EXAMPLES, DevicePreviewSerializer
from .base import ApiView


class DeviceView(ApiView):
    required_scopes = {"GET": "raise"}

    @extend_schema(
        operation_id="device_raise_preview",
        summary="Whether a request can be raised for a Device",
        description=(
            "What raising a Request for Install Code for this Device ID would answer now, "
            "without raising: eligible (and to whom the request would be assigned), or the "
            "reason code and words of the refusal, from the same checks in the same order as "
            "the raise (the Device ID, the Smart Metering Inventory, the registration data, "
            "an open request). It tells no more than a raise would: another Supplier's open "
            "request only to the Supplier registered for the Device's meter point. Counts "
            "towards no raise limit; needs the raise scope."
        ),
        parameters=[
            OpenApiParameter(
                "device_id",
                str,
                OpenApiParameter.PATH,
                description="16 hex digits, with or without hyphens or colons.",
            )
        ],
        responses=DevicePreviewSerializer,
        examples=PREVIEW_EXAMPLES,
        tags=["Devices"],
    )
    def get(self, request, device_id):
        preview = incident_raise_preview(actor=request.user, device_id=device_id)
        return Response(DevicePreviewSerializer(preview).data)
