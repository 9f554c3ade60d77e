"""The HTTP service: OpenLineage ingestion, GraphQL, the web page, operations endpoints."""

from .app import create_app

__all__ = ["create_app"]
