"""Periodic jobs: each module one job, run by the CLI (a scheduler can run the same functions)."""
