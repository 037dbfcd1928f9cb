from .inventory import (
    DeviceFactory,
    HelpdeskUserFactory,
    SupplierContactFactory,
    SupplierFactory,
    UserFactory,
)

__all__ = [
    "DeviceFactory",
    "HelpdeskUserFactory",
    "SupplierContactFactory",
    "SupplierFactory",
    "UserFactory",
]
