"""The browser pages: server-rendered templates (Jinja2) and a small script layer over the REST API."""
