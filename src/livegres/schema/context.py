"""State shared by the type builders of one role's schema: the registry, the table plans,
the enum tables' values, and the column types every builder needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLNonNull, GraphQLOutputType

from livegres import catalog as cat
from livegres.schema import comparison
from livegres.schema import scalars as sc
from livegres.schema.comparison import ValueType
from livegres.schema.lookup import TypeRef
from livegres.schema.model import ColumnPlan, EnumValue, TablePlan
from livegres.schema.registry import Registry
from livegres.schema.view import RoleView


@dataclass(slots=True)
class Context:
    reg: Registry
    view: RoleView
    plans: Mapping[cat.QualifiedName, TablePlan]
    enum_values: Mapping[cat.QualifiedName, Sequence[EnumValue]]

    def plan(self, name: cat.QualifiedName) -> TablePlan:
        return self.plans[name]

    def enum_type(self, table: cat.QualifiedName) -> GraphQLEnumType:
        """``<t>_enum`` of an enum table (Hasura's ``enumParser``: no type description)."""
        plan = self.plans[table]
        values = {v.value: (v.value, v.comment) for v in self.enum_values[table]}
        name = f"{plan.gql}_enum"
        self.reg.note_type(name, TypeRef(table, "enum"))
        return self.reg.enum(name, values)

    def value_type(self, column: ColumnPlan) -> ValueType:
        """A column's type where it is a value: nullable, an enum or the column's scalar."""
        if column.enum is not None and column.enum in self.plans:
            return self.enum_type(column.enum)
        return comparison.value_type(self.reg, column.scalar)

    def value_type_of(self, scalar: sc.Scalar) -> ValueType:
        return comparison.value_type(self.reg, scalar)

    def output_type(self, column: ColumnPlan, nullable: bool) -> GraphQLOutputType:
        base = self.value_type(column)
        return base if nullable else GraphQLNonNull(base)

    def comparison(self, column: ColumnPlan) -> GraphQLInputObjectType:
        if column.enum is not None and column.enum in self.plans:
            return comparison.enum_comparison_exp(self.reg, self.enum_type(column.enum))
        return comparison.comparison_exp(self.reg, column.scalar)

    def comparison_of(self, scalar: sc.Scalar) -> GraphQLInputObjectType:
        return comparison.comparison_exp(self.reg, scalar)

    def is_enum_column(self, column: ColumnPlan) -> bool:
        return column.enum is not None and column.enum in self.plans
