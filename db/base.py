"""The declarative base every table is on (one metadata, one naming convention), and the
timestamp type every table uses."""

from __future__ import annotations

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(DateTime):
    """A timezone-aware timestamp; SQLite keeps it naive, readers treat it as UTC."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)
