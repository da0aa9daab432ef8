"""The response cache: whole answers of v4 reads, its fast path from the ASGI
scope, its door in the view, its store in process and in Redis, how it is built from
settings, and the CDN's cacheable GETs.
"""
