"""Who is calling: actors and roles. The permission table itself is the tool registry."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    SALES = "sales"
    WAREHOUSE = "warehouse"
    ACCOUNTANT = "accountant"
    CUSTOMER = "customer"
    SYSTEM = "system"


STAFF_ROLES: frozenset[Role] = frozenset(
    {Role.OWNER, Role.MANAGER, Role.SALES, Role.WAREHOUSE, Role.ACCOUNTANT}
)


@dataclass(frozen=True, slots=True)
class Actor:
    """The identity a tool runs as. A customer's id comes from the channel, never from arguments."""

    role: Role
    customer_id: int | None = None
    staff_id: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.role is Role.CUSTOMER and self.customer_id is None:
            raise ValueError("a customer actor needs a customer id")

    @property
    def is_customer(self) -> bool:
        return self.role is Role.CUSTOMER

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def label(self) -> str:
        if self.role is Role.CUSTOMER:
            return f"customer:{self.customer_id}"
        if self.staff_id is not None:
            return f"{self.role}:{self.staff_id}"
        return self.role.value

    @classmethod
    def system(cls) -> Actor:
        return cls(role=Role.SYSTEM, name="system")

    @classmethod
    def customer(cls, customer_id: int) -> Actor:
        return cls(role=Role.CUSTOMER, customer_id=customer_id)
