"""Carriers, e-invoice providers and marketplaces: real httpx clients plus sandboxes."""
