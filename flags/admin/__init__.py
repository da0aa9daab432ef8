"""Changing flags: the admin (every change people make, under the pure rules of
flags.rules), what it asks of the users table, the record of replays, and propagation
(this process's snapshot kept fresh across the fleet).
"""
