"""The v4 ports on SQLAlchemy Core: the read ports over the request's connection and
the unit of work (adapters), one module per domain, and the tables as Core sees them.
Only this room of v4 knows SQLAlchemy.
"""
