"""The GraphQL API (Strawberry): lineage, impact, reproducibility, search, mutations."""

from .schema import schema

__all__ = ["schema"]
