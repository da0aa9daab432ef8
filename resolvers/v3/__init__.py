"""v3: the legacy data layer. One data manager, hand-written parameterised SQL, no cache,
no batching (nested fields query once per parent), basic validation only."""
