"""The v4 cache in front of the read ports: where entries live and how long, and
the invalidator (entries); the read ports read through it (reads); and the tags that
name what a response read and what a write changed.
"""
