"""The one lifecycle engine (STYLE.md §3): every status change of every document goes through `transition`.

Each stateful app declares its machine in its own `states.py` as a `Lifecycle`: the status enum, the
table of allowed moves, the permission each move needs, its timeline kinds, which status stamps which
field, and hooks for what is particular to it (an order on hold resumes only to where it was held).
The app's services call `transition`; the engine locks and re-reads the row, checks the table,
stamps, bumps the version, saves with `update_fields`, writes the timeline entry, runs the app's
`after_move` and emits the domain event, all in one transaction. Asking for the status the row is
already in is a no-op, which is what makes retries safe.

Permissions are declared here but checked by the interfaces (admin, portal, API): services also run
for the system (a Celery sweep, logistics reporting a shipment to orders), which has no user.
"""

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core import events
from core.db import bulk_update_rows
from core.errors import ConcurrentModification, InvalidTransition, NotFound


@dataclass(frozen=True, kw_only=True)
class Lifecycle:
    """One document kind's lifecycle, as its app declares it in `states.py`.

    Models are named by label ("orders.Order"): models.py imports states.py for the status choices,
    so states.py cannot import the models.
    """

    # "order": the timeline's foreign key to the document, the key naming it in an error's `extra`.
    document: str
    model: str
    # The TimelineEvent subclass, or None for a document without a timeline yet.
    timeline: str | None
    statuses: type[models.TextChoices]
    # Each status → the statuses it may move to. The only definition of the table.
    allowed: Mapping[str, AbstractSet[str]]
    # Target status → the permission ("app.codename") a user needs to move a document there.
    permissions: Mapping[str, str]
    # The timeline kinds (`<document>.<past tense>`) with translated labels; a move's kind is also the
    # name of the domain event it emits.
    kinds: type[models.TextChoices]
    # Target status → the datetime field stamped when the document reaches it.
    stamps: Mapping[str, str] = field(default_factory=dict)
    # False: a stamp is written the first time a status is reached and then kept (invoices, shipments);
    # True: every time (orders), except on a resume (below).
    restamp: bool = False
    # What the domain event of a move carries, from the moved row.
    payload: Callable[[Any], dict]
    # Hooks, all optional:
    # the statuses a row may move to now (default: the table's row for its status);
    targets: Callable[[Any], AbstractSet[str]] | None = None
    # whether a move returns to where the document was before a pause (keeps the first stamp);
    resumes: Callable[[str, str], bool] | None = None
    # fields a move changes besides status, stamp and version (the status an order was held from);
    extra_changes: Callable[[Any, str, str], dict] | None = None
    # the timeline kind (and event name) of a move (default `<document>.<target status>`);
    kind: Callable[[str, str], str] | None = None
    # what the app keeps in step with the status, written in the move's transaction: the dotted path of
    # a function called with the moved rows as (row, status it came from) pairs and the target status
    # (imported on first use: states.py cannot import the app's services).
    after_move: str = ""

    def __post_init__(self):
        unknown = set(self.allowed) ^ set(self.statuses.values)
        if unknown:
            raise ValueError(f"{self.document}: the table must list every status once; check {unknown}")

    @cached_property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @cached_property
    def timeline_class(self) -> type[models.Model] | None:
        return apps.get_model(self.timeline) if self.timeline else None

    @cached_property
    def _field_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.model_class._meta.concrete_fields)

    @cached_property
    def after_move_function(self) -> Callable[[list, str], None] | None:
        return import_string(self.after_move) if self.after_move else None

    def targets_of(self, row) -> AbstractSet[str]:
        """The statuses `row` may move to now (the table, narrowed by the app's hook)."""
        if self.targets is not None:
            return self.targets(row)
        return self.allowed.get(row.status, frozenset())

    def allows(self, row, target: str) -> bool:
        """Whether the table lets `row` move to `target` now: for buttons, never the gate."""
        return target in self.targets_of(row)

    def permission(self, target: str) -> str:
        return self.permissions[target]

    def kind_of(self, from_status: str, to: str) -> str:
        if self.kind is not None:
            return self.kind(from_status, to)
        return f"{self.document}.{to}"

    def is_resume(self, from_status: str, to: str) -> bool:
        return self.resumes is not None and self.resumes(from_status, to)

    def refusal(self, row, target: str) -> InvalidTransition:
        """The error for a move the table does not allow, naming the document and both statuses."""
        number = str(getattr(row, "number", None) or row.pk)
        return InvalidTransition(
            _("%(document)s %(number)s cannot go from “%(current)s” to “%(target)s”.")
            % {
                "document": capfirst(self.model_class._meta.verbose_name),
                "number": number,
                "current": self.statuses(row.status).label,
                "target": self.statuses(target).label,
            },
            document=self.document,
            number=number,
            current=row.status,
            target=target,
        )

    def announce(self, row, kind: str) -> None:
        """Emit the domain event `kind` with this lifecycle's payload (for documents just created)."""
        events.emit(kind, **self.payload(row))


