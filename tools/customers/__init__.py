"""Customers: one record per person across channels, found by phone, name or channel identity.

A person who writes on Zalo, orders on Shopee and calls in is one customer: phones (E.164),
addresses and channel identities point at the customer row, and ``merge_customers`` joins
duplicates. A merged customer keeps ``merged_into_id`` and every lookup follows it.
Customers may read and edit only their own record, and never see staff notes.

Modules: schemas (inputs and outputs), records (checks, the merge chain, CustomerOut),
editing (create_customer, update_customer), finding (get_customer, find_customers), merging
(merge_customers) and identities (customer_for_identity, for the channels).
"""

from __future__ import annotations

from tools.customers.editing import create_customer, update_customer
from tools.customers.finding import find_customers, get_customer
from tools.customers.identities import customer_for_identity
from tools.customers.merging import merge_customers
from tools.customers.records import survivor_id
from tools.customers.schemas import (
    CHANNELS,
    AddressIn,
    AddressOut,
    CreateCustomerIn,
    CustomerOut,
    CustomerSummary,
    FindCustomersIn,
    FindCustomersOut,
    GetCustomerIn,
    IdentityIn,
    IdentityOut,
    MergeCustomersIn,
    MergeCustomersOut,
    UpdateCustomerIn,
)
from tools.order_models import Channel

__all__ = [
    "CHANNELS",
    "AddressIn",
    "AddressOut",
    "Channel",
    "CreateCustomerIn",
    "CustomerOut",
    "CustomerSummary",
    "FindCustomersIn",
    "FindCustomersOut",
    "GetCustomerIn",
    "IdentityIn",
    "IdentityOut",
    "MergeCustomersIn",
    "MergeCustomersOut",
    "UpdateCustomerIn",
    "create_customer",
    "customer_for_identity",
    "find_customers",
    "get_customer",
    "merge_customers",
    "survivor_id",
    "update_customer",
]
