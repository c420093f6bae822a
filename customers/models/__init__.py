from .access import ROLE_MATRIX, Ability, Membership, Role
from .customers import Customer, Segment, ServicePoint
from .users import User, UserManager

__all__ = [
    "ROLE_MATRIX",
    "Ability",
    "Customer",
    "Membership",
    "Role",
    "Segment",
    "ServicePoint",
    "User",
    "UserManager",
]
