"""The two implementations of the directory (v3 legacy, v4 new) and what they share.

Shared by both: the frozen domain dataclasses (`domain`), the ports they implement
(`ports`), domain errors (`errors`), cursors (`pagination`), permission rules (`policy`)
and the basic input checks (`validation`). `router` picks a version per domain per request.
"""
