"""The schema: Query, Mutation and Subscription roots, the DateTime scalar, and the query limits of the settings."""

from __future__ import annotations

import strawberry
from graphql import GraphQLDefaultInput, GraphQLInputObjectType, GraphQLSchema
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from api.graphql.errors import MaskUnexpectedErrors, should_mask_error
from api.graphql.mutations import Mutation
from api.graphql.queries import Query
from api.graphql.scalars import SCALAR_OVERRIDES
from api.graphql.subscriptions import Subscription
from api.metrics import GraphQLMetrics
from domain.settings import Settings

__all__ = ["build_schema"]


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The Taskloom schema; `settings` sets the depth, alias and token limits (defaults when None)."""
    settings = settings or Settings(_env_file=None)  # type: ignore[call-arg]
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=settings.query_max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=settings.query_max_aliases),
            lambda: MaxTokensLimiter(max_token_count=settings.query_max_tokens),
            lambda: MaskUnexpectedErrors(should_mask_error=should_mask_error),
            GraphQLMetrics,  # after MaskUnexpectedErrors: it counts errors before they are masked
        ],
    )
    _external_object_defaults(schema._schema)
    return schema


def _external_object_defaults(schema: GraphQLSchema) -> None:
    """Give input fields whose default is an object (`executionConfig: JSON! = {}`) that default as an external
    value too: introspection then prints it with `value_to_literal`, where graphql-core's deprecated
    `ast_from_value` raised "Cannot convert value to AST: {}" on every introspection query (GraphiQL included).
    `default_value` stays for strawberry's SDL printer."""
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLInputObjectType):
            continue
        for field in named.fields.values():
            if isinstance(field.default_value, dict):
                field.default = GraphQLDefaultInput(value=field.default_value)
