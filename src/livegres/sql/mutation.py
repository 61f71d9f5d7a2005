"""Mutations -> SQL: one write statement per root field (``update_<t>_many``: one per update).

A write statement is data-modifying CTEs, one per INSERT / UPDATE / DELETE, each returning
the whole written row as ``"r"`` and the permission check on it as ``"c"``::

    WITH "w0" AS (INSERT INTO "public"."author" AS "_1_author" ("name") VALUES ($1::text::...)
                  RETURNING "_1_author" AS "r", <check> AS "c")
    SELECT <output>, <affected rows>, <error>

and its one row has three values: the JSON text of the field's answer (or, see below, the
written rows), the number of written rows, and the index of a failed condition in
``CompiledWrite.errors`` (null when none failed; the caller then rolls back).

Nested inserts give every object its own CTE: the rows of its object relationships first,
its own row (``INSERT ... SELECT``, reading the parents' key columns), then the rows of its
array relationships (reading its own). Flat inserts are one multi-row ``VALUES`` with
``DEFAULT`` where an object leaves a column out.

All CTEs of a statement see the database as it was before the statement. So when the answer
reads more than the written rows' own columns (relationships, computed fields), the write
statement answers the written rows instead (``array_agg("r")::text``, PostgreSQL's exact text
form of the rows), and a second statement (``CompiledWrite.output``) builds the answer from
``unnest($1::text::"s"."t"[])`` once the writes are visible. For the same reason a nested
insert's permission checks (which may read a parent written beside the row) are not evaluated
in ``RETURNING``: the write answers the ``ctid``s of the rows each check covers (after the
three values above) and ``CompiledWrite.check`` evaluates the checks on those rows afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from livegres.catalog.model import QualifiedName
from livegres.ir import mutation as mu
from livegres.ir import select as s
from livegres.ir.boolexp import BoolExp
from livegres.ir.values import INT8, Param, Variable
from livegres.sql.boolexp import TRUE, compile_boolexp, conjunction
from livegres.sql.compile import CompiledQuery
from livegres.sql.fragment import Sql, ident, join, name, param, qualified, raw, render, sql, type_name
from livegres.sql.select import EMPTY_ARRAY, SelectCompiler, row_json

ROWS = Variable("$rows")
"""The written rows (their text form), bound from the write statement's answer."""
AFFECTED = Variable("$affected")
"""The number of written rows, bound from the write statement's answer."""


