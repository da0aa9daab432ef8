"""The composition root: the Starlette app factory and its lifespan, the services one
process owns, the flag parts the CLI's flag commands build alone, and the subscribers of
what accounting publishes (verification).
"""
