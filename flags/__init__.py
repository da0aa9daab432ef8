"""Feature flags: the pure decision core, and rooms for what changes, runs and watches flags.

stages.py decide.py decisions.py snapshot.py env.py   the decision core: pure, it
                                                       imports nothing of ours but itself
rules.py summary.py faults.py                          pure rules of a change, the
                                                       migration's summary, fault drills
store.py errors.py clock.py tasks.py                   the flag store and its audit log;
                                                       errors; an injected clock; tasks
admin/      changes people make (the admin), the users table, replays, propagation
rollouts/   gradual rollouts: model and rules, config, store, controller, lease
telemetry/  the figures flags are judged by: the window, caller weighting, reach,
            daily counts, the shadow's noise baseline
alerts/     alert rules, lifecycle, store, outbox and engine; each rollout's health
            and decommission readiness, which read the alerts firing
"""
