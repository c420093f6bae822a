from .access import ROLE_MATRIX, Ability, Invitation, Membership, Role
from .activation import AccessBatch, ActivationCode
from .audit import AuditEvent, UserSession
from .changes import ChangeRequest
from .contracts import Contract, ContractAcceptance, ContractDocument
from .customers import Customer, Segment, ServicePoint
from .inbox import (
    DashboardLayout,
    DashboardLayoutItem,
    InboxMessage,
    MessageAttachment,
    MessageReceipt,
    Shipment,
)
from .tokens import PersonalAccessToken
from .users import User, UserManager

__all__ = [
    "AccessBatch",
    "ActivationCode",
    "ROLE_MATRIX",
    "Ability",
    "AuditEvent",
    "ChangeRequest",
    "Contract",
    "ContractAcceptance",
    "ContractDocument",
    "Customer",
    "DashboardLayout",
    "DashboardLayoutItem",
    "InboxMessage",
    "MessageAttachment",
    "MessageReceipt",
    "Shipment",
    "Invitation",
    "Membership",
    "PersonalAccessToken",
    "Role",
    "Segment",
    "ServicePoint",
    "User",
    "UserSession",
    "UserManager",
]
