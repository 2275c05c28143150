"""The catalog: the products and services an organization sells and buys."""
