"""HTTP plumbing shared by every router: errors, middleware, dependencies, health."""
