"""StridePlan: training plans for injured and imbalanced runners."""

__version__ = "0.1.0"
