"""The backtest of a finance team's own books: `inputs` (the canonical frame, leakage checks), `models`
(the rules and models compared), `metrics` (with bootstrap intervals), `run` (time splits), `report`."""
