"""The legacy SQL, by hand. Every value is a bound parameter; only fixed fragments from
this module are ever spliced into statements."""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

from jewgo.db.models import UTCDateTime

TIMESTAMPS = {"created_at": UTCDateTime(), "updated_at": UTCDateTime()}

RESTAURANT_COLUMNS = """
    r.id, r.name, r.address, r.city, r.state, r.zip_code, r.phone, r.website,
    r.kosher_category, r.certifying_agency, r.is_cholov_yisroel, r.is_pas_yisroel,
    r.price_range, r.latitude, r.longitude, r.status, r.created_at, r.updated_at"""

APPROVED_STATS_JOIN = """
    LEFT JOIN (SELECT restaurant_id, COUNT(*) AS approved, SUM(rating) AS rating_sum
               FROM reviews WHERE status = 'APPROVED' GROUP BY restaurant_id) s
      ON s.restaurant_id = r.id"""

# Unrated restaurants sort after every rated one (ratings are at least 1).
RATING = "COALESCE(CAST(s.rating_sum AS FLOAT) / s.approved, -1.0)"
DISTANCE = "distance_km(:near_lat, :near_lon, r.latitude, r.longitude)"

# ORDER BY and the keyset condition "after the row with key (:k0, :k1)" per ordering.
RESTAURANT_ORDERS = {
    "NAME": ("r.name ASC, r.id ASC", "(r.name > :k0 OR (r.name = :k0 AND r.id > :k1))"),
    "RATING": (
        f"{RATING} DESC, r.id ASC",
        f"({RATING} < :k0 OR ({RATING} = :k0 AND r.id > :k1))",
    ),
    "NEWEST": (
        "r.created_at DESC, r.id DESC",
        "(r.created_at < :k0 OR (r.created_at = :k0 AND r.id < :k1))",
    ),
    "DISTANCE": (
        f"{DISTANCE} ASC, r.id ASC",
        f"({DISTANCE} > :k0 OR ({DISTANCE} = :k0 AND r.id > :k1))",
    ),
}

SEARCH = """(lower(r.name) LIKE :search ESCAPE '\\'
          OR lower(r.city) LIKE :search ESCAPE '\\'
          OR lower(r.certifying_agency) LIKE :search ESCAPE '\\')"""

RESTAURANT_BY_ID = f"SELECT {RESTAURANT_COLUMNS} FROM restaurants r WHERE r.id = :id"
RESTAURANT_RATING = """
    SELECT COUNT(*) AS review_count, SUM(rating) AS rating_sum
    FROM reviews WHERE restaurant_id = :id AND status = 'APPROVED'"""

REVIEW_COLUMNS = """
    v.id, v.restaurant_id, v.author_id, v.rating, v.title, v.content, v.status,
    v.created_at, v.updated_at"""
REVIEWS_AFTER = "(v.created_at < :k0 OR (v.created_at = :k0 AND v.id < :k1))"

USER_COLUMNS = """
    u.id, u.name, u.email, u.role, u.created_at,
    (SELECT COUNT(*) FROM reviews v WHERE v.author_id = u.id) AS review_count"""
USERS_AFTER = "(u.name > :k0 OR (u.name = :k0 AND u.id > :k1))"
USER_SEARCH = """(lower(u.name) LIKE :search ESCAPE '\\'
              OR lower(u.email) LIKE :search ESCAPE '\\')"""

RESTAURANT_WRITABLE = (
    "name",
    "address",
    "city",
    "state",
    "zip_code",
    "phone",
    "website",
    "kosher_category",
    "certifying_agency",
    "is_cholov_yisroel",
    "is_pas_yisroel",
    "price_range",
    "latitude",
    "longitude",
    "status",
)


def select(sql: str, *timestamp_params: str) -> TextualSelect:
    """A SELECT whose timestamps come back as datetimes on every database."""
    return statement(sql, *timestamp_params).columns(**TIMESTAMPS)


def statement(sql: str, *timestamp_params: str) -> TextClause:
    """A statement whose timestamp parameters are bound as the column type stores them."""
    return text(sql).bindparams(
        *(bindparam(name, type_=UTCDateTime()) for name in timestamp_params)
    )
