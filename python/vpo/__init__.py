"""VPO: video policy orchestrator."""

__version__ = "0.1.0"
