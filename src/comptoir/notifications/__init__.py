"""The in-app notification centre, and each member's choice of how to hear of what."""
