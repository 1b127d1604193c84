"""The bureau's thresholds for the risk flags (inspect_app/services/risk_flags.py), as a value:
read from config.toml by inspect_app/config.py, handed to the services in its Settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RiskFlagThresholds:
    """The bureau's thresholds for the risk flags (inspect_app/services/risk_flags.py).

    `[risk_flags]` in config.toml; a key left out keeps its default:
        decline_pct = 30        # declining: output down this many percent or more year on year
        zombie_output_wan = 1   # suspected zombie: output below this (万元) ...
        zombie_power_pct = 5    # ... and power below this percentage of the four quarters before ...
        zombie_quarters = 2     # ... for this many consecutive quarters (1-4)
    """

    decline_pct: float = 30.0
    zombie_output_wan: float = 1.0
    zombie_power_pct: float = 5.0
    zombie_quarters: int = 2
