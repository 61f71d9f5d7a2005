"""``<scalar>_comparison_exp``: the operators Hasura generates for each column type.

From ``comparisonExps`` in Hasura's ``Backends/Postgres/Instances/Schema.hs``:

* every type: ``_is_null``, ``_eq``, ``_neq``, ``_in``, ``_nin``; and, except ``raster``,
  ``_gt``, ``_lt``, ``_gte``, ``_lte`` (values are the column's scalar, non-null; ``_in`` a
  list of them);
* ``_cast`` for ``jsonb`` (to ``String``), ``geometry`` and ``geography`` (to each other);
* string types (``String``, ``citext``, ``bpchar``): the ``LIKE``/``SIMILAR``/regex family;
* arrays (``<scalar>_array_comparison_exp``): ``_contains``, ``_contained_in``;
* ``jsonb``: containment, key existence, ``jsonpath``; ``geometry``/``geography``/``raster``:
  the PostGIS ``_st_*`` operators; ``ltree``: ``_ancestor``... with ``lquery``/``ltxtquery``;
* a column of an enum table's ``<t>_enum``: only the equality operators.
"""

from __future__ import annotations

from typing import TypeAlias

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLString,
)

from livegres.schema import scalars as sc
from livegres.schema.registry import Registry

_STRING_OPS = (
    ("_like", "does the column match the given pattern"),
    ("_nlike", "does the column NOT match the given pattern"),
    ("_ilike", "does the column match the given case-insensitive pattern"),
    ("_nilike", "does the column NOT match the given case-insensitive pattern"),
    ("_similar", "does the column match the given SQL regular expression"),
    ("_nsimilar", "does the column NOT match the given SQL regular expression"),
    ("_regex", "does the column match the given POSIX regular expression, case sensitive"),
    ("_iregex", "does the column match the given POSIX regular expression, case insensitive"),
    ("_nregex", "does the column NOT match the given POSIX regular expression, case sensitive"),
    ("_niregex", "does the column NOT match the given POSIX regular expression, case insensitive"),
)

_GEOMETRY_OPS = (
    ("_st_contains", "does the column contain the given geometry value"),
    ("_st_crosses", "does the column cross the given geometry value"),
    ("_st_equals", "is the column equal to given geometry value (directionality is ignored)"),
    (
        "_st_overlaps",
        "does the column 'spatially overlap' (intersect but not completely contain) the given geometry value",
    ),
    ("_st_touches", "does the column have atleast one point in common with the given geometry value"),
    ("_st_within", "is the column contained in the given geometry value"),
    ("_st_intersects", "does the column spatially intersect the given geometry value"),
    ("_st_3d_intersects", "does the column spatially intersect the given geometry value in 3D"),
)


def _description(name: str) -> str:
    return f"Boolean expression to compare columns of type \"{name}\". All fields are combined with logical 'AND'."


def _field(t: GraphQLInputType, description: str | None = None) -> GraphQLInputField:
    return GraphQLInputField(t, description=description)


def _equality(value: ValueType) -> dict[str, GraphQLInputField]:
    listed = GraphQLList(GraphQLNonNull(value))
    return {
        "_is_null": _field(GraphQLBoolean),
        "_eq": _field(value),
        "_neq": _field(value),
        "_in": _field(listed),
        "_nin": _field(listed),
    }


def _ordering(value: ValueType) -> dict[str, GraphQLInputField]:
    return {op: _field(value) for op in ("_gt", "_lt", "_gte", "_lte")}


ValueType: TypeAlias = "GraphQLScalarType | GraphQLEnumType | GraphQLList[GraphQLNonNull[GraphQLScalarType]]"
"""A column value's type: an input and an output type alike."""


def value_type(reg: Registry, scalar: sc.Scalar) -> ValueType:
    """The GraphQL type of a value of ``scalar``, without the outer non-null."""
    named = reg.scalar(scalar.name)
    return GraphQLList(GraphQLNonNull(named)) if scalar.is_array else named


def _within_inputs(reg: Registry, geography: bool) -> GraphQLInputObjectType:
    if geography:
        return reg.input(
            "st_d_within_geography_input",
            lambda: {
                "distance": _field(GraphQLNonNull(GraphQLFloat)),
                "from": _field(GraphQLNonNull(reg.scalar("geography"))),
                "use_spheroid": GraphQLInputField(GraphQLBoolean, default_value=True),
            },
        )
    return reg.input(
        "st_d_within_input",
        lambda: {
            "distance": _field(GraphQLNonNull(GraphQLFloat)),
            "from": _field(GraphQLNonNull(reg.scalar("geometry"))),
        },
    )


