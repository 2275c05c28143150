"""Statement services: layouts, figures, drill-down and exports."""
