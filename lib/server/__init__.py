"""The server: one app factory for app.py and the tests, the studio's HTTP routes, and the
start-up warm-up. Routes never import a page's logic."""
