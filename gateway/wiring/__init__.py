"""The composition root: the Starlette app factory and its lifespan, the services one
process owns (verification subscribed to what accounting publishes), and the flag parts
the CLI's flag commands build alone.
"""