@dataclass(frozen=True, slots=True)
class WriteError:
    """A condition that aborts the request: Hasura's code and message."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class CompiledWrite:
    """One write statement; ``output`` is the second statement when the answer needs one
    (its ``ROWS`` and ``AFFECTED`` slots are bound from the write's answer)."""

    write: CompiledQuery
    errors: tuple[WriteError, ...] = ()
    output: CompiledQuery | None = None
    check: CompiledQuery | None = None
    """Permission checks run after the write (nested inserts): true when every row passes. Its
    slots are the variables named in ``check_slots``, bound from the write's answer (its values
    after the first three, in order)."""
    check_slots: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CompiledField:
    """A root field: its statements, and whether the answers form a list (``_many``).
    ``constant`` is a field answered without the database (``__typename``)."""

    writes: tuple[CompiledWrite, ...] = ()
    many: bool = False
    constant: str | None = None


@dataclass(frozen=True, slots=True)
class CompiledMutation:
    fields: tuple[tuple[str, CompiledField], ...]


_TID = QualifiedName("pg_catalog", "tid")
CHECK_FAILED = WriteError("permission-error", "check constraint of an insert/update permission has failed")


def compile_mutation(op: mu.MutationOperation, *, stringify_numeric_types: bool = False) -> CompiledMutation:
    out: list[tuple[str, CompiledField]] = []
    for alias, f in op.fields:
        if isinstance(f, s.Typename):
            out.append((alias, CompiledField(constant=f.name)))
        elif isinstance(f, mu.UpdateMany):
            writes = tuple(_Writer(stringify_numeric_types).statement(u) for u in f.updates)
            out.append((alias, CompiledField(writes, many=True)))
        else:
            out.append((alias, CompiledField((_Writer(stringify_numeric_types).statement(f),))))
    return CompiledMutation(tuple(out))


@dataclass(slots=True)
class _Cte:
    name: str
    body: Sql


@dataclass(slots=True)
class _Statement:
    ctes: list[_Cte] = field(default_factory=list)
    errors: list[tuple[Sql, WriteError]] = field(default_factory=list)

    def cte(self, body: Sql) -> str:
        cte_name = f"w{len(self.ctes)}"
        self.ctes.append(_Cte(cte_name, body))
        return cte_name


class _Writer:
    """Compiles one write statement; owns its aliases (through the select compiler)."""

    def __init__(self, stringify_numeric_types: bool) -> None:
        self.selects = SelectCompiler(stringify_numeric_types=stringify_numeric_types)
        self.st = _Statement()
        self.defer_checks = False
        self.deferred: list[tuple[str, QualifiedName, BoolExp | None, BoolExp | None]] = []
        """(CTE, table, insert check, update check) of the checks run after the write."""

    # -- the statement -----------------------------------------------------------------

    def statement(self, f: mu.Insert | mu.Update | mu.Delete) -> CompiledWrite:
        if isinstance(f, mu.Insert):
            # A nested insert's rows are written by sibling CTEs, which do not see each other's
            # rows: a check that reads the parent (``{author: {...}}``) runs after the write.
            self.defer_checks = any(r.parents or r.children for r in f.rows)
            roots = self.insert(f)
        elif isinstance(f, mu.Update):
            roots = [self.update(f)]
        else:
            roots = [self.delete(f)]
        table, output = f.table, f.output
        affected = join((sql("(SELECT count(*) FROM ", ident(c.name), ")") for c in self.st.ctes), " + ")
        rows = join((sql('SELECT "r" FROM ', ident(r)) for r in roots), " UNION ALL ")
        errors = sql(self._errors(), *self._deferred_rows())
        check, slots = self._deferred_check()
        found = tuple(e for _, e in self.st.errors)
        if not output.reads_tables:
            source = sql("(SELECT (", ident("x"), '."r").* FROM (', rows, ') AS "x")')
            answer = self.output(table, output, source, sql("(", affected, ")"))
            write = self._render(sql(answer, "::text, (", affected, ")::int8, ", errors))
            return CompiledWrite(write, found, None, check, slots)
        rows_text = sql('(SELECT array_agg("x"."r")::text FROM (', rows, ') AS "x")')
        write = self._render(sql(rows_text, ", (", affected, ")::int8, ", errors))
        later = _Writer(self.selects.stringify)
        unnest = sql("unnest(", Sql((Param(ROWS, table), f"::text::{type_name(table)}[]")), ")")
        answer = later.output(table, output, unnest, param(Param(AFFECTED, INT8)))
        text, params = render(sql("SELECT ", answer, "::text"))
        return CompiledWrite(write, found, CompiledQuery(text, params), check, slots)

    def _deferred_rows(self) -> list[Sql | str]:
        """For each deferred check: the ctids of the rows it inserted, and of those it updated."""
        out: list[Sql | str] = []
        for cte, _, _, _ in self.deferred:
            for which in ('"i"', 'NOT "i"'):
                out += [', (SELECT (array_agg("t") FILTER (WHERE ', which, "))::text FROM ", ident(cte), ")"]
        return out

    def _deferred_check(self) -> tuple[CompiledQuery | None, tuple[str, ...]]:
        if not self.deferred:
            return None, ()
        checker = _Writer(self.selects.stringify)
        conditions: list[Sql] = []
        slots: list[str] = []
        for k, (_, table, insert_check, update_check) in enumerate(self.deferred):
            for kind, exp in (("ins", insert_check), ("upd", update_check)):
                slot = f"${kind}{k}"
                slots.append(slot)
                if exp is None:
                    continue
                alias = checker.selects.aliases.new(table)
                ctids = Sql((Param(Variable(slot), _TID), '::text::"pg_catalog"."tid"[]'))
                cond = compile_boolexp(exp, alias, alias, checker.selects.aliases)
                conditions.append(
                    sql(
                        "NOT EXISTS (SELECT 1 FROM ",
                        qualified(table),
                        " AS ",
                        ident(alias),
                        " WHERE ",
                        ident(alias),
                        ".ctid = ANY(",
                        ctids,
                        ") AND (",
                        cond,
                        ") IS NOT TRUE)",
                    )
                )
        if not conditions:
            return None, ()
        text, params = render(sql("SELECT ", conjunction(conditions)))
        return CompiledQuery(text, params), tuple(slots)

    def _render(self, select: Sql) -> CompiledQuery:
        ctes = join((sql(ident(c.name), " AS (", c.body, ")") for c in self.st.ctes), ", ")
        text, params = render(sql("WITH ", ctes, " SELECT ", select))
        return CompiledQuery(text, params)

    def _errors(self) -> Sql:
        if not self.st.errors:
            return raw("NULL::int4")
        cases = [sql("WHEN ", cond, f" THEN {i}") for i, (cond, _) in enumerate(self.st.errors)]
        return sql("CASE ", join(cases, " "), " END")

    # -- answers -----------------------------------------------------------------------

    def output(self, table: QualifiedName, output: mu.Output, source: Sql, affected: Sql) -> Sql:
        if output.single is not None:
            alias = self.selects.aliases.new(table)
            obj = self.selects.row_object(output.single, alias)
            where = self._where(output.single_filter, alias)
            return sql("(SELECT ", obj, " FROM ", source, " AS ", ident(alias), where, " LIMIT 1)")
        pairs: list[tuple[str, Sql]] = []
        for key, node in output.response:
            if isinstance(node, s.Typename):
                pairs.append((key, name(node.name)))
            elif isinstance(node, mu.AffectedRows):
                pairs.append((key, affected))
            else:
                alias = self.selects.aliases.new(table)
                obj = self.selects.row_object(node.fields, alias)
                where = self._where(node.filter, alias)
                agg = sql("coalesce(json_agg(", obj, "), ", EMPTY_ARRAY, ")")
                pairs.append((key, sql("(SELECT ", agg, " FROM ", source, " AS ", ident(alias), where, ")")))
        # Every aggregate here is inside its own scalar subquery: the compact row form is safe.
        return row_json(pairs)

    def _where(self, exp: BoolExp | None, alias: str) -> Sql:
        if exp is None:
            return raw("")
        cond = compile_boolexp(exp, alias, alias, self.selects.aliases)
        return raw("") if cond is TRUE else sql(" WHERE ", cond)

    def _check(self, exp: BoolExp | None, alias: str) -> Sql:
        if exp is None:
            return raw("true")
        return sql("(", compile_boolexp(exp, alias, alias, self.selects.aliases), ")")

    def _fail_check(self, cte: str) -> None:
        cond = sql("EXISTS (SELECT 1 FROM ", ident(cte), ' WHERE "c" IS NOT TRUE)')
        self.st.errors.append((cond, CHECK_FAILED))

    # -- inserts -----------------------------------------------------------------------

    def insert(self, ins: mu.Insert) -> list[str]:
        """The CTEs holding the rows of ``ins`` itself (one, or one per object when nested)."""
        if not ins.rows:
            alias = self.selects.aliases.new(ins.table)
            table = sql(qualified(ins.table), " AS ", ident(alias))
            return [self.st.cte(sql("SELECT ", ident(alias), ' AS "r", true AS "c" FROM ', table, " WHERE false"))]
        flat = not any(r.parents or r.children for r in ins.rows)
        if flat and (len(ins.rows) == 1 or any(self._values(ins, r) for r in ins.rows)):
            return [self._flat_insert(ins)]
        return [self._row_insert(ins, row, ()) for row in ins.rows]

    def _values(self, ins: mu.Insert, row: mu.InsertRow) -> dict[str, Param]:
        values = dict(row.values)
        values.update(ins.presets)
        return values

    def _flat_insert(self, ins: mu.Insert) -> str:
        alias = self.selects.aliases.new(ins.table)
        rows = [self._values(ins, row) for row in ins.rows]
        columns: list[str] = []
        for values in rows:
            columns.extend(c for c in values if c not in columns)
        head = sql("INSERT INTO ", qualified(ins.table), " AS ", ident(alias))
        if not columns:
            body = sql(head, " DEFAULT VALUES")
        else:
            tuples = [
                sql("(", join((param(v[c]) if c in v else raw("DEFAULT") for c in columns), ", "), ")") for v in rows
            ]
            body = sql(head, " (", join((ident(c) for c in columns), ", "), ") VALUES ", join(tuples, ", "))
        return self._finish_insert(ins, alias, body)

    def _row_insert(self, ins: mu.Insert, row: mu.InsertRow, outer: Sequence[tuple[str, s.Mapping, bool]]) -> str:
        """One object's CTE. ``outer`` is (CTE, mapping, reversed) of rows whose columns fill
        this row's: parents (object relationships) and the row it is a child of."""
        sources: list[tuple[str, s.Mapping, bool]] = list(outer)
        for parent in row.parents:
            parent_ctes = [self._row_insert(parent.insert, r, ()) for r in parent.insert.rows]
            cte = parent_ctes[0]
            message = (
                f'cannot proceed to insert object relation "{parent.relationship}" since insert to table '
                f'"{_text(parent.insert.table)}" affects zero rows'
            )
            cond = sql("NOT EXISTS (SELECT 1 FROM ", ident(cte), ")")
            self.st.errors.append((cond, WriteError("not-supported", message)))
            sources.append((cte, parent.mapping, False))
        alias = self.selects.aliases.new(ins.table)
        values = self._values(ins, row)
        columns = [ident(c) for c in values]
        exprs = [param(v) for v in values.values()]
        for cte, mapping, is_child in sources:
            for local, remote in mapping:
                # a parent (object relationship): this row's ``local`` is the parent's ``remote``;
                # a child (array relationship): this row's ``remote`` is the outer row's ``local``.
                mine, theirs = (remote, local) if is_child else (local, remote)
                columns.append(ident(mine))
                exprs.append(sql("(", ident(cte), '."r").', ident(theirs)))
        head = sql("INSERT INTO ", qualified(ins.table), " AS ", ident(alias))
        if not columns:
            body = sql(head, " DEFAULT VALUES")
        elif sources:
            froms = join((ident(cte) for cte, _, _ in sources), ", ")
            body = sql(head, " (", join(columns, ", "), ") SELECT ", join(exprs, ", "), " FROM ", froms)
        else:
            body = sql(head, " (", join(columns, ", "), ") VALUES (", join(exprs, ", "), ")")
        cte = self._finish_insert(ins, alias, body)
        for child in row.children:
            if ins.on_conflict is not None:
                message = (
                    "cannot proceed to insert array relations since insert to table "
                    f'"{_text(ins.table)}" affects zero rows'
                )
                cond = sql("NOT EXISTS (SELECT 1 FROM ", ident(cte), ")")
                self.st.errors.append((cond, WriteError("not-supported", message)))
            for child_row in child.insert.rows:
                self._row_insert(child.insert, child_row, ((cte, child.mapping, True),))
        return cte

    def _finish_insert(self, ins: mu.Insert, alias: str, body: Sql) -> str:
        parts: list[Sql | str] = [body]
        conflict = ins.on_conflict
        check = self._check(ins.check, alias)
        if conflict is not None:
            parts += [" ON CONFLICT ON CONSTRAINT ", ident(conflict.constraint)]
            updates = list(conflict.update_columns)
            if not updates:
                parts.append(" DO NOTHING")
            else:
                sets = [sql(ident(c), " = EXCLUDED.", ident(c)) for c in updates if c not in dict(conflict.presets)]
                sets += [sql(ident(c), " = ", param(v)) for c, v in conflict.presets]
                parts += [" DO UPDATE SET ", join(sets, ", ")]
                conditions = []
                for exp in (conflict.where, conflict.filter):
                    if exp is not None:
                        cond = compile_boolexp(exp, alias, alias, self.selects.aliases)
                        if cond is not TRUE:
                            conditions.append(cond)
                if conditions:
                    parts += [" WHERE ", conjunction(conditions)]
                if ins.check is not None or conflict.check is not None:
                    updated = self._check(conflict.check, alias)
                    check = sql("(CASE WHEN ", ident(alias), ".xmax = 0 THEN ", check, " ELSE ", updated, " END)")
        update_check = conflict.check if conflict is not None and conflict.update_columns else None
        if self.defer_checks and (ins.check is not None or update_check is not None):
            parts += [" RETURNING ", ident(alias), ' AS "r", true AS "c", ', ident(alias), '.ctid AS "t", (']
            parts += [ident(alias), '.xmax = 0) AS "i"']
            cte = self.st.cte(sql(*parts))
            self.deferred.append((cte, ins.table, ins.check, update_check))
            return cte
        parts += [" RETURNING ", ident(alias), ' AS "r", ', check, ' AS "c"']
        cte = self.st.cte(sql(*parts))
        if ins.check is not None or update_check is not None:
            self._fail_check(cte)
        return cte

    # -- updates and deletes -----------------------------------------------------------

    def _filtered(self, where: BoolExp, filter_: BoolExp | None, alias: str) -> Sql:
        conditions = []
        for exp in (where, filter_):
            if exp is not None:
                cond = compile_boolexp(exp, alias, alias, self.selects.aliases)
                if cond is not TRUE:
                    conditions.append(cond)
        return raw("") if not conditions else sql(" WHERE ", conjunction(conditions))

    def update(self, upd: mu.Update) -> str:
        alias = self.selects.aliases.new(upd.table)
        sets = [sql(ident(u.column), " = ", _update_value(u, alias)) for u in upd.updates]
        where = self._filtered(upd.where, upd.filter, alias)
        check = self._check(upd.check, alias)
        returning = sql(" RETURNING ", ident(alias), ' AS "r", ', check, ' AS "c"')
        if not sets:
            # No operator: nothing is written, nothing is answered.
            body = sql(
                "SELECT ", ident(alias), ' AS "r", true AS "c" FROM ', qualified(upd.table), " AS ", ident(alias),
                " WHERE false",
            )  # fmt: skip
        else:
            body = sql(
                "UPDATE ", qualified(upd.table), " AS ", ident(alias), " SET ", join(sets, ", "), where, returning
            )
        cte = self.st.cte(body)
        if upd.check is not None:
            self._fail_check(cte)
        return cte

    def delete(self, dele: mu.Delete) -> str:
        alias = self.selects.aliases.new(dele.table)
        where = self._filtered(dele.where, dele.filter, alias)
        body = sql("DELETE FROM ", qualified(dele.table), " AS ", ident(alias), where, " RETURNING ", ident(alias))
        return self.st.cte(sql(body, ' AS "r", true AS "c"'))


def _update_value(u: mu.ColumnUpdate, alias: str) -> Sql:
    column = ident(alias, u.column)
    value = param(u.value)
    match u.op:
        case mu.UpdateOp.SET:
            return value
        case mu.UpdateOp.INC:
            return sql(column, " + ", value)
        case mu.UpdateOp.APPEND:
            return sql(column, " || ", value)
        case mu.UpdateOp.PREPEND:
            return sql(value, " || ", column)
        case mu.UpdateOp.DELETE_KEY | mu.UpdateOp.DELETE_ELEM:
            return sql(column, " - ", value)
        case mu.UpdateOp.DELETE_AT_PATH:
            return sql(column, " #- ", value)
    raise TypeError(f"not an update operator: {u.op!r}")


def _text(table: QualifiedName) -> str:
    return table.name if table.schema == "public" else f"{table.schema}.{table.name}"
