"""Runs a tool as an actor: permission, validation, one transaction, the audit log.

Every surface calls ``ToolRunner.call``; nothing else opens a transaction for a tool.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from core.cards import Decision
from core.clean_text import check_all, scrub
from core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from core.roles import Actor
from storage import audit
from storage.audit import NewAuditEntry
from storage.base import utcnow
from storage.database import Database
from storage.errors import DatabaseNotMigrated, classify, domain_error_for
from storage.pending import PendingStatus, get_pending, settle
from tools.audit_log import AuditWriter
from tools.config import ToolConfig
from tools.context import ToolContext
from tools.events import flush_events
from tools.idempotency import Idempotent, remember, replay
from tools.input_check import refuse_ambiguous_references, refuse_unknown_fields
from tools.pending import (
    Decided,
    Proposal,
    agent_surface,
    claim,
    record_proposal,
    remember_result,
)
from tools.registry import Registry, Tool
from tools.waiting import serve_waiting_orders

log = logging.getLogger("shopbot.tools")

MAX_ATTEMPTS = 3
MAX_INTEGER = 2**63 - 1  # ids and counts are 64-bit integers in the database

# Quote tokens and idempotency keys are handles, not credentials, and stay readable.
_SECRET = re.compile(
    r"password|secret|api_?key|authorization|access_token|refresh_token|bot_token|^token$",
    re.IGNORECASE,
)


def redact(value: Any) -> Any:
    """Audit rows keep arguments, never secrets."""
    if isinstance(value, dict):
        return {k: ("***" if _SECRET.search(k) else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


_BLOB = re.compile(r"content|base64|file_data", re.IGNORECASE)
_AUDIT_TEXT_LIMIT = 2_000


def shrink(value: Any) -> Any:
    """Uploaded files travel as arguments; the audit keeps their size, not their bytes."""
    if isinstance(value, dict):
        return {k: shrink(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shrink(v) for v in value]
    if isinstance(value, str) and len(value) > _AUDIT_TEXT_LIMIT:
        return f"<{len(value)} characters>"
    return value


@functools.cache
def may_hold_blobs(model: type[BaseModel]) -> bool:
    return any(_BLOB.search(n) for n in _field_names(model))


def _field_names(model: type[BaseModel]) -> list[str]:
    schema = model.model_json_schema()
    names: list[str] = list(schema.get("properties", {}))
    for sub in schema.get("$defs", {}).values():
        names.extend(sub.get("properties", {}))
    return names


@functools.cache
def may_hold_secrets(model: type[BaseModel]) -> bool:
    """Whether any field name in the input model (nested too) looks like a secret; the audit
    skips the recursive redaction walk for the many tools where none does."""
    return any(_SECRET.search(n) for n in _field_names(model))


def validation_error(exc: ValidationError) -> InvalidInput:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or None
    msg = first.get("msg", "invalid value")
    return InvalidInput(
        f"{field}: {msg}" if field else msg,
        field=field,
        details={
            "errors": [
                {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
                for e in exc.errors()
            ]
        },
    )


@dataclasses.dataclass(frozen=True)
class _Propose:
    conversation_id: int | None


@dataclasses.dataclass(frozen=True)
class _Confirm:
    token: str


_Step = _Propose | _Confirm | None


class ToolRunner:
    def __init__(self, db: Database, registry: Registry, config: ToolConfig | None = None) -> None:
        self.db = db
        self.registry = registry
        self.config = config or ToolConfig()
        self.audit_log = AuditWriter(db)
        self._committed: list[Callable[[Tool[Any, Any]], None]] = []

    def on_commit(self, hook: Callable[[Tool[Any, Any]], None]) -> None:
        """``hook(tool)`` after each committed call of a write tool: for caches of what
        tools change (the HTTP API's key cache forgets revoked keys at once)."""
        self._committed.append(hook)

    async def aclose(self) -> None:
        await self.audit_log.aclose()

    async def call(
        self,
        name: str,
        args: dict[str, Any] | BaseModel | None,
        actor: Actor,
        *,
        surface: str = "internal",
    ) -> BaseModel:
        """Runs the tool as ``actor``. A tool that needs the person's confirmation is refused
        on an agent's surface: agents ``propose`` it instead."""
        return await self._call(name, args, actor, surface=surface, step=None)

    async def propose(
        self,
        name: str,
        args: dict[str, Any] | BaseModel | None,
        actor: Actor,
        *,
        conversation_id: int | None,
        surface: str = "agent",
    ) -> Proposal:
        """Checks the call as ``call`` would, then stores it as a pending action with its
        card instead of running it (tools/pending.py). Only for tools with a card builder."""
        result = await self._call(
            name, args, actor, surface=surface, step=_Propose(conversation_id)
        )
        assert isinstance(result, Proposal)
        return result

    async def decide(
        self,
        token: str,
        actor: Actor,
        decision: Decision,
        *,
        conversation_id: int | None = None,
        surface: str | None = None,
    ) -> Decided:
        """The person's answer to a card. Confirm runs the stored call exactly once (a repeat
        gets the first result); change and cancel close the card. Someone else's card, or one
        from another conversation, is unknown to this actor."""
        async with self.db.transaction(write=False) as tx:
            row = await get_pending(tx, token)
        if (
            row is None
            or row.actor != actor.label
            or (conversation_id is not None and row.conversation_id != conversation_id)
        ):
            raise NotFound("That card does not exist.", field="token", code="unknown_card")
        found = row

        def decided(status: PendingStatus, **more: Any) -> Decided:
            return Decided(
                token=token,
                tool=found.tool,
                status=status,
                conversation_id=found.conversation_id,
                args=found.args,
                **more,
            )

        if row.status is PendingStatus.DONE:
            out = self.registry.get(row.tool).output_model
            result = out.model_validate(row.result) if row.result is not None else None
            return decided(row.status, result=result, replayed=True)
        if row.status is not PendingStatus.PENDING:
            return decided(row.status)
        if decision is not Decision.CONFIRM:
            async with self.db.transaction() as tx:
                closed = await settle(tx, token, PendingStatus.CANCELLED, only_live=False)
            if not closed:  # decided meanwhile: say what happened instead
                return await self.decide(token, actor, decision, conversation_id=conversation_id)
            return decided(PendingStatus.CANCELLED)
        if row.expires_at <= utcnow():
            async with self.db.transaction() as tx:
                await settle(tx, token, PendingStatus.EXPIRED, only_live=False)
            return decided(PendingStatus.EXPIRED)
        try:
            result = await self._call(
                row.tool, row.args, actor, surface=surface or row.surface, step=_Confirm(token)
            )
        except DomainError as exc:
            if exc.code != "card_not_pending":
                async with self.db.transaction() as tx:
                    await settle(tx, token, PendingStatus.FAILED, error_code=exc.code[:40])
                return decided(PendingStatus.FAILED, error=exc)
            return await self.decide(token, actor, decision, conversation_id=conversation_id)
        return decided(PendingStatus.DONE, result=result)

    async def _call(
        self,
        name: str,
        args: dict[str, Any] | BaseModel | None,
        actor: Actor,
        *,
        surface: str,
        step: _Step,
    ) -> BaseModel:
        started = time.perf_counter()
        raw_args: dict[str, Any] = (
            args.model_dump(mode="json") if isinstance(args, BaseModel) else dict(args or {})
        )
        if name not in self.registry:
            raw_args = redact(raw_args)
        audit_args = raw_args  # replaced by a redacted copy unless the tool has no secret fields
        try:
            t = self.registry.get(name)
            if may_hold_secrets(t.input_model):  # type: ignore[arg-type]
                audit_args = redact(raw_args)
            if may_hold_blobs(t.input_model):  # type: ignore[arg-type]
                audit_args = shrink(audit_args)
            if not t.allows(actor.role):
                raise PermissionDenied(
                    f"The {actor.role.value} role may not use {name}.",
                    details={
                        "tool": name,
                        "role": actor.role.value,
                        "allowed": sorted(r.value for r in t.roles),
                    },
                )
            if not isinstance(args, BaseModel):
                refuse_unknown_fields(t.input_model, raw_args)
            check_all(raw_args)  # control characters, in every string at any depth
            try:
                parsed = (
                    args
                    if isinstance(args, t.input_model)
                    else t.input_model.model_validate(raw_args)
                )
            except ValidationError as exc:
                raise validation_error(exc) from None
            _refuse_huge_integers(parsed)
            refuse_ambiguous_references(parsed, actor)
            _check_consent_step(t, step, surface)
            result = await self._run(t, parsed, actor, audit_args, surface, started, step)
            if not t.write and step is None:
                await self._audit_alone(actor, name, audit_args, surface, "ok", None, started)
            return result
        except DomainError as exc:
            audit_args = scrub(audit_args)  # a refused call's arguments may hold NUL
            await self._audit_alone(
                actor, name, audit_args, surface, exc.code, exc.message, started
            )
            raise
        except Exception as exc:
            # What only the database caught (a constraint, another process's lock, no schema)
            # becomes a clean refusal; the driver's words, with schema names, stay in the audit.
            err = domain_error_for(exc)
            if err is not None:
                cause = str(exc).split("\n", 1)[0][:1000]
                log.info("tool %s refused by the database: %s", name, cause)
                if not isinstance(err, DatabaseNotMigrated):  # no table to write it to
                    await self._audit_alone(
                        actor, name, audit_args, surface, err.code, cause, started
                    )
                raise err from None
            log.exception("tool %s failed", name)
            await self._audit_alone(
                actor, name, audit_args, surface, "internal_error", type(exc).__name__, started
            )
            raise

    async def _run(
        self,
        t: Tool[Any, Any],
        parsed: BaseModel,
        actor: Actor,
        raw_args: dict[str, Any],
        surface: str,
        started: float,
        step: _Step = None,
    ) -> BaseModel:
        """One transaction; retried when PostgreSQL aborts it as a deadlock victim or a
        serialization failure (nothing of the failed attempt was committed)."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with self.db.transaction(write=t.write or step is not None) as tx:
                    ctx = ToolContext(tx=tx, actor=actor, config=self.config)
                    if isinstance(step, _Propose):
                        assert t.confirm is not None
                        prepared = await t.confirm(ctx, parsed)
                        proposal = await record_proposal(
                            ctx,
                            t,
                            prepared,
                            conversation_id=step.conversation_id,
                            surface=surface,
                        )
                        await self._audit(ctx, t.name, raw_args, surface, "proposed", None, started)
                        return proposal
                    if isinstance(step, _Confirm):
                        earlier_run = await claim(ctx, step.token, t.output_model)
                        if earlier_run is not None:
                            return earlier_run
                    keyed = (
                        parsed
                        if isinstance(parsed, Idempotent) and parsed.idempotency_key
                        else None
                    )
                    if keyed is not None:
                        earlier = await replay(ctx, t.name, keyed, t.output_model)
                        if earlier is not None:
                            await self._audit(
                                ctx, t.name, raw_args, surface, "replayed", None, started
                            )
                            return earlier
                    result: BaseModel = await t.fn(ctx, parsed)
                    if isinstance(step, _Confirm):
                        await remember_result(ctx, step.token, result)
                        raw_args = {**raw_args, "confirmed_card": step.token}
                    if ctx.freed_variants:
                        await serve_waiting_orders(ctx)
                    if keyed is not None:
                        await remember(ctx, t.name, keyed, result)
                    if t.write or step is not None:
                        await self._audit(ctx, t.name, raw_args, surface, "ok", None, started)
                    else:
                        await flush_events(ctx)
                if t.write:
                    for hook in self._committed:
                        hook(t)
                if ctx.deferred_waiting:
                    await self._serve_deferred(ctx.deferred_waiting, actor)
                return result
            except Exception as exc:
                mapped = classify(exc)
                if attempt == MAX_ATTEMPTS or mapped is None or not mapped.retryable:
                    raise
                log.info("retrying %s after %s (attempt %d)", t.name, mapped.kind, attempt)
                await asyncio.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    async def _serve_deferred(self, variants: set[int], actor: Actor) -> None:
        """Waiting orders the call could not serve without waiting for a lock out of order:
        served now, in a transaction of their own that takes its locks in order. Best effort:
        what is still contended after a few tries waits for the next stock change."""
        pending = set(variants)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with self.db.transaction(write=True) as tx:
                    ctx = ToolContext(tx=tx, actor=actor, config=self.config)
                    ctx.freed_variants.update(pending)
                    await serve_waiting_orders(ctx)
                    await flush_events(ctx)
                pending = ctx.deferred_waiting
            except Exception as exc:
                mapped = classify(exc)
                if mapped is None or not mapped.retryable:
                    log.exception("serving waiting orders after commit failed")
                    return
            if not pending:
                return
            await asyncio.sleep(0.005 * attempt)
        log.info("waiting orders of variants %s left for the next stock change", sorted(pending))

    async def record_refusal(
        self, actor: Actor, name: str, args: dict[str, Any], surface: str, err: DomainError
    ) -> None:
        """For a surface that refused a call before it reached ``call`` (e.g. HTTP body
        validation): the audit log still shows every call that was attempted."""
        audit_args = scrub(redact(args))
        if name in self.registry and may_hold_blobs(self.registry.get(name).input_model):  # type: ignore[arg-type]
            audit_args = shrink(audit_args)
        await self._audit_alone(
            actor, name, audit_args, surface, err.code, err.message, time.perf_counter()
        )

    async def _audit(
        self,
        ctx: ToolContext,
        name: str,
        args: dict[str, Any],
        surface: str,
        outcome: str,
        error: str | None,
        started: float,
    ) -> None:
        """The call's audit row, written with the outbox events it queued (one statement on
        PostgreSQL): the last write of its transaction."""
        row = self._audit_row(ctx.actor, name, args, surface, outcome, error, started)
        await audit.add_entry(ctx.tx, row, ctx.take_events())

    async def _audit_alone(
        self,
        actor: Actor,
        name: str,
        args: dict[str, Any],
        surface: str,
        outcome: str,
        error: str | None,
        started: float,
    ) -> None:
        await self.audit_log.write(
            self._audit_row(actor, name, args, surface, outcome, error, started)
        )

    @staticmethod
    def _audit_row(
        actor: Actor,
        name: str,
        args: dict[str, Any],
        surface: str,
        outcome: str,
        error: str | None,
        started: float,
    ) -> NewAuditEntry:
        return {
            "at": utcnow(),
            "actor": actor.label,
            "role": actor.role.value,
            "tool": name[:60],
            "surface": surface,
            "args": args,  # already redacted and shrunk by the caller where needed
            "outcome": outcome[:40],
            "error": error,
            "duration_ms": int((time.perf_counter() - started) * 1000),
        }


def _check_consent_step(t: Tool[Any, Any], step: _Step, surface: str) -> None:
    """Consent is a property of the tool: an agent cannot run a confirmable tool directly, and
    only confirmable tools have cards to propose."""
    if step is None and t.needs_confirmation and agent_surface(surface):
        raise Conflict(
            f"{t.name} runs only after the person confirms its card; propose it instead.",
            field="name",
            code="confirmation_required",
        )
    if isinstance(step, _Propose) and not t.needs_confirmation:
        raise InvalidInput(
            f"{t.name} needs no confirmation card; call it directly.",
            field="name",
            code="no_confirmation",
        )


def _refuse_huge_integers(model: BaseModel) -> None:
    """Every id and count is stored in a 64-bit integer: a larger one (a typo, a hand-made
    payload, a probe) is refused naming its field, for every tool, instead of overflowing the
    database driver with a traceback."""
    found = _huge_integer(model, "")
    if found is not None:
        path, value = found
        raise InvalidInput(f"{value} is too large a number.", field=path, code="out_of_range")


def _huge_integer(value: object, path: str) -> tuple[str, int] | None:
    found = _huge_in(value)
    if found is None:
        return None
    keys, number = found
    return ".".join([*([path] if path else []), *map(str, reversed(keys))]), number


def _huge_in(value: object) -> tuple[list[object], int] | None:
    """The out-of-range integer under ``value`` and its keys, innermost first (the path is
    only spelt out for a refusal: this runs on every call)."""
    if isinstance(value, int):
        return ([], value) if not -MAX_INTEGER <= value <= MAX_INTEGER else None
    if isinstance(value, BaseModel):
        items: Iterable[tuple[object, object]] = value.__dict__.items()
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if item is None or type(item) is str:
            continue
        found = _huge_in(item)
        if found is not None:
            found[0].append(key)
            return found
    return None
