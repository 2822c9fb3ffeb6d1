"""The deterministic, button-driven sales flow: works with no LLM at all.

``OfflineFlow.handle(ctx, state, text=..., payload=...)`` -> ``Outcome``. Modules: ``state``
(the stored memory and pure rules), ``variants`` (choosing a variant), ``payloads`` (button
data), ``messages`` (every sentence, vi and en), ``render`` (replies), and one module of
handlers per part of the journey: ``browse``, ``cart``, ``checkout``, ``orders``.
"""

from agents.offline.context import FlowContext, Outcome
from agents.offline.flow import OfflineFlow
from agents.offline.shop import ShopTools
from agents.offline.state import FlowState

__all__ = ["FlowContext", "FlowState", "OfflineFlow", "Outcome", "ShopTools"]
