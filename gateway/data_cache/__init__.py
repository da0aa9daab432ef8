"""The v4 data cache's store: the tiers (memory, near, Redis) with their breaker,
the near tier, the two stores, the Redis channel follower and the Redis client.
"""
