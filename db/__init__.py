"""Persistence: SQLAlchemy models, engines, Alembic migrations and seed data.

Nothing here knows about GraphQL, resolver versions or HTTP.
"""
