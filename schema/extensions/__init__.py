"""What runs around every operation, as Strawberry schema extensions and their
helpers: the query limits and the field-merging bound, the static cost and its report,
documents parsed once, the request guard, text safety, error codes and masking, and the
response's extensions.
"""
