"""v3 against v4: the shadow, the confirmation of v4's errors on v3, the replay
before exposure, the comparisons of results and the coverage of known operations.
"""
