"""The directory's part of the contract: Query and Mutation fields, the object,
input and enum types mapped from the domain dataclasses, Relay connections, and the
look-ahead that resolves a page's reviews and authors at once.
"""
