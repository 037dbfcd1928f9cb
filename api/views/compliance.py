"""The calling client's Supplier's own compliance figures, exactly as its compliance page
shows them (``incidents.selectors.compliance``)."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from incidents.permissions import Refusal
from incidents.selectors import compliance
from ssi_portal.lib.working_days import LONDON

from ..serializers.compliance import (
    COMPLIANCE_EXAMPLES,
    ComplianceSerializer,
    PeriodQuerySerializer,
)
from .base import ApiView


class ComplianceView(ApiView):
    required_scopes = {"GET": "read"}

    @extend_schema(
        operation_id="compliance_get",
        summary="Your Supplier's compliance figures",
        description=(
            "How your Supplier kept the five-Working-Day clock in a period, month by month "
            "(UK time) and in total, with the definitions of the compliance page. Without "
            "dates, the last three full months and this month so far. A refused date or "
            "period is a 422 naming the field."
        ),
        parameters=[PeriodQuerySerializer],
        responses=ComplianceSerializer,
        examples=COMPLIANCE_EXAMPLES,
        tags=["Compliance"],
    )
    def get(self, request):
        if not request.user.supplier_id:
            raise PermissionDenied(Refusal.NOT_SUPPLIER_COMPLIANCE.text)
        default = compliance.default_period(timezone.localdate(timezone=LONDON))
        query = PeriodQuerySerializer(data=request.query_params, default=default)
        query.is_valid(raise_exception=True)
        report = compliance.compliance_for_supplier(request.user.supplier, query.validated_data)
        return Response(ComplianceSerializer(report).data)
