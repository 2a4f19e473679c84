"""Database helpers for the request path: lazy commits, and queries compiled once per process.

Statements that commit without waiting for their WAL flush, where losing them in a crash is harmless:

A single statement run in autocommit is its own transaction. Adding `LAZY_COMMIT` to its RETURNING list
sets `synchronous_commit = off` for that transaction only (set_config(..., is_local => true)), so its
commit returns before the WAL reaches the disk: some 0.1-0.3 ms less per statement. The server stays
consistent after a crash; the last such commits may be missing. That is acceptable only where a lost
write is redone or never mattered (each caller says why), and it is no risk to anything committed
later: the WAL is flushed in order, so any later synchronous commit makes the lazy one durable too.
"""

import hashlib
import itertools
import re
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, F, Lookup, QuerySet, Value, When

LAZY_COMMIT = "set_config('synchronous_commit', 'off', true)"


def can_commit_lazily(connection: BaseDatabaseWrapper) -> bool:
    """A statement run now is its own transaction on PostgreSQL (not inside the caller's transaction)."""
    return (
        connection.vendor == "postgresql" and connection.get_autocommit() and not connection.in_atomic_block
    )


class AnyOf(Lookup):
    """`field = ANY(%s)`: the list is one array parameter, so the SQL is the same for any length.

    PostgreSQL only; for queries compiled once (CompiledQuery), where `field__in` would give a list
    of a different length a different statement.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def _prepared_names(connection: BaseDatabaseWrapper) -> set[str] | None:
    """The statements prepared on this connection's current session, or None where none are to be."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        return None
    connection.ensure_connection()
    session = connection.connection
    known = connection.__dict__.get("_prepared_statements")
    if known is None or known[0] is not session:  # a new session (reconnected) has prepared nothing
        known = connection._prepared_statements = (session, set())
    return known[1]


def _positional(sql: str) -> str:
    """Django's `%s` placeholders as PREPARE's `$1, $2, …` (a literal `%%` stays escaped)."""
    numbers = itertools.count(1)
    return re.sub(r"%[s%]", lambda m: "%%" if m.group(0) == "%%" else f"${next(numbers)}", sql)


class Prepared:
    """One statement, run as a server-side prepared statement on PostgreSQL (DATABASE_PREPARED_STATEMENTS).

    For the statements every order runs: the first run on a database session sends `PREPARE` with its
    `EXECUTE` in one round trip (one query, as before), later runs only `EXECUTE`, so PostgreSQL stops
    planning the statement anew each time (up to a millisecond of its CPU for a query with subqueries;
    after five runs it keeps a generic plan where that costs no more). A prepared statement lives as long
    as its session and survives rollbacks. Elsewhere, or with the setting off, the SQL runs as it is.
    `sql` takes Django's `%s` placeholders. Its name comes from the SQL, so it means the same statement
    in every process.

    Where the session has lost it (DISCARD ALL, a pooler in transaction mode) or it no longer fits the
    table (a migration changed a selected column's type), the run fails once: the next prepares it
    again under a new name, and a run outside a transaction does so at once and succeeds.
    """

    # Errors after which the session's statement of that name is not to be used again.
    _LOST = frozenset({"26000", "0A000"})  # does not exist; cached plan must not change result type

    def __init__(self, sql: str):
        self.sql = sql
        self._body = _positional(sql)
        self._key = hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:24]
        self._generation = 0

    def execute(self, cursor, params: list) -> None:
        prepared = _prepared_names(cursor.db)
        if prepared is None:
            cursor.execute(self.sql, params)
            return
        name = f"oms_{self._key}_{self._generation}"
        run = f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
        if name in prepared:
            try:
                cursor.execute(run, params)
                return
            except DatabaseError as exc:
                if getattr(exc.__cause__, "pgcode", None) not in self._LOST:
                    raise
                prepared.discard(name)
                self._generation += 1
                if cursor.db.in_atomic_block:  # the transaction is aborted: the caller's to roll back
                    raise
            self.execute(cursor, params)  # its own transaction: prepare it again now
            return
        try:
            cursor.execute(f"PREPARE {name} AS {self._body}; {run}", params)
        except BaseException:
            # Whether the PREPARE took is unknown (it outlives a failed EXECUTE): use a new name next time.
            self._generation += 1
            raise
        prepared.add(name)


