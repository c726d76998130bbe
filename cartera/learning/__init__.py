"""Learning which channel, send hour and tone collect best, within the law (issue #13).

- :mod:`arms` — the arms (channel × send-hour block × tone) and the policy engine's filter;
- :mod:`context` — the context a choice is made in (segment, risk, days to due, amount, last response);
- :mod:`thompson` — the learner: Beta-Bernoulli Thompson sampling pooled across contexts;
- :mod:`preventive` — which playbook steps a learned strategy keeps, delays or escalates, and why;
- :mod:`control` — the stable, randomized control group that stays on the fixed playbook;
- :mod:`strategy` — the fixed playbook and the learned strategy behind one interface, used by the
  production build (``build_batch(strategy=...)``) and by the simulator alike;
- :mod:`store` — the learner's versioned state and its audit in Postgres (``ops.learner_state``).
"""
