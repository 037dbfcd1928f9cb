from .inventory import (
    DEFAULT_MPXN,
    DeviceFactory,
    HelpdeskUserFactory,
    RegistrationFactory,
    SupplierContactFactory,
    SupplierFactory,
    UserFactory,
)

__all__ = [
    "DEFAULT_MPXN",
    "RegistrationFactory",
    "DeviceFactory",
    "HelpdeskUserFactory",
    "SupplierContactFactory",
    "SupplierFactory",
    "UserFactory",
]