def _special(reg: Registry, scalar: sc.Scalar, value: ValueType) -> dict[str, GraphQLInputField]:
    out: dict[str, GraphQLInputField] = {}
    if scalar.is_array:
        out["_contains"] = _field(value, "does the array contain the given value")
        out["_contained_in"] = _field(value, "is the array contained in the given array value")
        return out
    if scalar.is_string:
        out.update({op: _field(value, desc) for op, desc in _STRING_OPS})
    if scalar.known("jsonb"):
        text_list = GraphQLList(GraphQLNonNull(GraphQLString))
        out["_cast"] = _field(_cast_exp(reg, "jsonb", sc.STRING_SCALAR))
        out["_contains"] = _field(value, "does the column contain the given json value at the top level")
        out["_contained_in"] = _field(value, "is the column contained in the given json value")
        out["_has_key"] = _field(GraphQLString, "does the string exist as a top-level key in the column")
        out["_has_keys_any"] = _field(text_list, "do any of these strings exist as top-level keys in the column")
        out["_has_keys_all"] = _field(text_list, "do all of these strings exist as top-level keys in the column")
        out["_jsonb_path_exists"] = _field(
            GraphQLString, "does the jsonpath return any item for the specified JSON value"
        )
        out["_jsonb_path_match"] = _field(
            GraphQLString, "does the jsonpath predicate check return true for the specified JSON value"
        )
    if scalar.known("geography"):
        out["_cast"] = _field(_cast_exp(reg, "geography", sc.known("geometry")))
        out["_st_intersects"] = _field(value, "does the column spatially intersect the given geography value")
        out["_st_d_within"] = _field(
            _within_inputs(reg, True), "is the column within a given distance from the given geography value"
        )
    if scalar.known("geometry"):
        within = _within_inputs(reg, False)
        out["_cast"] = _field(_cast_exp(reg, "geometry", sc.known("geography")))
        out.update({op: _field(value, desc) for op, desc in _GEOMETRY_OPS})
        out["_st_d_within"] = _field(within, "is the column within a given distance from the given geometry value")
        out["_st_3d_d_within"] = _field(
            within, "is the column within a given 3D distance from the given geometry value"
        )
    if scalar.known("raster"):
        out.update(_raster(reg, value))
    if scalar.known("ltree"):
        out.update(_ltree(reg, value))
    return out


def _raster(reg: Registry, value: ValueType) -> dict[str, GraphQLInputField]:
    geometry = reg.scalar("geometry")
    nband_geom = reg.input(
        "st_intersects_nband_geom_input",
        lambda: {"nband": _field(GraphQLNonNull(GraphQLInt)), "geommin": _field(GraphQLNonNull(geometry))},
    )
    geom_nband = reg.input(
        "st_intersects_geom_nband_input",
        lambda: {"geommin": _field(GraphQLNonNull(geometry)), "nband": _field(GraphQLInt)},
    )
    return {
        "_st_intersects_rast": _field(value),
        "_st_intersects_nband_geom": _field(nband_geom),
        "_st_intersects_geom_nband": _field(geom_nband),
    }


def _ltree(reg: Registry, value: ValueType) -> dict[str, GraphQLInputField]:
    listed = GraphQLList(GraphQLNonNull(value))
    return {
        "_ancestor": _field(value, "is the left argument an ancestor of right (or equal)?"),
        "_ancestor_any": _field(listed, "does array contain an ancestor of `ltree`?"),
        "_descendant": _field(value, "is the left argument a descendant of right (or equal)?"),
        "_descendant_any": _field(listed, "does array contain a descendant of `ltree`?"),
        "_matches": _field(reg.scalar("lquery"), "does `ltree` match `lquery`?"),
        "_matches_any": _field(GraphQLList(GraphQLNonNull(GraphQLString)), "does `ltree` match any `lquery` in array?"),
        "_matches_fulltext": _field(reg.scalar("ltxtquery"), "does `ltree` match `ltxtquery`?"),
    }


def _cast_exp(reg: Registry, source: str, target: sc.Scalar) -> GraphQLInputObjectType:
    return reg.input(f"{source}_cast_exp", lambda: {target.name: _field(comparison_exp(reg, target))})


def comparison_exp(reg: Registry, scalar: sc.Scalar) -> GraphQLInputObjectType:
    def fields() -> dict[str, GraphQLInputField]:
        value = value_type(reg, scalar)
        out = _equality(value)
        if not scalar.known("raster"):
            out.update(_ordering(value))
        out.update(_special(reg, scalar, value))
        return out

    return reg.input(scalar.comparison_name, fields, _description(scalar.name))


def enum_comparison_exp(reg: Registry, enum: GraphQLEnumType) -> GraphQLInputObjectType:
    name = f"{enum.name}_comparison_exp"
    return reg.input(name, lambda: _equality(enum), _description(enum.name))
