"""jaxjudge for its users: `jaxjudge.client` talks to a jaxjudge server from scripts and notebooks."""
