"""The notification centre: what can be notified (registry), who hears of an event
(recipients), how it reaches them (delivery), and each member's inbox and preferences."""
