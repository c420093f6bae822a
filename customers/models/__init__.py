from .access import ROLE_MATRIX, Ability, Membership, Role
from .audit import AuditEvent, UserSession
from .customers import Customer, Segment, ServicePoint
from .users import User, UserManager

__all__ = [
    "ROLE_MATRIX",
    "Ability",
    "AuditEvent",
    "Customer",
    "Membership",
    "Role",
    "Segment",
    "ServicePoint",
    "User",
    "UserSession",
    "UserManager",
]
