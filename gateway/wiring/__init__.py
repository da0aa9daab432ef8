"""The composition root: the Starlette app factory and its lifespan, the services one
process owns, and the flag parts the CLI's flag commands build alone.
"""
