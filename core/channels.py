"""Where orders and conversations come from: the one list of channels.

Sales channels name an order's origin (chat platforms, marketplaces, the phone, staff typing
one in); chat channels are those a customer talks to the shop on, through the conversation
service. Every model, tool and table takes its list from here.
"""

from __future__ import annotations

from typing import Literal, get_args

ChatChannel = Literal["web", "telegram", "messenger", "zalo"]
SalesChannel = Literal[
    "web",
    "telegram",
    "messenger",
    "zalo",
    "shopee",
    "lazada",
    "tiktok",
    "phone",
    "facebook",
    "manual",
]

CHAT_CHANNELS: tuple[str, ...] = get_args(ChatChannel)
SALES_CHANNELS: tuple[str, ...] = get_args(SalesChannel)
