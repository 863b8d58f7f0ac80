"""The gap-closing planner, the exact integer program it is held to, and forecasts."""