class CompiledQuery:
    """A queryset's SQL built once per process, then run with new parameter values (PostgreSQL).

    On the order intake path, building and compiling a queryset with joins and subqueries costs more
    machine time than the database takes to run it. `build(*markers)` returns the queryset for
    placeholder values; it is compiled on first use, and each later call only puts its values where
    the markers' parameters were. Markers must stand out among the query's other parameters: scalars
    are matched by type and value, lists (bound with AnyOf) by identity.

    `rows` and `objects` run it as a prepared statement (Prepared).
    """

    def __init__(self, build: Callable[..., QuerySet], *markers):
        self._build, self._markers = build, markers
        self._compiled = None

    def _compile(self):
        queryset = self._build(*self._markers)
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        slots = [self._slot(param) for param in params]
        missing = set(range(len(self._markers))) - set(slots)
        if missing:
            raise ValueError(f"markers {sorted(missing)} do not appear among the query's parameters")
        select = [expression for expression, _sql, _alias in compiler.select]
        converters = compiler.get_converters(select)
        # What each column is, for `objects`: a field of the model (its attname) or an annotation's alias
        # (None for anything else: columns of related rows, which `objects` refuses).
        related = (compiler.klass_info or {}).get("related_klass_infos")
        names = [
            alias or getattr(getattr(expression, "target", None), "attname", None)
            for expression, _sql, alias in compiler.select
        ]
        if related:
            names = [None] * len(names)
        self._prepared = Prepared(sql)  # before _compiled: another thread may use it once that is set
        self._compiled = (sql, list(params), slots, queryset.db, converters, queryset.model, names)
        return self._compiled

    def _slot(self, param) -> int | None:
        for index, marker in enumerate(self._markers):
            if isinstance(marker, list):
                if param is marker:
                    return index
            elif type(param) is type(marker) and param == marker:
                return index
        return None

    def sql(self, *values) -> tuple[str, list]:
        """The statement and its parameters for these values (in the markers' order)."""
        sql, params, slots, *_rest = self._compiled or self._compile()
        bound = [param if slot is None else values[slot] for param, slot in zip(params, slots, strict=True)]
        return sql, bound

    def rows(self, *values) -> list[tuple]:
        """Run the statement: the rows as the queryset's values_list() would give them."""
        sql, params = self.sql(*values)
        _sql, _params, _slots, alias, converters, _model, _names = self._compiled
        connection = connections[alias]  # this thread's connection, not the compiling thread's
        with connection.cursor() as cursor:
            self._prepared.execute(cursor, params)
            rows = cursor.fetchall()
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, (functions, expression) in converters.items():
                for function in functions:
                    row[position] = function(row[position], expression, connection)
            converted.append(tuple(row))
        return converted

    def objects(self, *values) -> list:
        """Run the statement: the model instances the queryset would give (annotations set on them)."""
        rows = self.rows(*values)
        _sql, _params, _slots, alias, _converters, model, names = self._compiled
        width = len(model._meta.concrete_fields)
        fields, extras = names[:width], names[width:]
        if fields != [field.attname for field in model._meta.concrete_fields] or None in extras:
            raise ValueError(
                "objects() needs the model's own columns, all of them, then annotations (no related rows)"
            )
        found = []
        for row in rows:
            instance = model.from_db(alias, fields, row[:width])
            for name, value in zip(extras, row[width:], strict=True):
                setattr(instance, name, value)
            found.append(instance)
        return found


