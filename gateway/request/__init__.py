"""One request's caller: the token and the role (auth, roles), the rate limit, the
weighed demand, the flags' decisions (callers) and the context built from them; and
the watch for a proxy FORWARDED_ALLOW_IPS does not name.
"""
