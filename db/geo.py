"""Great-circle distance, the one formula both databases and Python agree on."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088

# The same haversine as `distance_km` below, in SQL, for PostgreSQL (created by the first
# migration). SQLite gets the Python function registered on every new connection.
POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION distance_km(lat1 float8, lon1 float8, lat2 float8, lon2 float8)
RETURNS float8 LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT 2 * {EARTH_RADIUS_KM} * asin(least(1.0, sqrt(
      power(sin(radians(lat2 - lat1) / 2), 2)
      + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2)
  )))
$$
"""


def distance_km(
    lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None
) -> float | None:
    """Haversine distance in kilometres; None when any coordinate is missing (SQL STRICT)."""
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin(math.radians(lat2 - lat1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