def transition(
    lifecycle: Lifecycle,
    pk: int,
    to: str,
    *,
    actor=None,
    reason: str = "",
    data: dict | None = None,
    changes: dict | None = None,
    expected_version: int | None = None,
    locked: Any = None,
) -> tuple[Any, bool]:
    """Move the document `pk` to `to` if its lifecycle allows it; the one place a status changes.

    In one transaction: locks and re-reads the row; returns it unchanged if it is already in `to`;
    checks `expected_version` (documents with a `version`); checks the table; stamps the status's
    field; applies the lifecycle's own changes and `changes` (fields that belong to this move, e.g. a
    tracking number); bumps `version`; saves with update_fields; writes the timeline entry (from, to,
    actor, `reason` as its note, `data`); emits the domain event named like the timeline kind, which
    listeners receive after commit.
    `locked`: the row itself, when the caller already holds its lock in the current transaction (saves
    re-reading it; the caller's changes to it are saved too only if named in `changes`).
    Returns (row, changed). Raises NotFound (404), ConcurrentModification (409), InvalidTransition (409);
    nothing is written then. A status the lifecycle does not know is a programming error (ValueError):
    services validate what users ask for before.
    """
    if to not in lifecycle.statuses.values:
        raise ValueError(f"{to!r} is not a status of {lifecycle.document}")
    model = lifecycle.model_class
    with transaction.atomic(savepoint=locked is None):
        if locked is not None:
            # The caller locked this row in the current transaction and hands it over as read then.
            if locked.pk != pk or not transaction.get_connection().in_atomic_block:
                raise ValueError("`locked` must be the row `pk`, locked in the caller's transaction")
            row = locked
        else:
            row = model._default_manager.select_for_update().filter(pk=pk).first()
        if row is None:
            raise NotFound()
        if row.status == to:
            return row, False
        versioned = "version" in lifecycle._field_names
        if expected_version is not None and versioned and expected_version != row.version:
            raise ConcurrentModification(extra={"current_version": row.version})
        from_status, fields = _apply(lifecycle, row, to, changes)
        row.save(update_fields=fields)
        kind = str(lifecycle.kind_of(from_status, to))
        if lifecycle.timeline_class is not None:
            lifecycle.timeline_class.record(
                kind=kind,
                actor=actor,
                from_status=from_status,
                to_status=to,
                note=reason,
                data=data,
                **{lifecycle.document: row},
            )
        if lifecycle.after_move_function is not None:
            lifecycle.after_move_function([(row, from_status)], to)
        events.emit(kind, **lifecycle.payload(row))
    return row, True


def _apply(lifecycle: Lifecycle, row, to: str, changes: dict | None) -> tuple[str, list[str]]:
    """Check the table for `row` → `to` and change the row in memory: status, stamp, the lifecycle's own
    changes and `changes`, version, updated_at. Returns (the status it came from, the fields to save)."""
    if to not in lifecycle.targets_of(row):
        raise lifecycle.refusal(row, to)
    from_status = row.status
    row.status = to
    fields = ["status"]
    stamp = lifecycle.stamps.get(to)
    if (
        stamp
        and not lifecycle.is_resume(from_status, to)
        and (lifecycle.restamp or getattr(row, stamp) is None)
    ):
        setattr(row, stamp, timezone.now())
        fields.append(stamp)
    own = lifecycle.extra_changes(row, from_status, to) if lifecycle.extra_changes else {}
    for name, value in {**own, **(changes or {})}.items():
        setattr(row, name, value)
        fields.append(name)
    if "version" in lifecycle._field_names:
        row.version += 1
        fields.append("version")
    if "updated_at" in lifecycle._field_names:
        row.updated_at = timezone.now()  # bulk_update does not stamp auto_now fields itself
        fields.append("updated_at")
    return from_status, fields


def transition_many(
    lifecycle: Lifecycle,
    rows: list,
    to: str,
    *,
    actor=None,
    reason: str = "",
    data: Mapping[Any, dict] | None = None,
    changes: Mapping[Any, dict] | None = None,
) -> list:
    """Move several documents, which the caller locked in its current transaction, to `to`.

    For writers that decide about many documents at once (a batch of allocations): each row gets what
    `transition` gives it — the table checked, stamp, own changes and `changes[row.pk]`, version, a
    timeline entry with `data[row.pk]`, its domain event — written with one UPDATE per set of changed
    fields, one INSERT of timeline entries and one of events. Rows already in `to` are left alone.
    Raises InvalidTransition for the first row the table refuses, before anything is written.
    Returns the rows moved.
    """
    if to not in lifecycle.statuses.values:
        raise ValueError(f"{to!r} is not a status of {lifecycle.document}")
    if not transaction.get_connection().in_atomic_block:
        raise ValueError("transition_many needs the rows locked in the caller's transaction")
    moved, groups, entries, emitted, origins = [], {}, [], [], []
    for row in rows:
        if row.status == to:
            continue
        from_status, fields = _apply(lifecycle, row, to, (changes or {}).get(row.pk))
        groups.setdefault(tuple(fields), []).append(row)
        kind = str(lifecycle.kind_of(from_status, to))
        if lifecycle.timeline_class is not None:
            entries.append(
                lifecycle.timeline_class.build(
                    kind=kind,
                    actor=actor,
                    from_status=from_status,
                    to_status=to,
                    note=reason,
                    data=(data or {}).get(row.pk),
                    **{lifecycle.document: row},
                )
            )
        emitted.append((kind, lifecycle.payload(row)))
        moved.append(row)
        origins.append((row, from_status))
    for fields, group in groups.items():
        bulk_update_rows(group, list(fields))
    if entries:
        lifecycle.timeline_class._default_manager.bulk_create(entries)
    if origins and lifecycle.after_move_function is not None:
        lifecycle.after_move_function(origins, to)
    events.emit_many(emitted)
    return moved