class BulkInsert:
    """`Model.objects.bulk_create(objs)` for the request path, with its statement built once (PostgreSQL).

    The same statement Django writes for several rows on PostgreSQL — one array per column, unnested,
    RETURNING the primary key — and the same values (each field's pre_save and get_db_prep_save); only the
    bulk_create machinery around them is skipped, which cost more machine time than the insert itself.
    For models whose fields Django would unnest: no database defaults, no fields with their own SQL
    placeholders; other databases and other models use bulk_create.

    `then`: a statement over the rows just written, named `inserted` (`INSERT INTO … SELECT … FROM
    inserted`), run in the same statement on PostgreSQL as a data-modifying WITH clause; `run` says
    whether it ran, so the caller does that work itself where it did not.
    `own_pk`: the rows carry their primary keys (a UUID made by the model), which are inserted as given.
    """

    def __init__(self, model, *, then: str = "", own_pk: bool = False):
        if then and own_pk:
            raise ValueError("`then` hands back the keys the sequence made, in order: not with own keys")
        self.model = model
        self.then = then
        self.own_pk = own_pk
        self._plan = None

    def _compile(self, connection):
        opts = self.model._meta
        fields = [f for f in opts.concrete_fields if not f.generated and (self.own_pk or f is not opts.pk)]
        if (
            not (opts.pk.db_returning or self.own_pk)
            or any(f.has_db_default() or hasattr(f, "get_placeholder") for f in [*fields, opts.pk])
            or any(
                (f.target_field if f.is_relation else f).get_internal_type() not in connection.data_types
                for f in fields
            )
        ):
            self._plan = False
            return self._plan
        quote = connection.ops.quote_name
        casts = ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
        pk = quote(opts.pk.column)
        sql = (
            f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"SELECT * FROM UNNEST({casts})"
        )
        if not self.own_pk:  # keys the sequence made, to hand back
            sql += f" RETURNING {'*' if self.then else pk}"
        if self.then:
            # Primary keys come from the sequence in the order the rows are unnested.
            sql = f"WITH inserted AS ({sql}), then_ AS ({self.then}) SELECT {pk} FROM inserted ORDER BY {pk}"
        self._plan = (Prepared(sql), fields)
        return self._plan

    def __call__(self, objs: list, *, using: str = "default") -> list:
        """Insert `objs` (new, no primary keys unless `own_pk`) and set their primary keys; returns them."""
        return self.run(objs, using=using)[0]

    def run(self, objs: list, *, using: str = "default") -> tuple[list, bool]:
        """As calling it; also says whether `then` ran (in the same statement)."""
        connection = connections[using]
        plan = None
        new = all((obj.pk is None) != self.own_pk for obj in objs)
        if connection.vendor == "postgresql" and objs and new:
            plan = self._plan if self._plan is not None else self._compile(connection)
        if not plan:
            return self.model._default_manager.db_manager(using).bulk_create(objs), False
        statement, fields = plan
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        columns = [
            [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objs]
            for field in fields
        ]
        with connection.cursor() as cursor:
            statement.execute(cursor, columns)
            ids = [obj.pk for obj in objs] if self.own_pk else [row[0] for row in cursor.fetchall()]
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, using
        return objs, bool(self.then)


def set_prefetched(instance, name: str, rows: list) -> None:
    """Make `instance.<name>.all()` answer `rows` without a query, as prefetch_related leaves it.

    For a writer that has the related rows in hand (it just wrote them, or knows there are none): the
    shape Django's own prefetch leaves, so reading them costs nothing, while any further query on the
    relation (`.filter()`, `.count()`) still runs against the database as usual.
    """
    queryset = getattr(instance, name).all()
    queryset._result_cache, queryset._prefetch_done = list(rows), True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


def bulk_update_rows(objs: list, fields: list[str]) -> None:
    """Save `fields` of many rows of one model, each with its own values (as QuerySet.bulk_update).

    On PostgreSQL one `UPDATE … FROM (VALUES …)` statement: Django's bulk_update builds a CASE WHEN per
    field and row, which costs far more to compile than to run for batches of dozens of rows (an
    allocation batch). Values go through each field's get_db_prep_save, as a save would; auto_now
    fields are not stamped (set them first). Elsewhere (SQLite: the trial) Django's bulk_update.
    """
    if not objs:
        return
    model = type(objs[0])
    connection = connections[model._default_manager.db]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields)
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    pk = meta.pk
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    params = []
    for obj in objs:
        params.append(pk.get_db_prep_save(obj.pk, connection))
        params += [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    assignments = ", ".join(
        f"{quote(field.column)} = v.c{i}::{field.db_type(connection)}" for i, field in enumerate(columns)
    )
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608  (names from the model)
        f"FROM (VALUES {', '.join([row] * len(objs))}) AS v(id, {names}) "
        f"WHERE t.{quote(pk.column)} = v.id::{pk.db_type(connection)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def bulk_increment(model, field_name: str, deltas: dict) -> None:
    """Add `deltas[pk]` to `field_name` of each row, in one statement (counters moved in the database,
    so a concurrent writer's change is kept; the caller still locks what it must)."""
    if not deltas:
        return
    connection = connections[model._default_manager.db]
    if connection.vendor != "postgresql":
        model._default_manager.filter(pk__in=list(deltas)).update(
            **{
                field_name: F(field_name)
                + Case(*[When(pk=pk, then=Value(delta)) for pk, delta in deltas.items()], default=Value(0))
            }
        )
        return
    meta = model._meta
    field, pk = meta.get_field(field_name), meta.pk
    quote = connection.ops.quote_name
    column = quote(field.column)
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {column} = t.{column} + v.d "  # noqa: S608  (names from the model)
        f"FROM (VALUES {', '.join(['(%s, %s)'] * len(deltas))}) AS v(id, d) "
        f"WHERE t.{quote(pk.column)} = v.id::{pk.db_type(connection)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for item in deltas.items() for value in item])
